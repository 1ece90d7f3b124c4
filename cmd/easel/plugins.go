package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/easel-mcp/easel/host/app"
	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/gobuild"
	"github.com/easel-mcp/easel/host/plugin"
)

// loader builds, compiles and describes plugins without a ComfyUI and
// without serving them: what build, tools and doctor need to know about a
// plugin before anyone calls it.
type loader struct {
	builder *gobuild.Builder
	rt      *plugin.Runtime
}

// loaded is what became of one plugin. When err is set, stage says which
// step failed: "build", "read" or "load".
type loaded struct {
	tool      config.Tool
	from      string // where the module came from: builtin:NAME, a build, the .wasm
	wasm      []byte
	sha256    string // hex digest of wasm, the value tools.yaml pins
	info      plugin.ToolInfo
	buildTime time.Duration
	loadTime  time.Duration
	stage     string
	err       error
}

func newLoader(ctx context.Context, cacheDir string, logger *slog.Logger) (*loader, error) {
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeConfig{CacheDir: cacheDir, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &loader{builder: &gobuild.Builder{CacheDir: cacheDir}, rt: rt}, nil
}

func (l *loader) close() { l.rt.Close(context.Background()) }

// module gets one plugin's module as serve would (embedded, built or
// read) and its digest.
func (l *loader) module(ctx context.Context, t config.Tool) (r loaded) {
	r.tool = t
	start := time.Now()
	wasm, from, err := app.PluginModule(ctx, l.builder, t)
	r.buildTime = time.Since(start)
	if err != nil {
		r.stage, r.err = "build", err
		return r
	}
	switch {
	case strings.HasPrefix(from, bundled.Scheme):
	case t.Kind == config.PluginGoSource:
		from = "built from " + t.Plugin
	default:
		from = t.Plugin
	}
	sum := sha256.Sum256(wasm)
	r.from, r.wasm, r.sha256 = from, wasm, hex.EncodeToString(sum[:])
	return r
}

// load gets one plugin's module, compiles and describes it, and releases
// it again: only the facts are kept.
func (l *loader) load(ctx context.Context, t config.Tool) loaded {
	r := l.module(ctx, t)
	if r.err != nil {
		return r
	}
	start := time.Now()
	p, err := l.rt.Load(ctx, plugin.Spec{Name: t.Name, Wasm: r.wasm, SHA256: t.SHA256, Config: t.Config, Files: t.Files, Permissions: t.Permissions,
		MaxMemoryBytes: t.Limits.MemoryBytes})
	r.loadTime = time.Since(start)
	if err != nil {
		r.stage, r.err = "load", err
		return r
	}
	r.info = p.Tool()
	p.Close(ctx)
	return r
}

// loadParallelism matches the host's: builds and compilations are
// CPU-bound and the target machines have two cores.
const loadParallelism = 2

// loadAll loads every tool; see each.
func (l *loader) loadAll(ctx context.Context, tools []config.Tool, done func(loaded)) []loaded {
	return l.each(ctx, tools, l.load, done)
}

// each runs step for every tool, loadParallelism at a time, calling done
// (from one goroutine at a time) as each finishes. Results are in tools'
// order.
func (l *loader) each(ctx context.Context, tools []config.Tool, step func(context.Context, config.Tool) loaded, done func(loaded)) []loaded {
	results := make([]loaded, len(tools))
	sem := make(chan struct{}, loadParallelism)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, t := range tools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			r := step(ctx, t)
			<-sem
			mu.Lock()
			defer mu.Unlock()
			results[i] = r
			if done != nil {
				done(r)
			}
		}()
	}
	wg.Wait()
	return results
}

// failure says what failed, where: "tools.yaml:7: tool x: build: ..." for
// a configured tool, "plugins/x: build: ..." for a folder.
func (r loaded) failure() string {
	if r.tool.Pos.Line > 0 {
		return fmt.Sprintf("%s: tool %s: %s: %v", r.tool.Pos, r.tool.Name, r.stage, r.err)
	}
	return fmt.Sprintf("%s: %s: %v", r.tool.Plugin, r.stage, r.err)
}

// progressLine reports a finished plugin on stderr, for terminals.
func progressLine(w io.Writer, n, total int, r loaded) {
	if r.err != nil {
		fmt.Fprintf(w, "[%d/%d] %-20s FAILED (%s)\n", n, total, r.tool.Name, r.stage)
		return
	}
	fmt.Fprintf(w, "[%d/%d] %-20s ok  %s in %s", n, total, r.tool.Name, r.from, r.buildTime.Round(time.Millisecond))
	if r.loadTime > 0 {
		fmt.Fprintf(w, ", loaded in %s", r.loadTime.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
}
