package proctune

import (
	"runtime"
	"testing"
)

func TestApply(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	tests := []struct {
		name    string
		env     map[string]string
		want    int // 0: the value before Apply
		fromEnv bool
	}{
		{"unset", nil, DefaultProcs, false},
		{"empty", map[string]string{"GOMAXPROCS": ""}, DefaultProcs, false},
		{"zero", map[string]string{"GOMAXPROCS": "0"}, DefaultProcs, false},
		{"not a number", map[string]string{"GOMAXPROCS": "many"}, DefaultProcs, false},
		{"set", map[string]string{"GOMAXPROCS": "3"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(3) // as the runtime applied GOMAXPROCS=3, or found 3 cores
			want := tt.want
			if want == 0 {
				want = 3
			}
			got := Apply(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if got.Procs != want || got.FromEnv != tt.fromEnv {
				t.Errorf("Apply = %+v, want Procs %d FromEnv %v", got, want, tt.fromEnv)
			}
			if n := runtime.GOMAXPROCS(0); n != want {
				t.Errorf("GOMAXPROCS = %d after Apply, want %d", n, want)
			}
		})
	}
}
