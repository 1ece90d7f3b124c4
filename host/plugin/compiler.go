package plugin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// Compiling a plugin outside the serving process.
//
// wazero's compilation of a Go plugin holds 70 MB or more of heap for a
// second or two (every compiled function until the module is assembled),
// on top of what the server already holds: its resident set peaked at
// 140–160 MiB with 1,000 calls waiting for the plugin being compiled, and
// the garbage stays mapped for minutes after. With a [Compiler], a module
// that the compilation cache does not hold yet is compiled by another
// process (the easel binary, `easel internal-compile`), which leaves the
// machine code in the cache and exits, returning all of that memory; the
// Runtime then loads the module from the cache, which costs about what a
// warm start costs. The child only warms the cache: if it fails, or
// compiles for another wazero version, the Runtime compiles the module
// itself, as it does without a Compiler.

// Compiler compiles an instrumented module into the compilation cache of
// the Runtime's CacheDir, in another process; [CompileCommand] makes one,
// [CompileToCache] is what the other process runs.
type Compiler func(ctx context.Context, wasm []byte) error

// CompileCommand returns a Compiler that runs the command name with args,
// the module on its standard input. The command must call
// [CompileToCache] with the Runtime's CacheDir.
func CompileCommand(name string, args ...string) Compiler {
	return func(ctx context.Context, wasm []byte) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdin = bytes.NewReader(wasm)
		var stderr bytes.Buffer
		cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4 << 10}
		if err := cmd.Run(); err != nil {
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
			}
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil
	}
}

// CompileToCache compiles wasm, a module as the Runtime prepared it for a
// Compiler, into cacheDir's compilation cache exactly as a Runtime with
// that CacheDir would, so that the Runtime's own compilation then finds
// it. It is the compiling process's side of [CompileCommand].
func CompileToCache(ctx context.Context, cacheDir string, wasm []byte) error {
	if cacheDir == "" {
		return fmt.Errorf("compile to cache: no cache folder")
	}
	r, err := NewRuntime(ctx, RuntimeConfig{CacheDir: cacheDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer r.Close(ctx)
	compiled, err := r.compile(ctx, "", "", wasm) // no key: the Runtime that asked marks it
	if err != nil {
		return err
	}
	return compiled.Close(ctx)
}

// compile compiles a prepared module, by the Compiler first when the
// cache lacks it. Functions compile in parallel, one worker per core:
// seconds on empty caches, which the first call of a tool waits for.
func (r *Runtime) compile(ctx context.Context, tool, key string, wasm []byte) (wazero.CompiledModule, error) {
	r.precompile(ctx, tool, key, wasm)
	compiled, err := r.wz.CompileModule(experimental.WithCompilationWorkers(ctx, runtime.NumCPU()), wasm)
	if err != nil {
		return nil, fmt.Errorf("not a valid WebAssembly module: %w", err)
	}
	r.marks.mark(key)
	return compiled, nil
}

// precompile has the Compiler compile wasm when the cache has no machine
// code for key yet; its failure is logged, and the caller compiles.
func (r *Runtime) precompile(ctx context.Context, tool, key string, wasm []byte) {
	if r.compiler == nil || key == "" || r.marks.has(key) {
		return
	}
	start := time.Now()
	if err := r.compiler(ctx, wasm); err != nil {
		r.logger.Warn("compiling the plugin in a separate process failed; compiling it in this one", "tool", tool, "err", err)
		return
	}
	r.logger.Debug("plugin compiled in a separate process", "tool", tool, "elapsed", time.Since(start).Round(time.Millisecond))
}

// compiledMarks records which prepared modules the compilation cache holds
// machine code for, by module key and wazero version, since wazero offers
// no way to ask. The marks live inside wazero's cache folder, so that
// clearing that folder clears them too. A zero compiledMarks marks nothing.
type compiledMarks struct {
	dir     string
	version string // wazeroVersion, read once
}

func (m compiledMarks) path(key string) string {
	return filepath.Join(m.dir, key+"-"+m.version)
}

func (m compiledMarks) has(key string) bool {
	if m.dir == "" {
		return false
	}
	_, err := os.Stat(m.path(key))
	return err == nil
}

// mark records key as compiled; a failure only costs a later start a
// compilation in a separate process that finds the cache warm.
func (m compiledMarks) mark(key string) {
	if m.dir == "" || key == "" {
		return
	}
	if f, err := os.Create(m.path(key)); err == nil {
		f.Close()
	}
}

// wazeroVersion is the version of wazero in this binary, as its module
// records it: compiled code is only valid for the wazero that made it.
func wazeroVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/tetratelabs/wazero" {
				if dep.Replace != nil {
					return strings.ReplaceAll(dep.Replace.Version, "/", "_")
				}
				return strings.ReplaceAll(dep.Version, "/", "_")
			}
		}
	}
	return "unknown"
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

var _ io.Writer = (*limitedBuffer)(nil)
