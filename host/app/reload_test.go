package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/gobuild"
)

// reloadFixture is a folder with a tools.yaml serving generic workflow
// tools from a compiled plugin, which the test rewrites.
type reloadFixture struct {
	dir, file, wasm string
	env             config.Env
}

func newReloadFixture(t *testing.T, comfyURL string) *reloadFixture {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the workflow plugin")
	}
	cache := testCacheDir(t)
	built, err := (&gobuild.Builder{CacheDir: cache}).Build(context.Background(), filepath.Join("..", "..", "plugins", "workflow"))
	if err != nil {
		t.Fatal(err)
	}
	f := &reloadFixture{dir: t.TempDir()}
	f.file = filepath.Join(f.dir, "tools.yaml")
	f.wasm = filepath.Join(f.dir, "workflow.wasm")
	copyFile(t, built, f.wasm)
	copyFile(t, filepath.Join("..", "..", "examples", "workflows", "invert_image.json"), filepath.Join(f.dir, "invert.json"))
	f.env = config.MapEnv(map[string]string{"EASEL_CACHE_DIR": cache, "COMFYUI_URL": comfyURL})
	return f
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// write declares one workflow tool per name: description; extra is
// appended to the file as is.
func (f *reloadFixture) write(t *testing.T, tools map[string]string, extra string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("tools:\n")
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range tools {
			if !yield(n) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "  - name: %s\n    plugin: workflow.wasm\n    files: {workflow: invert.json}\n    config: {description: %q}\n%s", name, tools[name], workflowPermissions)
	}
	b.WriteString(extra)
	if err := os.WriteFile(f.file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// workflowPermissions is what the workflow plugin needs to run its job to
// the end, as examples/workflows/tools.yaml grants it.
const workflowPermissions = `    permissions:
      comfyui: [POST /prompt, GET /prompt, GET /queue, "GET /history/*", GET /view]
      jobs: true
`

func (f *reloadFixture) start(t *testing.T) *App {
	t.Helper()
	cfg, err := config.Load(f.file, f.env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger(), Env: f.env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	return a
}

// served maps each served tool to its description.
func served(a *App) map[string]string {
	m := map[string]string{}
	for _, info := range a.Tools() {
		m[info.Name] = info.Description
	}
	return m
}

func TestReloadAppliesChangesAndKeepsTheRest(t *testing.T) {
	f := newReloadFixture(t, "http://127.0.0.1:1")
	f.write(t, map[string]string{"keep": "Kept.", "edit": "Before.", "drop": "Dropped."}, "")
	a := f.start(t)
	before := map[string]*tool{}
	for _, tl := range a.current() {
		before[tl.cfg.Name] = tl
	}

	f.write(t, map[string]string{"keep": "Kept.", "edit": "After.", "add": "Added."}, "")
	changed, err := a.Reload(context.Background())
	if err != nil || !changed {
		t.Fatalf("Reload = %v, %v; want a change", changed, err)
	}
	want := map[string]string{"add": "Added.", "edit": "After.", "keep": "Kept."}
	if got := served(a); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("served %v, want %v", got, want)
	}
	for _, tl := range a.current() {
		if tl.cfg.Name == "keep" && tl != before["keep"] {
			t.Error("an unchanged tool was reloaded; it should keep its plugin and instances")
		}
	}
	if !before["edit"].isRetired() || !before["drop"].isRetired() || before["keep"].isRetired() {
		t.Error("the edited and dropped tools should be retired, the kept one not")
	}

	// A client holding the old handlers reaches the new version, or is told
	// the tool is gone.
	if got := before["edit"].acquire(); got == nil || got.Tool().Description != "After." {
		t.Errorf("a call through the replaced tool reached %v, want the new version", got)
	} else {
		got.calls.Done()
	}
	_, err = before["drop"].Call(context.Background(), json.RawMessage(`{}`), nil)
	if err == nil || !strings.Contains(err.Error(), "removed from tools.yaml") {
		t.Errorf("call of a removed tool: %v, want it to say the tool was removed", err)
	}

	if changed, err := a.Reload(context.Background()); changed || err != nil {
		t.Errorf("Reload with nothing changed = %v, %v; want no change", changed, err)
	}
}

func TestReloadFailureKeepsTheLastGoodSet(t *testing.T) {
	f := newReloadFixture(t, "http://127.0.0.1:1")
	f.write(t, map[string]string{"one": "One."}, "")
	a := f.start(t)
	good := a.current()

	os.WriteFile(filepath.Join(f.dir, "garbage.wasm"), []byte("\x00asm but not really"), 0o644)
	broken := []struct {
		name, extra, want string
	}{
		{"unknown key", "  - name: two\n    plugn: workflow.wasm\n", `tools.yaml:10: tools[1]: unknown key "plugn"`},
		{"invalid YAML", "  - name: [\n", "tools.yaml:9: invalid YAML"},
		{"plugin that does not compile", "  - name: two\n    plugin: garbage.wasm\n", "tools.yaml:9: tool two: load plugin two: not a valid WebAssembly module"},
		{"plugin that traps in describe", "  - name: two\n    plugin: workflow.wasm\n    files: {workflow: invert.json}\n    config: {wrong: key}\n", "tools.yaml:9: tool two: load plugin two: easel_describe: wasm error: unreachable"},
	}
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			f.write(t, map[string]string{"one": "One, edited."}, tc.extra)
			changed, err := a.Reload(context.Background())
			if err == nil || changed || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Reload = %v, %v; want no change and an error containing %q", changed, err, tc.want)
			}
			if !slices.Equal(a.current(), good) || served(a)["one"] != "One." {
				t.Errorf("after a failed reload: %v, want the last good set", served(a))
			}
		})
	}
}

// A call running when its tool is replaced finishes on the old plugin,
// which is closed only afterwards.
func TestReloadLetsRunningCallsFinish(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	f := newReloadFixture(t, srv.URL)
	f.write(t, map[string]string{"invert": "Old."}, "")
	a := f.start(t)
	old := a.current()[0]

	srv.PauseWorker()
	defer srv.ResumeWorker()
	done := make(chan error, 1)
	go func() {
		raw, err := old.Call(context.Background(), json.RawMessage(`{}`), nil)
		var res struct {
			IsError bool `json:"isError"`
		}
		if err == nil && (json.Unmarshal(raw, &res) != nil || res.IsError) {
			err = fmt.Errorf("error result %s", raw)
		}
		done <- err
	}()
	waitFor(t, "the call to queue its job", func() bool {
		select {
		case err := <-done:
			t.Fatalf("the call ended before the reload: %v (requests %v)", err, srv.Requests())
		default:
		}
		for _, r := range srv.Requests() {
			if r.Method == "POST" && r.Path == "/prompt" {
				return true
			}
		}
		return false
	})

	f.write(t, map[string]string{"invert": "New."}, "")
	if changed, err := a.Reload(context.Background()); err != nil || !changed {
		t.Fatalf("Reload = %v, %v", changed, err)
	}
	if got := served(a)["invert"]; got != "New." {
		t.Fatalf("served %q after the reload", got)
	}
	srv.ResumeWorker()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the call running during the reload failed: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the call running during the reload never finished")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// serve --tools narrows every reloaded configuration the same way.
func TestReloadKeepsTheToolSelection(t *testing.T) {
	f := newReloadFixture(t, "http://127.0.0.1:1")
	f.write(t, map[string]string{"get_one": "One.", "other": "Other."}, "")
	cfg, err := config.Load(f.file, f.env)
	if err != nil {
		t.Fatal(err)
	}
	sel := []string{"get_*"}
	if err := cfg.SelectTools(sel); err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger(), Env: f.env, Select: sel})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())

	f.write(t, map[string]string{"get_one": "One, edited.", "get_two": "Two.", "other": "Other, edited."}, "")
	if _, err := a.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"get_one": "One, edited.", "get_two": "Two."}
	if got := served(a); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("served %v after the reload, want %v", got, want)
	}
}

// With Watch on, replacing a .wasm plugin reloads its tool; nothing else
// is reloaded.
func TestWatchReloadsAReplacedModule(t *testing.T) {
	f := newReloadFixture(t, "http://127.0.0.1:1")
	f.write(t, map[string]string{"one": "One."}, "")
	cfg, err := config.Load(f.file, f.env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger(), Env: f.env, Watch: true, WatchDebounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	before := a.current()[0]

	// The same module with a custom section appended: other bytes, the
	// same behaviour, as a rebuild would give. Written beside the file and
	// renamed over it, as editors and build tools do.
	wasm, err := os.ReadFile(f.wasm)
	if err != nil {
		t.Fatal(err)
	}
	wasm = append(wasm, 0x00, 0x06, 0x04, 'n', 'o', 't', 'e', '!')
	tmp := f.wasm + ".tmp"
	if err := os.WriteFile(tmp, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, f.wasm); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replaced module to be served", func() bool { return a.current()[0] != before })
	// A reload swaps the served set, then retires what it replaced: the
	// swap alone can be seen first.
	waitFor(t, "the tool of the replaced module to be retired", before.isRetired)
	if got := served(a)["one"]; got != "One." {
		t.Errorf("served %q after the reload", got)
	}
}
