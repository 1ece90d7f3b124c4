package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/httpguard"
	"github.com/easel-mcp/easel/host/mcpserver"
	"github.com/easel-mcp/easel/host/plugin"
)

// testCacheDir is shared with plugintest and the end-to-end tests, so that
// one `go test ./...` builds and compiles each plugin once.
func testCacheDir(t testing.TB) string {
	if dir := os.Getenv("EASEL_CACHE_DIR"); dir != "" {
		return dir
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return t.TempDir()
	}
	return filepath.Join(dir, "easel")
}

func loadConfig(t *testing.T, path string, env map[string]string) *config.Config {
	t.Helper()
	env["COMFYUI_URL"] = "http://127.0.0.1:1" // no ComfyUI: describing needs none
	cfg, err := config.Load(path, config.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// TestBundledToolJSON keeps each bundled plugin's tool.json equal to what
// the plugin describes, since a fresh install lists tools from those files
// before building anything. Run with EASEL_UPDATE_TOOL_JSON=1 to rewrite
// them after changing a plugin.
func TestBundledToolJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every bundled plugin")
	}
	cfg := loadConfig(t, filepath.Join("..", "..", "tools.yaml"), map[string]string{"EASEL_CACHE_DIR": testCacheDir(t)})
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := a.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("EASEL_UPDATE_TOOL_JSON") == "1"
	for _, tl := range a.tools {
		if tl.cfg.Kind != config.PluginGoSource || string(tl.cfg.Config) != "{}" {
			continue
		}
		if tl.err != nil {
			t.Errorf("%s: %v", tl.cfg.Name, tl.err)
			continue
		}
		want, _ := json.MarshalIndent(tl.Tool(), "", "  ")
		want = append(want, '\n')
		path := filepath.Join(tl.cfg.Path, ToolJSON)
		if update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is missing or stale: run EASEL_UPDATE_TOOL_JSON=1 go test ./host/app -run TestBundledToolJSON", path)
		}
	}
}

// A description known from an earlier run is served at once, and corrected
// once the plugin has loaded if the plugin now says otherwise.
func TestKnownDescriptionIsServedThenChecked(t *testing.T) {
	dir := t.TempDir()
	plugins, _ := filepath.Abs(filepath.Join("..", "..", "examples", "queue_size"))
	cfgPath := filepath.Join(dir, "tools.yaml")
	os.WriteFile(cfgPath, []byte("tools:\n  - name: queue_size\n    plugin: "+plugins+"\n"), 0o600)
	cfg := loadConfig(t, cfgPath, map[string]string{"EASEL_CACHE_DIR": dir})

	// First start: nothing known, the plugin is loaded before New returns.
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	real := a.Tools()[0]
	a.Close(context.Background())

	// Tamper with the cached description, as a stale cache would be.
	stale := real
	stale.Description = "stale description"
	data, _ := json.Marshal(stale)
	matches, _ := filepath.Glob(filepath.Join(dir, "meta", "queue_size-*.json"))
	if len(matches) != 1 {
		t.Fatalf("cached descriptions: %v", matches)
	}
	os.WriteFile(matches[0], data, 0o600)

	b, err := New(context.Background(), cfg, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	if got := b.Tools()[0].Description; got != "stale description" {
		t.Fatalf("second start served %q, want the cached description at once", got)
	}
	if err := b.WaitLoaded(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := b.Tools()[0]; got.Description != real.Description {
		t.Fatalf("after loading: %q, want the plugin's own description", got.Description)
	}
	var _ plugin.ToolInfo = real
}

// A plugin that fails to load in the background keeps its tool listed and
// answers calls with the reason, without taking the server down.
func TestBackgroundLoadFailureIsReported(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "broken")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module broken\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { this does not compile }\n"), 0o644)
	os.WriteFile(filepath.Join(src, ToolJSON), []byte(`{"name":"broken","description":"d","inputSchema":{"type":"object"}}`), 0o644)
	cfgPath := filepath.Join(dir, "tools.yaml")
	os.WriteFile(cfgPath, []byte("tools:\n  - name: broken\n    plugin: broken\n"), 0o600)
	cfg := loadConfig(t, cfgPath, map[string]string{"EASEL_CACHE_DIR": dir})
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("New = %v, want the tool served from its tool.json", err)
	}
	defer a.Close(context.Background())
	// Waiting for its first call, the plugin keeps nobody from calling it:
	// a replica behind a readiness probe must get that call.
	if err := a.pluginsReady(); err != nil {
		t.Fatalf("before the first call: pluginsReady = %v, want ready", err)
	}
	_, err = a.tools[0].Call(context.Background(), json.RawMessage(`{}`), nil)
	if err == nil || !strings.Contains(err.Error(), "could not be loaded") || !strings.Contains(err.Error(), "go build failed") {
		t.Fatalf("call error = %v, want the build failure", err)
	}
	if err := a.pluginsReady(); err == nil || !strings.Contains(err.Error(), "broken failed to load (") {
		t.Fatalf("after the failed load: pluginsReady = %v, want the tool named", err)
	}
}

// The MCP handler reads each POST whole under its own cap, behind
// httpguard's: with http.max_body_bytes unset, both must be the same, or
// the smaller silently becomes the limit the documentation does not give.
func TestBodyCapsAgree(t *testing.T) {
	if httpguard.DefaultMaxBodyBytes != mcpserver.DefaultMaxBodyBytes {
		t.Fatalf("httpguard caps bodies at %d bytes, the MCP handler at %d", httpguard.DefaultMaxBodyBytes, mcpserver.DefaultMaxBodyBytes)
	}
}
