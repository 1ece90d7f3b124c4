// Package app assembles an easel server from a loaded configuration: the
// ComfyUI client, the plugin runtime, one plugin per configured tool (built
// from Go source when needed) and the MCP server in front of them.
//
// It is the only package that knows every other host package; each of those
// knows nothing of the others beyond the interfaces it declares.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/easel-mcp/easel/host/backends"
	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/gobuild"
	"github.com/easel-mcp/easel/host/mcpserver"
	"github.com/easel-mcp/easel/host/memtune"
	"github.com/easel-mcp/easel/host/plugin"
	"github.com/easel-mcp/easel/host/proctune"
)

// Options are the process-level settings that do not come from tools.yaml.
type Options struct {
	// Logger receives every log record; nil means slog.Default().
	Logger *slog.Logger
	// Version is reported to MCP clients.
	Version string
	// Stateless serves streamable HTTP without sessions, for replicas
	// behind a load balancer (mcpserver.HTTPOptions).
	Stateless bool
	// Watch makes the App reload its tools when the configuration file or a
	// plugin changes (see [App.Reload]), unless the file says watch: false.
	Watch bool
	// WatchDebounce is how long after the last file event a reload starts;
	// 0 means 300ms.
	WatchDebounce time.Duration
	// Env is the environment a reload reads the configuration with; nil
	// means the process environment.
	Env config.Env
	// Select are the tool name patterns the configuration was narrowed to
	// (serve --tools, [config.Config.SelectTools]); a reload applies them
	// again.
	Select []string
	// Observer, if not nil, receives measurements for metrics (package
	// metrics implements it); see also the Source methods of App.
	Observer Observer
	// ShutdownTimeout bounds how long in-flight calls may finish once stdin
	// closes or the server is told to stop; 0 means
	// mcpserver.DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Procs, if not nil, is serve's processor setting: each plugin load
	// has every core for its compilation (package proctune).
	Procs *proctune.Procs
	// CompileCommand, if not empty, is the command line of a process that
	// compiles a plugin into the compilation cache (`easel
	// internal-compile`, which calls plugin.CompileToCache); the cache
	// folder is appended to it. A plugin the cache does not hold is then
	// compiled there, and its memory is never this process's. Empty, or
	// without a cache folder, plugins compile in this process.
	CompileCommand []string
}

// Observer receives what easel measures as it runs. Its methods must be
// fast and safe for concurrent use.
type Observer interface {
	// ToolCall is one MCP tool call: outcome is one of mcpserver's
	// Outcome constants.
	ToolCall(tool, outcome string, d time.Duration)
	// ComfyUIRequest is one HTTP request to a ComfyUI backend; status 0
	// means no response came.
	ComfyUIRequest(backend, method, path string, status int, d time.Duration)
}

// App is a ready-to-serve easel: every tool described, its plugin loaded
// or loading.
type App struct {
	cfg       *config.Config // as loaded at start; a reload changes only the tools
	env       config.Env
	selection []string // tool patterns a reload applies again
	logger    *slog.Logger
	pool      *backends.Pool     // the ComfyUI servers, their event streams and health
	bgctx     context.Context    // background work: loading, watching, retiring
	stop      context.CancelFunc // ends bgctx
	bg        sync.WaitGroup
	loading   chan struct{} // bounds concurrent plugin loads
	rtMu      sync.Mutex
	rt        *plugin.Runtime   // made by the first load; see runtime
	mem       memtune.Releaser  // returns what a plugin load freed to the OS
	memLimit  memtune.LoadLimit // bounds a plugin load's garbage
	procs     *proctune.Procs   // raised while a plugin loads
	compile   []string          // Options.CompileCommand
	builder   *gobuild.Builder
	mcp       *mcpserver.Server
	httpOpts  mcpserver.HTTPOptions

	reloadMu sync.Mutex // one reload at a time
	mu       sync.Mutex // guards tools and registrations in mcp
	tools    []*tool    // served now, in configuration order
}

// New prepares every tool of cfg and returns as soon as each tool's
// description is known. Tools whose description is cached (or committed
// beside a bundled plugin as tool.json) are built and compiled on their
// first call (see loadLater), so that a client's tools/list is answered at
// once even on a fresh install; the others are loaded before New returns, and New fails,
// naming the tools.yaml line, if one of those cannot be built, compiled or
// described.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	a := &App{cfg: cfg, env: envOrDefault(opts.Env), selection: opts.Select, logger: opts.Logger, builder: &gobuild.Builder{CacheDir: cfg.CacheDir},
		loading: make(chan struct{}, loadParallelism), httpOpts: mcpserver.HTTPOptions{Stateless: opts.Stateless}, procs: opts.Procs, compile: opts.CompileCommand}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	var err error
	if a.pool, err = newPool(cfg, a.logger, opts.Observer); err != nil {
		return nil, err
	}
	bgctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.bgctx, a.stop = bgctx, cancel
	a.startWatcher(bgctx)

	start := time.Now()
	var now, later []*tool
	sources := a.builder.SourceCache()
	for _, ct := range cfg.Tools {
		t := &tool{cfg: ct, ready: make(chan struct{})}
		if t.key, err = toolKey(sources, ct); err != nil {
			a.Close(ctx)
			return nil, fmt.Errorf("%s: tool %s: %w", ct.Pos, ct.Name, err)
		}
		if info, ok := a.knownInfo(t); ok {
			t.info = info
			later = append(later, t)
		} else {
			now = append(now, t)
		}
		a.tools = append(a.tools, t)
	}
	if err := a.loadAll(ctx, now); err != nil {
		a.Close(ctx)
		return nil, err
	}
	a.logger.Info("tools ready", "tools", len(a.tools), "loaded", len(now), "loading_on_first_use", len(later), "elapsed", time.Since(start).Round(time.Millisecond))
	var tools []mcpserver.Tool
	for _, t := range a.tools {
		if t.Tool().Name != "" { // a plugin of prompts and resources only
			tools = append(tools, t)
		}
	}
	tools, files := a.injectCallFaults(tools, a.pool)
	mopts := mcpserver.Options{Name: "easel", Version: opts.Version, Logger: a.logger, Files: files, ShutdownTimeout: opts.ShutdownTimeout, NoListChanged: opts.Stateless}
	if opts.Observer != nil {
		mopts.Observe = opts.Observer.ToolCall
	}
	a.mcp, err = mcpserver.New(tools, mopts)
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	for _, t := range now {
		if err := a.addProvider(t); err != nil {
			a.Close(ctx)
			return nil, fmt.Errorf("%s: tool %s: %w", t.cfg.Pos, t.cfg.Name, err)
		}
	}
	for _, t := range later {
		t.loader = func() {
			a.bg.Add(1)
			go func() {
				defer a.bg.Done()
				a.loadLater(bgctx, t)
			}()
		}
	}
	if opts.Watch && cfg.Watch {
		if err := a.watch(bgctx, cmp.Or(opts.WatchDebounce, defaultDebounce), sources); err != nil {
			a.logger.Error("tools are not reloaded on change", "err", err)
		}
	}
	return a, nil
}

// loadLater loads, on its first call, a plugin whose description was
// already known, and corrects the served description if the plugin now
// describes itself differently (a stale cache or tool.json). Loading on
// first use rather than at start keeps an idle easel small: a compiled Go
// plugin is tens of MiB of machine code, and a session calls a few of the
// tools it lists. Two plugins load at a time.
func (a *App) loadLater(ctx context.Context, t *tool) {
	select {
	case a.loading <- struct{}{}:
		defer func() { <-a.loading }()
	case <-ctx.Done():
	}
	start := time.Now()
	p, err := a.loadPlugin(ctx, t.cfg)
	switch {
	case err != nil && ctx.Err() != nil:
		err = errors.New("easel is shutting down")
	case err != nil:
		a.logger.Error("plugin failed to load; its tool answers with the error", "tool", t.cfg.Name, "at", t.cfg.Pos.String(), "err", err)
	default:
		a.logger.Info("plugin loaded on first use", "tool", t.cfg.Name, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	if t.settle(p, err) {
		a.logger.Warn("tool description changed after loading; updating clients", "tool", t.cfg.Name)
		if err := a.updateTool(t); err != nil {
			a.logger.Error("cannot update tool", "tool", t.cfg.Name, "err", err)
		}
	}
	if err == nil {
		a.remember(t)
		if err := a.addProvider(t); err != nil {
			a.logger.Error("plugin's prompts and resources are not served", "tool", t.cfg.Name, "at", t.cfg.Pos.String(), "err", err)
		}
	}
	// Compiling a Go plugin peaks at tens of MiB of heap that is garbage
	// once it is done; return it now rather than at the scavenger's pace.
	a.mem.Release()
}

// addProvider serves the prompts and resources of t's plugin, if it has
// any.
func (a *App) addProvider(t *tool) error {
	p := t.loaded()
	if p == nil || p.Features().Empty() || t.isRetired() {
		return nil
	}
	return a.mcp.AddProvider(p)
}

// loadAll loads tools now, in parallel; every failure is returned.
func (a *App) loadAll(ctx context.Context, tools []*tool) error {
	errs := make([]error, len(tools))
	index := map[*tool]int{}
	for i, t := range tools {
		index[t] = i
	}
	a.forEach(tools, func(t *tool) {
		p, err := a.loadPlugin(ctx, t.cfg)
		if err != nil {
			errs[index[t]] = fmt.Errorf("%s: tool %s: %w", t.cfg.Pos, t.cfg.Name, err)
		} else {
			t.info = p.Tool()
			a.remember(t)
		}
		t.settle(p, err)
	})
	if len(tools) > 0 {
		a.mem.Release() // as loadLater does
	}
	return errors.Join(errs...)
}

// forEach runs fn for every tool, loadParallelism at a time.
func (a *App) forEach(tools []*tool, fn func(*tool)) {
	sem := make(chan struct{}, loadParallelism)
	var wg sync.WaitGroup
	for _, t := range tools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fn(t)
		}()
	}
	wg.Wait()
}

// startWatcher starts following the ComfyUI servers' event streams (for the
// plugins that wait on jobs) and probing their health, until ctx ends.
func (a *App) startWatcher(ctx context.Context) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		a.pool.Run(ctx)
	}()
}

// newPool makes the pool of ComfyUI servers of cfg: the backends: list, or
// the one comfyui: server.
func newPool(cfg *config.Config, logger *slog.Logger, obs Observer) (*backends.Pool, error) {
	var specs []backends.Spec
	for _, b := range cfg.BackendList() {
		cc := comfyuiConfig(b.ComfyUI)
		if obs != nil {
			name := b.Name
			cc.Observe = func(method, path string, status int, d time.Duration) {
				obs.ComfyUIRequest(name, method, path, status, d)
			}
		}
		client, err := comfyui.New(cc)
		if err != nil {
			if len(cfg.Backends) == 0 {
				return nil, fmt.Errorf("%s: comfyui: %w", cfg.File, err)
			}
			return nil, fmt.Errorf("%s: backend %s: %w", b.Pos, b.Name, err)
		}
		specs = append(specs, backends.Spec{Name: b.Name, Labels: b.Labels, Weight: b.Weight, Client: client})
	}
	return backends.New(specs, backends.Options{Logger: logger})
}

// comfyuiURLs lists the ComfyUI servers for the start-up log line.
func (a *App) comfyuiURLs() string {
	var urls []string
	for _, b := range a.cfg.BackendList() {
		urls = append(urls, b.ComfyUI.URL)
	}
	return strings.Join(urls, " ")
}

func comfyuiConfig(c config.ComfyUI) comfyui.Config {
	cc := comfyui.Config{
		BaseURL:          c.URL,
		Timeout:          c.Timeout,
		ConnectTimeout:   c.ConnectTimeout,
		MaxResponseBytes: c.MaxResponseBytes,
	}
	if c.Auth != nil {
		cc.Header = http.Header{}
		cc.Header.Set(c.Auth.Header, c.Auth.HeaderValue())
	}
	return cc
}

// loadParallelism bounds concurrent plugin builds and compilations: both
// are CPU-bound and the target machines have two cores.
const loadParallelism = 2

// loadPlugin builds (for Go source), compiles and describes one plugin.
func (a *App) loadPlugin(ctx context.Context, t config.Tool) (*plugin.Plugin, error) {
	defer a.procs.Burst()()
	defer a.memLimit.Begin()()
	mod, err := a.pluginModule(ctx, t)
	if err != nil {
		return nil, err
	}
	rt, err := a.runtime(ctx)
	if err != nil {
		return nil, err
	}
	p, err := rt.Load(ctx, plugin.Spec{
		Name:        t.Name,
		Wasm:        mod.wasm,
		Module:      mod.open,
		Digest:      mod.digest,
		SHA256:      t.SHA256,
		Config:      t.Config,
		Files:       t.Files,
		Permissions: t.Permissions,
		Requester:   injectRequestFaults(a.pool.For(t.BackendLabels)),
		ClientID:    a.pool.ClientID(),
		Jobs:        a.pool,

		CallTimeout:      t.Limits.Timeout,
		MaxMemoryBytes:   t.Limits.MemoryBytes,
		MaxOutputBytes:   int(t.Limits.MaxOutputBytes),
		MaxResponseBytes: int(t.Limits.MaxResponseBytes),
		MaxInstances:     t.Limits.MaxInstances,
	})
	if err != nil && t.SHA256 != "" {
		err = fmt.Errorf("%s (pinned at %s): %w", t.Name, t.Pos, err)
	}
	return p, err
}

// runtime returns the plugin runtime, made on first use: a start whose
// tools are all described from the cache loads no plugin before its first
// call, and wazero's runtime with its host modules costs milliseconds that
// tools/list does not need.
func (a *App) runtime(ctx context.Context) (*plugin.Runtime, error) {
	a.rtMu.Lock()
	defer a.rtMu.Unlock()
	if a.rt != nil {
		return a.rt, nil
	}
	rc := plugin.RuntimeConfig{CacheDir: a.cfg.CacheDir, Logger: a.logger}
	if len(a.compile) > 0 && a.cfg.CacheDir != "" {
		rc.Compiler = plugin.CompileCommand(a.compile[0], append(a.compile[1:len(a.compile):len(a.compile)], a.cfg.CacheDir)...)
	}
	rt, err := plugin.NewRuntime(context.WithoutCancel(ctx), rc)
	if err != nil {
		return nil, err
	}
	a.rt = rt
	return rt, nil
}

// Tools lists the tools' descriptions, in configuration order.
func (a *App) Tools() []plugin.ToolInfo {
	tools := a.current()
	infos := make([]plugin.ToolInfo, len(tools))
	for i, t := range tools {
		infos[i] = t.Tool()
	}
	return infos
}

// WaitLoaded loads every plugin not loaded yet and blocks until each has
// loaded (or failed to).
func (a *App) WaitLoaded(ctx context.Context) error {
	for _, t := range a.current() {
		t.startLoading()
	}
	for _, t := range a.current() {
		select {
		case <-t.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// ServeStdio serves one MCP client on stdin/stdout until stdin ends or ctx is
// done.
func (a *App) ServeStdio(ctx context.Context) error {
	a.logger.Info("serving MCP on stdio", "comfyui", a.comfyuiURLs())
	in, out := pollableStdio()
	return a.mcp.ServeStdio(ctx, in, out)
}

// MCPHandler serves streamable MCP; `serve --http` mounts it at /mcp
// behind package httpguard (see package httpserver), which checks Host and
// Origin, so mcp-go's narrower Host check is off.
func (a *App) MCPHandler() http.Handler {
	opts := a.httpOpts
	opts.HostChecked = true
	opts.MaxBodyBytes = a.cfg.HTTP.MaxBodyBytes // zero: the same default as httpguard's
	return a.mcp.HTTPHandler(opts)
}

// Drain stops taking tool calls and waits until those in flight have
// finished or ctx ends; it returns how many were still running. `serve
// --http` calls it on shutdown, before closing the connections.
func (a *App) Drain(ctx context.Context) int { return a.mcp.Drain(ctx) }

// Close stops the event stream and background loading, and releases
// plugins and the runtime.
func (a *App) Close(ctx context.Context) error {
	if a.stop != nil {
		a.stop()
	}
	a.bg.Wait()
	for _, t := range a.current() {
		if t.p != nil {
			t.p.Close(ctx)
		}
	}
	a.rtMu.Lock()
	defer a.rtMu.Unlock()
	if a.rt != nil {
		return a.rt.Close(ctx)
	}
	return nil
}
