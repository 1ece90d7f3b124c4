package memtune

import (
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
