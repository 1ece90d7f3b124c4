// Package app assembles an easel server from a loaded configuration: the
// ComfyUI client, the plugin runtime, one plugin per configured tool (built
// from Go source when needed) and the MCP server in front of them.
//
// It is the only package that knows every other host package; each of those
// knows nothing of the others beyond the interfaces it declares.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/gobuild"
	"github.com/easel-mcp/easel/host/jobs"
	"github.com/easel-mcp/easel/host/mcpserver"
	"github.com/easel-mcp/easel/host/plugin"
)

// Options are the process-level settings that do not come from tools.yaml.
type Options struct {
	// Logger receives every log record; nil means slog.Default().
	Logger *slog.Logger
	// Version is reported to MCP clients.
	Version string
}

// App is a ready-to-serve easel: every plugin loaded and described.
type App struct {
	cfg      *config.Config
	logger   *slog.Logger
	comfy    *comfyui.Client
	requests comfyui.Doer // comfy behind the /object_info cache, for plugins
	jobs     *jobs.Watcher
	stop     context.CancelFunc // stops the watcher
	stopped  chan struct{}
	rt       *plugin.Runtime
	plugins  []*plugin.Plugin
	mcp      *mcpserver.Server
}

// New loads every tool of cfg. It fails, naming the tools.yaml line, if any
// plugin cannot be built, compiled or described; easel never serves a partial
// tool set silently.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	a := &App{cfg: cfg, logger: opts.Logger}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	var err error
	a.comfy, err = comfyui.New(comfyuiConfig(cfg.ComfyUI))
	if err != nil {
		return nil, fmt.Errorf("%s: comfyui: %w", cfg.File, err)
	}
	a.requests = comfyui.NewObjectInfoCache(a.comfy, objectInfoTTL)
	a.rt, err = plugin.NewRuntime(ctx, plugin.RuntimeConfig{CacheDir: cfg.CacheDir, Logger: a.logger})
	if err != nil {
		return nil, err
	}
	a.startWatcher()
	start := time.Now()
	if a.plugins, err = a.loadPlugins(ctx); err != nil {
		a.Close(ctx)
		return nil, err
	}
	a.logger.Info("plugins loaded", "tools", len(a.plugins), "elapsed", time.Since(start).Round(time.Millisecond))
	tools := make([]mcpserver.Tool, len(a.plugins))
	for i, p := range a.plugins {
		tools[i] = p
	}
	a.mcp, err = mcpserver.New(tools, mcpserver.Options{Name: "easel", Version: opts.Version, Logger: a.logger, Files: comfyFiles{a.comfy}})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	return a, nil
}

// startWatcher starts following ComfyUI's event stream for the plugins that
// wait on jobs. It runs until Close.
func (a *App) startWatcher() {
	a.jobs = jobs.NewWatcher(a.comfy, jobs.Options{Logger: a.logger})
	ctx, cancel := context.WithCancel(context.Background())
	a.stop, a.stopped = cancel, make(chan struct{})
	go func() {
		defer close(a.stopped)
		a.jobs.Run(ctx)
	}()
}

// comfyFiles serves comfyui:// resources from ComfyUI's /view.
type comfyFiles struct{ c *comfyui.Client }

func (f comfyFiles) ReadFile(ctx context.Context, uri string) ([]byte, string, error) {
	ref, err := comfyui.ParseFileURI(uri)
	if err != nil {
		return nil, "", err
	}
	return f.c.View(ctx, ref)
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

// objectInfoTTL is how long node definitions are served from memory: they
// change only when ComfyUI restarts with other custom nodes, or on uploads
// (which clear the cache).
const objectInfoTTL = 5 * time.Minute

// loadParallelism bounds concurrent plugin builds and compilations: both
// are CPU-bound and the target machines have two cores.
const loadParallelism = 2

// loadPlugins builds and loads every tool, in parallel, keeping the
// configuration's order.
func (a *App) loadPlugins(ctx context.Context) ([]*plugin.Plugin, error) {
	builder := &gobuild.Builder{CacheDir: a.cfg.CacheDir}
	plugins := make([]*plugin.Plugin, len(a.cfg.Tools))
	errs := make([]error, len(a.cfg.Tools))
	sem := make(chan struct{}, loadParallelism)
	var wg sync.WaitGroup
	for i, t := range a.cfg.Tools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p, err := a.loadPlugin(ctx, builder, t)
			if err != nil {
				errs[i] = fmt.Errorf("%s: tool %s: %w", t.Pos, t.Name, err)
				return
			}
			plugins[i] = p
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, p := range plugins {
			if p != nil {
				p.Close(ctx)
			}
		}
		return nil, err
	}
	return plugins, nil
}

func (a *App) loadPlugin(ctx context.Context, builder *gobuild.Builder, t config.Tool) (*plugin.Plugin, error) {
	path := t.Path
	if t.Kind == config.PluginGoSource {
		start := time.Now()
		built, err := builder.Build(ctx, t.Path)
		if err != nil {
			return nil, err
		}
		a.logger.Debug("plugin source ready", "tool", t.Name, "wasm", built, "elapsed", time.Since(start).Round(time.Millisecond))
		path = built
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plugin: %w", err)
	}
	return a.rt.Load(ctx, plugin.Spec{
		Name:      t.Name,
		Wasm:      wasm,
		Config:    t.Config,
		Files:     t.Files,
		Requester: a.requests,
		ClientID:  a.jobs.ClientID(),
		Jobs:      a.jobs,
	})
}

// Tools lists the loaded tools' descriptions, in configuration order.
func (a *App) Tools() []plugin.ToolInfo {
	infos := make([]plugin.ToolInfo, len(a.plugins))
	for i, p := range a.plugins {
		infos[i] = p.Tool()
	}
	return infos
}

// ServeStdio serves one MCP client on stdin/stdout until stdin ends or ctx is
// done.
func (a *App) ServeStdio(ctx context.Context) error {
	a.logger.Info("serving MCP on stdio", "comfyui", a.comfy.BaseURL())
	return a.mcp.ServeStdio(ctx, os.Stdin, os.Stdout)
}

// Handler is the HTTP handler of `serve --http`: streamable MCP at /mcp.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/mcp", a.mcp.HTTPHandler())
	return mux
}

// shutdownGrace bounds how long in-flight HTTP requests may finish after ctx
// ends.
const shutdownGrace = 10 * time.Second

// ServeHTTP listens on addr and serves until ctx is done, then drains.
// ready, if not nil, receives the bound address once listening (useful with
// port 0).
func (a *App) ServeHTTP(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	a.logger.Info("serving MCP over streamable HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "comfyui", a.comfy.BaseURL())
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	return srv.Shutdown(sctx)
}

// Close stops the event stream and releases plugins and the runtime.
func (a *App) Close(ctx context.Context) error {
	if a.stop != nil {
		a.stop()
		<-a.stopped
	}
	for _, p := range a.plugins {
		p.Close(ctx)
	}
	if a.rt != nil {
		return a.rt.Close(ctx)
	}
	return nil
}
