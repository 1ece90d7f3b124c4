// Package plugintest runs an easel plugin inside a normal `go test`: it
// builds the plugin's Go source to wasm, loads it into the same runtime the
// server uses, points it at a ComfyUI emulator (or any URL) and calls it.
// One line of setup does all of it:
//
//	func TestStatus(t *testing.T) {
//		tool, srv := plugintest.LoadEmulated(t, ".")
//		id := srv.Submit(t, workflow)
//		res := tool.Call(t, map[string]any{"prompt_id": id})
//		if res.IsError { t.Fatal(res.Text()) }
//	}
//
// The emulator (package comfyuitest) answers as ComfyUI 0.3.64 does and
// lets the test steer it: PauseWorker, HoldJob, FailJob, SetFault, Down.
// Load alone points the plugin at any URL (WithComfyUI); Open does the
// same outside a test. The plugin runs under the name and with the
// permissions of its entry in the nearest tools.yaml (the entry whose
// plugin: points at it), so a test fails when the declared grant misses a
// route the plugin needs; with no entry it is named after its folder and
// gets every permission, which the test log says.
//
// Builds and compiled code are cached under the user cache directory (or
// EASEL_CACHE_DIR), so only the first test run of a plugin pays for them.
package plugintest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/backends"
	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/gobuild"
	"github.com/easel-mcp/easel/host/plugin"
	"github.com/easel-mcp/easel/host/policy"
)

// Option configures [Load].
type Option func(*options)

type options struct {
	name        string
	comfyURL    string
	config      json.RawMessage
	files       map[string]string
	callTimeout time.Duration
	perms       *policy.Permissions
	logger      *slog.Logger
	cacheDir    string
	emulator    []comfyuitest.Option
}

// WithComfyUI points the plugin's ComfyUI requests at url (typically a
// comfyuitest server's URL). Without it the plugin has no ComfyUI.
func WithComfyUI(url string) Option { return func(o *options) { o.comfyURL = url } }

// WithName declares the tool under name, as a tools.yaml entry would. The
// default is the name of the tools.yaml entry whose plugin: points at the
// plugin (see WithPermissions for which tools.yaml), or the plugin folder's
// base name when there is none.
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithConfig hands the plugin a tools.yaml `config:` mapping (any value
// that marshals to a JSON object).
func WithConfig(v any) Option {
	return func(o *options) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		o.config = b
	}
}

// WithRawConfig hands the plugin a config mapping already in JSON, such as
// a config.Tool's Config.
func WithRawConfig(raw json.RawMessage) Option { return func(o *options) { o.config = raw } }

// WithFiles grants the plugin files by name, as a tools.yaml entry's files:
// mapping does (name → path).
func WithFiles(files map[string]string) Option { return func(o *options) { o.files = files } }

// WithPermissions grants the plugin exactly perms, as a tools.yaml entry's
// permissions: mapping does.
//
// Without it, the plugin gets the grant of its entry in the nearest
// tools.yaml (in the plugin's folder or one above it, up to go.mod) whose
// plugin: points at the plugin (and whose name is WithName's, if given):
// so a plugin's own tests fail when its declared grant misses a route it
// needs. A plugin that no tools.yaml declares gets policy.All(), every
// ComfyUI route and job waiting, so its tests exercise behaviour until it
// is declared; the test log says so, since such a test cannot catch a
// missing route. A tools.yaml that does not load (any invalid entry, even
// another tool's) fails the load: the server would refuse it too.
func WithPermissions(perms *policy.Permissions) Option {
	return func(o *options) { o.perms = perms }
}

// WithEmulator configures the ComfyUI emulator LoadEmulated starts (the
// models it offers, its history delay, ...); other loaders ignore it.
func WithEmulator(opts ...comfyuitest.Option) Option {
	return func(o *options) { o.emulator = append(o.emulator, opts...) }
}

// WithLogger sends the plugin's logs, stdout and stderr to logger. Load's
// default is the test log (shown when a test fails); Open's drops them.
func WithLogger(logger *slog.Logger) Option { return func(o *options) { o.logger = logger } }

// WithCallTimeout bounds each call (default plugin.DefaultCallTimeout).
func WithCallTimeout(d time.Duration) Option { return func(o *options) { o.callTimeout = d } }

// Tool is a loaded plugin under test.
type Tool struct {
	Plugin *plugin.Plugin
	// ClientID is the event-stream client id the plugin was given: the
	// client_id it should put in POST /prompt. Empty without WithComfyUI.
	ClientID string
	// Progress collects the progress reports of every call so far.
	progress []plugin.Progress
	mu       sync.Mutex
	closers  []func()
}

// Load builds the Go plugin in dir and loads it; everything is released when
// the test ends. dir may also name a .wasm file built by other means (a
// plugin in another language), which is loaded as it is. The tool name is
// that of the tools.yaml entry serving the plugin, else the folder's (or
// the file's without .wasm). It fails the test on any build or load error.
func Load(t testing.TB, dir string, opts ...Option) *Tool {
	t.Helper()
	tool, err := TryLoad(t, dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tool
}

// LoadEmulated is the one line of setup a plugin's test needs: it starts a
// ComfyUI emulator (comfyuitest.NewServer, with emu's options), builds the
// Go plugin in dir and loads it against the emulator, and releases both
// when the test ends. The server is returned so that the test can queue
// jobs, hold them, inject faults or take ComfyUI down.
//
//	func TestQueueSize(t *testing.T) {
//		tool, srv := plugintest.LoadEmulated(t, ".")
//		srv.PauseWorker()
//		res := tool.Call(t, map[string]any{})
//		...
//	}
//
// WithEmulator passes options to the emulator (comfyuitest.WithModels, ...).
func LoadEmulated(t testing.TB, dir string, opts ...Option) (*Tool, *comfyuitest.Server) {
	t.Helper()
	srv := comfyuitest.NewServer(t, newOptions(opts).emulator...)
	return Load(t, dir, append([]Option{WithComfyUI(srv.URL)}, opts...)...), srv
}

// TryLoad is Load returning the error of a plugin the host refuses (its
// description is invalid, or it cannot describe itself), to test that.
// Build failures still fail the test.
func TryLoad(t testing.TB, dir string, opts ...Option) (*Tool, error) {
	t.Helper()
	ctx := context.Background()
	o := newOptions(opts)
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	abs, wasm, err := build(ctx, dir, o.cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := load(ctx, abs, wasm, o)
	if tool != nil {
		t.Cleanup(tool.Close)
	}
	return tool, err
}

// Open builds the Go plugin in dir and loads it outside of a test: the
// core of Load, for examples, benchmarks of your own and programs. Logs
// are dropped unless WithLogger says where. Close the Tool when done.
func Open(ctx context.Context, dir string, opts ...Option) (*Tool, error) {
	o := newOptions(opts)
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	abs, wasm, err := build(ctx, dir, o.cacheDir)
	if err != nil {
		return nil, err
	}
	return load(ctx, abs, wasm, o)
}

func newOptions(opts []Option) options {
	o := options{cacheDir: cacheDir()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// build builds the plugin in dir (cached) and returns its absolute folder
// and module. A dir ending in .wasm is a module built by other means (a
// plugin in another language), loaded as it is.
func build(ctx context.Context, dir, cache string) (string, []byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	if strings.EqualFold(filepath.Ext(abs), ".wasm") {
		wasm, err := os.ReadFile(abs)
		return abs, wasm, err
	}
	wasmPath, err := (&gobuild.Builder{CacheDir: cache}).Build(ctx, abs)
	if err != nil {
		return "", nil, err
	}
	wasm, err := os.ReadFile(wasmPath)
	return abs, wasm, err
}

// load loads a built module as the server would. On error everything it
// started is released again.
func load(ctx context.Context, abs string, wasm []byte, o options) (tool *Tool, err error) {
	named, err := o.resolveEntry(abs)
	if err != nil {
		return nil, err
	}
	tool = &Tool{}
	defer func() {
		if err != nil {
			tool.Close()
			tool = nil
		}
	}()
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeConfig{CacheDir: o.cacheDir, Logger: o.logger})
	if err != nil {
		return tool, err
	}
	tool.closers = append(tool.closers, func() { rt.Close(context.Background()) })
	spec := plugin.Spec{Name: o.name, Wasm: wasm, Config: o.config, Files: o.files, CallTimeout: o.callTimeout, Permissions: o.perms}
	if o.comfyURL != "" {
		client, err := comfyui.New(comfyui.Config{BaseURL: o.comfyURL, Timeout: 10 * time.Second})
		if err != nil {
			return tool, err
		}
		pool, stop, err := startPool(client, o.logger)
		if err != nil {
			return tool, err
		}
		tool.closers = append(tool.closers, stop)
		spec.Requester, spec.ClientID, spec.Jobs = pool.For(nil), pool.ClientID(), pool
	}
	p, err := rt.Load(ctx, spec)
	if err != nil && !named && strings.Contains(err.Error(), "describes tool") {
		// The host's message blames tools.yaml, but no entry chose this name.
		return tool, fmt.Errorf("%w (plugintest named the tool after its folder: no tools.yaml entry has plugin: pointing at %s; declare one, or pass plugintest.WithName)", err, abs)
	}
	if err != nil {
		return tool, err
	}
	tool.Plugin, tool.ClientID = p, spec.ClientID
	return tool, nil
}

// resolveEntry completes o from the tools.yaml entry serving the plugin at
// abs: the tool name, unless WithName gave one, and the grant, unless
// WithPermissions did. Without an entry the name is the folder's and the
// grant is everything, which the test log says: a test then cannot catch
// a route missing from the grant. named reports whether the name came from
// WithName or an entry rather than the folder.
func (o *options) resolveEntry(abs string) (named bool, err error) {
	if o.name != "" && o.perms != nil {
		return true, nil // nothing to take from tools.yaml
	}
	e, found, err := declaredEntry(abs, o.name)
	switch {
	case err != nil && o.perms == nil:
		return false, fmt.Errorf("plugintest: reading the tools.yaml entry of %s: %w", abs, err)
	case err != nil:
		o.logger.Warn("plugintest: naming the tool after its folder: tools.yaml is unreadable", "err", err)
	}
	named = o.name != "" || found
	if o.name == "" {
		o.name = folderName(abs)
		if found {
			o.name = e.name
		}
	}
	switch {
	case o.perms != nil:
	case found:
		o.logger.Info("plugintest: running with the permissions of its tools.yaml entry", "tool", o.name, "at", e.from)
		o.perms = e.perms
	default:
		o.logger.Warn("plugintest: no tools.yaml entry serves this plugin, so it runs with EVERY permission (policy.All) and a route missing from its grant cannot fail this test; declare it in tools.yaml or pass plugintest.WithPermissions",
			"tool", o.name, "plugin", abs)
		o.perms = policy.All()
	}
	return named, nil
}

// Close releases the plugin, its runtime and its job watcher. Load and
// LoadEmulated call it when the test ends; call it after Open.
func (tl *Tool) Close() {
	for i := len(tl.closers) - 1; i >= 0; i-- {
		tl.closers[i]()
	}
	tl.closers = nil
}

// startPool runs the server's requester and job watcher for one ComfyUI
// until stop.
func startPool(client *comfyui.Client, logger *slog.Logger) (w *backends.Pool, stop func(), err error) {
	w, err = backends.New([]backends.Spec{{Name: "comfyui", Client: client}}, backends.Options{PollInterval: 100 * time.Millisecond, ObjectInfoTTL: -1, Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	// Give the event stream a moment to connect, so that a test's first
	// job is followed through its events, as in a server that has run for
	// a while. A ComfyUI that is down is a legitimate test subject too.
	for deadline := time.Now().Add(3 * time.Second); !w.Statuses()[0].EventStream && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	return w, func() { cancel(); <-done }, nil
}

func cacheDir() string {
	if dir := os.Getenv("EASEL_CACHE_DIR"); dir != "" {
		return dir
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "easel-plugintest")
	}
	return filepath.Join(dir, "easel")
}

// testWriter sends log lines to t.Log, so a failing test shows the
// plugin's logs and stderr.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Result is a decoded CallToolResult.
type Result struct {
	Content []struct {
		Type     string `json:"type"`
		Text     string `json:"text,omitempty"`
		Data     string `json:"data,omitempty"`
		MimeType string `json:"mimeType,omitempty"`
		URI      string `json:"uri,omitempty"`
		Name     string `json:"name,omitempty"`
	} `json:"content"`
	StructuredContent json.RawMessage `json:"structuredContent,omitempty"`
	IsError           bool            `json:"isError,omitempty"`
	// Raw is the result exactly as the plugin returned it.
	Raw json.RawMessage `json:"-"`
}

// Text joins the text items of the result.
func (r *Result) Text() string {
	var parts []string
	for _, c := range r.Content {
		if c.Type == "text" {
			parts = append(parts, c.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// Decode unmarshals the structured content into v, failing the test when
// there is none.
func (r *Result) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.StructuredContent) == 0 {
		t.Fatalf("result has no structuredContent: %s", r.Raw)
	}
	if err := json.Unmarshal(r.StructuredContent, v); err != nil {
		t.Fatalf("structuredContent %s: %v", r.StructuredContent, err)
	}
}

// Call runs the tool with args (any value that marshals to a JSON object, or
// a json.RawMessage). A call that produced no result at all (a trap, a
// timeout) fails the test; use CallErr to test those.
func (tl *Tool) Call(t testing.TB, args any) *Result {
	t.Helper()
	res, err := tl.CallErr(context.Background(), args)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// CallErr is Call without failing the test; err is a *plugin.CallError.
func (tl *Tool) CallErr(ctx context.Context, args any) (*Result, error) {
	raw, ok := args.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(args); err != nil {
			return nil, err
		}
	}
	out, err := tl.Plugin.Call(ctx, raw, func(p plugin.Progress) {
		tl.mu.Lock()
		tl.progress = append(tl.progress, p)
		tl.mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Raw: out}
	if err := json.Unmarshal(plugin.WithTextItem(out), res); err != nil {
		return nil, err
	}
	return res, nil
}

// Progress returns the progress reports received so far.
func (tl *Tool) Progress() []plugin.Progress {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]plugin.Progress(nil), tl.progress...)
}

// Info is the tool's description as the plugin gave it.
func (tl *Tool) Info() plugin.ToolInfo { return tl.Plugin.Tool() }
