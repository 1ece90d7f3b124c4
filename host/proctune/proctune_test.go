package proctune

import (
	"runtime"
	"testing"
)

// env is a lookup over a map, as os.LookupEnv is over the environment.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestApply(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	tests := []struct {
		name    string
		env     map[string]string
		want    int
		fromEnv bool
	}{
		{"unset", nil, DefaultProcs, false},
		{"empty", map[string]string{"GOMAXPROCS": ""}, DefaultProcs, false},
		{"zero", map[string]string{"GOMAXPROCS": "0"}, DefaultProcs, false},
		{"not a number", map[string]string{"GOMAXPROCS": "many"}, DefaultProcs, false},
		{"set", map[string]string{"GOMAXPROCS": "3"}, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(3) // as the runtime applied GOMAXPROCS=3, or found 3 cores
			got := Apply(env(tt.env))
			if got.Procs != tt.want || got.FromEnv != tt.fromEnv {
				t.Errorf("Apply = %+v, want Procs %d FromEnv %v", got.Settings, tt.want, tt.fromEnv)
			}
			if n := runtime.GOMAXPROCS(0); n != tt.want {
				t.Errorf("GOMAXPROCS = %d after Apply, want %d", n, tt.want)
			}
		})
	}
}

func TestBurst(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(4)
	p := Apply(env(nil))
	check := func(when string, want int) {
		t.Helper()
		if n := runtime.GOMAXPROCS(0); n != want {
			t.Errorf("%s: GOMAXPROCS = %d, want %d", when, n, want)
		}
	}
	check("serving", DefaultProcs)
	end1 := p.Burst()
	check("during a burst", 4)
	end2 := p.Burst()
	end1()
	end1() // twice: must not end the second burst
	check("while a second burst runs", 4)
	end2()
	check("after both", DefaultProcs)

	// The operator's setting is left alone, as is everything with no Procs.
	runtime.GOMAXPROCS(2)
	p = Apply(env(map[string]string{"GOMAXPROCS": "2"}))
	end := p.Burst()
	check("burst under the operator's GOMAXPROCS", 2)
	end()
	check("after it", 2)
	var none *Procs
	none.Burst()()
	check("nil Procs", 2)
}
