package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	dir := fixture(t)
	entry := "tools:\n  - name: t\n    plugin: plugins/a.wasm\n    limits:\n"
	tests := []struct {
		name   string
		limits string
		want   Limits
		errs   []string
	}{
		{"absent", "", Limits{}, nil},
		{"all set", "      timeout: 10s\n      memory: 64MiB\n      max_output_bytes: 1MiB\n      max_response_bytes: 8MiB\n      max_instances: 3\n",
			Limits{Timeout: 10 * time.Second, MemoryBytes: 64 << 20, MaxOutputBytes: 1 << 20, MaxResponseBytes: 8 << 20, MaxInstances: 3}, nil},
		{"bad values", "      timeout: forever\n      memory: 1KiB\n      max_output_bytes: 3GiB\n      max_response_bytes: -1\n      max_instances: 0\n", Limits{}, []string{
			`tools.yaml:5: tools[0].limits.timeout: "forever" is not a duration (use e.g. 30s)`,
			`tools.yaml:6: tools[0].limits.memory: 1024 bytes is outside 64KiB..4GiB, the sizes a WebAssembly memory can have`,
			`tools.yaml:7: tools[0].limits.max_output_bytes: 3221225472 bytes is outside the lengths the plugin ABI carries (under 2GiB)`,
			`tools.yaml:8: tools[0].limits.max_response_bytes: "-1" is not a positive byte size`,
			`tools.yaml:9: tools[0].limits.max_instances: 0 is outside 1..1024`,
		}},
		{"not a number", "      max_instances: many\n", Limits{}, []string{`tools.yaml:5: tools[0].limits.max_instances: "many" is not a whole number`}},
		{"misspelt", "      memroy: 1MiB\n", Limits{}, []string{`tools.yaml:5: tools[0].limits: unknown key "memroy" (did you mean "memory"?)`}},
		{"not a mapping", "      - 1s\n", Limits{}, []string{`tools.yaml:5: tools[0].limits: expected a mapping, got a list`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(entry+tt.limits), filepath.Join(dir, "tools.yaml"), MapEnv(map[string]string{EnvCacheDir: dir}))
			if tt.errs != nil {
				got := strings.ReplaceAll(fmtErr(err), dir+string(filepath.Separator), "")
				if got != strings.Join(tt.errs, "\n") {
					t.Fatalf("errors:\n%s\nwant:\n%s", got, strings.Join(tt.errs, "\n"))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Tools[0].Limits; got != tt.want {
				t.Fatalf("limits = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
