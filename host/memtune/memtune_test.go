package memtune

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
)

func TestApply(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100)) // restore the test binary's GOGC
	tests := []struct {
		name string
		env  map[string]string
		want Settings
	}{
		{"unset", nil, Settings{GCPercent: DefaultGCPercent, MemoryLimit: -1}},
		{"empty counts as unset", map[string]string{"GOGC": ""}, Settings{GCPercent: DefaultGCPercent, MemoryLimit: -1}},
		// The runtime applied GOGC at start; Apply must leave it alone.
		{"operator's GOGC wins", map[string]string{"GOGC": "80"}, Settings{GCPercent: 80, FromEnv: true, MemoryLimit: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, ok := tt.env["GOGC"]; ok && v != "" {
				debug.SetGCPercent(80) // what the runtime would have done
			}
			got := Apply(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if got != tt.want {
				t.Errorf("Apply = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestApplyReportsMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(64 << 20))
	if got := Apply(func(string) (string, bool) { return "", false }); got.MemoryLimit != 64<<20 {
		t.Errorf("MemoryLimit = %d, want %d", got.MemoryLimit, 64<<20)
	}
}

// TestReleaseConcurrent: concurrent releases neither deadlock nor leave the
// Releaser busy, so a later one releases again.
func TestReleaseConcurrent(t *testing.T) {
	var r Releaser
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(r.Release)
	}
	wg.Wait()
	if s := r.state.Load(); s != 0 {
		t.Fatalf("state after the releases = %d, want 0 (idle)", s)
	}
}

// TestReleaseReturnsFreedMemory: after a burst of garbage, Release leaves
// (almost) no free heap pages resident, where the background scavenger
// would take seconds.
func TestReleaseReturnsFreedMemory(t *testing.T) {
	burst := make([][]byte, 64<<10) // 64 MiB in small objects, as a compilation leaves
	for i := range burst {
		burst[i] = make([]byte, 1<<10)
	}
	burst = nil
	var r Releaser
	r.Release()
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	if free := s[0].Value.Uint64(); free > 4<<20 {
		t.Errorf("after Release, %d bytes of free heap are still resident; want under 4 MiB of the 64 MiB burst", free)
	}
}

func TestLoadLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	limit := func() int64 { return debug.SetMemoryLimit(-1) }

	var l LoadLimit
	end1 := l.Begin()
	first := limit()
	if first == math.MaxInt64 || first < LoadHeadroom {
		t.Fatalf("limit during a load = %d, want what the runtime uses plus %d", first, LoadHeadroom)
	}
	if used := runtimeMemory(); first < used {
		t.Errorf("limit %d is below what the runtime uses now, %d", first, used)
	}
	end2 := l.Begin()
	if got := limit(); got != first+LoadHeadroom {
		t.Errorf("limit during two loads = %d, want %d", got, first+LoadHeadroom)
	}
	end2()
	end2() // twice: must not end the first load
	if got := limit(); got != first {
		t.Errorf("limit after one of two loads ended = %d, want %d", got, first)
	}
	end1()
	if got := limit(); got != math.MaxInt64 {
		t.Errorf("limit after the loads = %d, want none", got)
	}

	// An operator's GOMEMLIMIT stays as it is.
	debug.SetMemoryLimit(1 << 40)
	end := l.Begin()
	if got := limit(); got != 1<<40 {
		t.Errorf("limit during a load under GOMEMLIMIT = %d, want the operator's %d", got, int64(1<<40))
	}
	end()
	if got := limit(); got != 1<<40 {
		t.Errorf("limit after it = %d, want the operator's", got)
	}
}
