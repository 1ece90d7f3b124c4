package plugintest

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeclaredEntry(t *testing.T) {
	const toolsYAML = `tools:
  - name: upscale_image
    plugin: plugins/upscale
    permissions:
      comfyui: [GET /queue]
  - name: shared_b
    plugin: plugins/shared
  - name: shared
    plugin: plugins/shared
  - name: other_a
    plugin: plugins/other
  - name: other_b
    plugin: plugins/other
  - name: undeclared
    plugin: plugins/elsewhere
`
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"go.mod":                     "module example.com/x\n",
		"tools.yaml":                 toolsYAML,
		"plugins/upscale/main.go":    "package main\n",
		"plugins/shared/main.go":     "package main\n",
		"plugins/other/main.go":      "package main\n",
		"plugins/elsewhere/main.go":  "package main\n",
		"plugins/undeclared/main.go": "package main\n",
	})
	tests := []struct {
		name      string
		plugin    string
		askFor    string
		want      string // "" when no entry should be found
		wantRoute bool
	}{
		{"entry found by plugin path, not folder name", "plugins/upscale", "", "upscale_image", true},
		{"asked-for name must match", "plugins/upscale", "upscale", "", false},
		{"asked-for name matches", "plugins/upscale", "upscale_image", "upscale_image", true},
		{"several entries: the one named like the folder", "plugins/shared", "", "shared", false},
		{"several entries: else the first", "plugins/other", "", "other_a", false},
		{"several entries: asked for by name", "plugins/other", "other_b", "other_b", false},
		{"a folder named like an entry but not its plugin", "plugins/undeclared", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, found, err := declaredEntry(filepath.Join(dir, tt.plugin), tt.askFor)
			if err != nil {
				t.Fatal(err)
			}
			if found != (tt.want != "") || e.name != tt.want {
				t.Fatalf("declaredEntry = %q, found %v; want %q", e.name, found, tt.want)
			}
			if found && tt.wantRoute != (len(e.perms.ComfyUI) > 0) {
				t.Errorf("grant %+v, want routes: %v", e.perms, tt.wantRoute)
			}
		})
	}
}

func TestDeclaredEntryInvalidFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"go.mod":           "module example.com/x\n",
		"tools.yaml":       "tools:\n  - name: good\n    plugin: good\n  - name: bad\n    plugin: missing\n",
		"good/main.go":     "package main\n",
		"good/sub/main.go": "package main\n",
	})
	// Another entry's mistake fails every plugin: the server would refuse
	// the file as a whole.
	if _, _, err := declaredEntry(filepath.Join(dir, "good"), ""); err == nil {
		t.Fatal("declaredEntry succeeded on a tools.yaml with an invalid entry")
	}
}

func TestFolderName(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"/m/plugins/upscale", "upscale"},
		{"/m/plugins/blur.v2", "blur.v2"},
		{"/m/dist/tool.WASM", "tool"},
	}
	for _, tt := range tests {
		if got := folderName(tt.dir); got != tt.want {
			t.Errorf("folderName(%q) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

// writeAuthorModule makes dir a module of its own that uses this
// checkout's SDK, as a plugin author's would be, buildable offline.
func writeAuthorModule(t *testing.T, dir string) {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var requires []string
	for _, block := range strings.Split(string(gomod), "require (")[1:] {
		block, _, _ = strings.Cut(block, ")")
		requires = append(requires, strings.TrimSpace(block))
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{
		"go.mod": fmt.Sprintf("module example.com/author\n\ngo 1.26\n\nrequire (\n\tgithub.com/easel-mcp/easel v0.0.0\n\t%s\n)\n\nreplace github.com/easel-mcp/easel => %s\n",
			strings.Join(requires, "\n\t"), repo),
		"go.sum": string(sum),
	})
}

// TestLoadNamesToolFromEntry is the scaffold of `easel new --dir
// plugins/upscale upscale_image`: the tool is served from a folder named
// otherwise, and its test must load it under the entry's name.
func TestLoadNamesToolFromEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin")
	}
	src, err := os.ReadFile("../../examples/queue_size/main.go")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeAuthorModule(t, dir)
	writeTree(t, dir, map[string]string{
		"tools.yaml":            "tools:\n  - name: queue_size\n    plugin: plugins/qs\n    permissions:\n      comfyui: [GET /queue]\n",
		"plugins/qs/main.go":    string(src),
		"plugins/stray/main.go": string(src),
	})

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	tool, srv := LoadEmulated(t, filepath.Join(dir, "plugins/qs"), WithLogger(logger))
	if got := tool.Info().Name; got != "queue_size" {
		t.Fatalf("tool name = %q, want queue_size", got)
	}
	if res := tool.Call(t, map[string]any{}); res.IsError {
		t.Fatalf("call: %s", res.Text())
	}
	if !strings.Contains(logs.String(), "permissions of its tools.yaml entry") {
		t.Errorf("log does not say where the grant came from:\n%s", logs.String())
	}

	// Not declared: named after the folder, which the plugin disagrees
	// with, and granted everything, which the log says.
	logs.Reset()
	_, err = TryLoad(t, filepath.Join(dir, "plugins/stray"), WithLogger(logger), WithComfyUI(srv.URL))
	if err == nil || !strings.Contains(err.Error(), "named the tool after its folder") || !strings.Contains(err.Error(), "WithName") {
		t.Errorf("undeclared plugin's load error = %v, want it to explain the folder name", err)
	}
	if !strings.Contains(logs.String(), "no tools.yaml entry serves this plugin") || !strings.Contains(logs.String(), "EVERY permission") {
		t.Errorf("log does not warn about the missing entry:\n%s", logs.String())
	}
}
