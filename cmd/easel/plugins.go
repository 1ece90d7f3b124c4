package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

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
	wasmPath  string // the module: the build's output, or the configured .wasm
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

// load builds (for Go source), reads, compiles and describes one plugin,
// and releases it again: only the facts are kept.
func (l *loader) load(ctx context.Context, t config.Tool) (r loaded) {
	r.tool, r.wasmPath = t, t.Path
	if t.Kind == config.PluginGoSource {
		start := time.Now()
		built, err := l.builder.Build(ctx, t.Path)
		r.buildTime = time.Since(start)
		if err != nil {
			r.stage, r.err = "build", err
			return r
		}
		r.wasmPath = built
	}
	wasm, err := os.ReadFile(r.wasmPath)
	if err != nil {
		r.stage, r.err = "read", err
		return r
	}
	sum := sha256.Sum256(wasm)
	r.wasm, r.sha256 = wasm, hex.EncodeToString(sum[:])
	start := time.Now()
	p, err := l.rt.Load(ctx, plugin.Spec{Name: t.Name, Wasm: wasm, SHA256: t.SHA256, Config: t.Config, Files: t.Files, Permissions: t.Permissions,
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

// loadAll loads every tool, loadParallelism at a time, calling done (from
// one goroutine at a time) as each finishes. Results are in tools' order.
func (l *loader) loadAll(ctx context.Context, tools []config.Tool, done func(loaded)) []loaded {
	results := make([]loaded, len(tools))
	sem := make(chan struct{}, loadParallelism)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, t := range tools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			r := l.load(ctx, t)
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
	fmt.Fprintf(w, "[%d/%d] %-20s ok  build %s, load %s\n", n, total, r.tool.Name,
		r.buildTime.Round(time.Millisecond), r.loadTime.Round(time.Millisecond))
}
