package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/easel-mcp/easel/host/config"
)

func TestAppendEntry(t *testing.T) {
	entry := "- name: count_jobs\n    plugin: count_jobs\n    permissions:\n      " + scaffoldPermissions + "\n"
	tests := []struct {
		name, doc, want string
		ok              bool
	}{
		{"tools last", "comfyui:\n  url: http://x\ntools:\n  - name: a\n    plugin: a\n",
			"comfyui:\n  url: http://x\ntools:\n  - name: a\n    plugin: a\n  " + entry, true},
		{"entries at column 0, trailing comment", "tools:\n- name: a\n  plugin: a\n# end\n\n",
			"tools:\n- name: a\n  plugin: a\n# end\n" + "- name: count_jobs\n  plugin: count_jobs\n  permissions:\n    " + scaffoldPermissions + "\n", true},
		{"empty flow list", "comfyui:\n  url: http://x\ntools: []\n", "comfyui:\n  url: http://x\ntools:\n  " + entry, true},
		{"tools not last", "tools:\n  - name: a\n    plugin: a\ncomfyui:\n  url: http://x\n", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := appendEntry(tt.doc, "count_jobs", "count_jobs")
			if ok != tt.ok || (ok && got != tt.want) {
				t.Fatalf("appendEntry = %v\n%s\nwant %v\n%s", ok, got, tt.ok, tt.want)
			}
			if !ok {
				return
			}
			dir := t.TempDir()
			for _, d := range []string{"a", "count_jobs"} {
				os.Mkdir(filepath.Join(dir, d), 0o755)
				os.WriteFile(filepath.Join(dir, d, "main.go"), []byte("package main\n"), 0o644)
			}
			path := filepath.Join(dir, "tools.yaml")
			os.WriteFile(path, []byte(got), 0o644)
			cfg, err := config.Load(path, config.MapEnv(nil))
			if err != nil {
				t.Fatalf("result does not load: %v\n%s", err, got)
			}
			last := cfg.Tools[len(cfg.Tools)-1]
			if last.Name != "count_jobs" || last.Permissions == nil {
				t.Errorf("last tool = %+v, want count_jobs with permissions", last)
			}
		})
	}
}
