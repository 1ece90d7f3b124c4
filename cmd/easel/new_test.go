package main

import (
	"os"
	"path/filepath"
	"strings"
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

func TestGoModAdvice(t *testing.T) {
	tests := []struct {
		name, gomod, want string
	}{
		{"requires easel", "module example.com/m\n\ngo 1.26\n\nrequire github.com/easel-mcp/easel v0.3.0\n", ""},
		{"requires easel in a block", "module example.com/m\n\nrequire (\n\tgolang.org/x/text v0.28.0 // indirect\n\tgithub.com/easel-mcp/easel v0.3.0\n)\n", ""},
		{"quoted path, glued paren", "module example.com/m\nrequire(\n\t\"github.com/easel-mcp/easel\" v0.3.0\n)\n", ""},
		{"easel itself", "module github.com/easel-mcp/easel\n\ngo 1.26\n", ""},
		{"replaced, not required", "module example.com/m\n\ngo 1.26\n\nreplace github.com/easel-mcp/easel => ../easel\n", "replaces easel but does not require it yet; run:\n  go mod tidy"},
		{"replaced in a block, not required", "module example.com/m\n\nreplace (\n\tgithub.com/easel-mcp/easel => ../easel\n)\n", "replaces easel but does not require it yet; run:\n  go mod tidy"},
		{"only a comment names it", "module example.com/m\n\n// require github.com/easel-mcp/easel v0.3.0\n", "does not require easel yet; run:\n  go get github.com/easel-mcp/easel@latest"},
		{"another module with easel's path as prefix", "module example.com/m\n\nrequire github.com/easel-mcp/easel-extra v1.0.0\n", "does not require easel yet; run:\n  go get github.com/easel-mcp/easel@latest"},
		{"nothing", "module example.com/m\n", "does not require easel yet; run:\n  go get github.com/easel-mcp/easel@latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := goModAdvice(tt.gomod); got != tt.want {
				t.Errorf("goModAdvice = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestNewChecksTheConfigFirst: a NAME tools.yaml declares already, or a
// tools.yaml the entry cannot be added to, is refused before any file is
// written.
func TestNewChecksTheConfigFirst(t *testing.T) {
	tests := []struct {
		name, config, wantErr string
	}{
		{"name declared already", "tools:\n  - name: count_jobs\n    plugin: existing\n", "declares a tool named count_jobs already"},
		{"invalid tools.yaml", "tools:\n  - name: count_jobs\n    plugin: missing_folder\n", "is not valid, so the tool could not be declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "existing"), 0o755)
			os.WriteFile(filepath.Join(dir, "existing", "main.go"), []byte("package main\n"), 0o644)
			cfg := filepath.Join(dir, "tools.yaml")
			os.WriteFile(cfg, []byte(tt.config), 0o644)
			target := filepath.Join(dir, "plugins", "other")
			code, _, errOut := runIn(t, "new", "--config", cfg, "--dir", target, "count_jobs")
			if code != exitUsage || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, exitUsage, tt.wantErr)
			}
			if _, err := os.Stat(target); err == nil {
				t.Errorf("%s was created although easel new failed", target)
			}
		})
	}
}
