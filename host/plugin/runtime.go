package plugin

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/easel-mcp/easel/host/memtune"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// RuntimeConfig configures a [Runtime].
type RuntimeConfig struct {
	// CacheDir holds wazero's compiled machine code and the instrumented
	// modules it was compiled from, so that a second start loads a plugin
	// in tens of milliseconds instead of seconds. Empty means no on-disk
	// cache.
	CacheDir string
	// Logger receives plugin logs, stdout and stderr. Nil means slog.Default().
	Logger *slog.Logger
	// Compiler, with a CacheDir, compiles modules the cache does not hold
	// yet in another process, so that the compilation's memory is never
	// this process's (see compiler.go). Nil compiles them here.
	Compiler Compiler

	// interrupt selects how runaway plugins are stopped; only benchmarks
	// change it, to measure the alternatives in one run.
	interrupt interruptMode
	// idleTimeout and codeIdle replace DefaultIdleTimeout and
	// DefaultCodeIdle when not zero; only tests change them.
	idleTimeout, codeIdle time.Duration
}

// interruptMode is a design for stopping a plugin that does not return.
type interruptMode int

const (
	interruptFuel        interruptMode = iota // instrumented modules yield to the host (the design)
	interruptCloseOnDone                      // wazero's WithCloseOnContextDone
	interruptNone                             // nothing: unsafe, the baseline of benchmarks
)

// Runtime compiles and runs plugins. One Runtime serves every plugin of a
// process; it is safe for concurrent use.
type Runtime struct {
	interrupt interruptMode
	wz        wazero.Runtime
	cache     wazero.CompilationCache
	modules   moduleCache   // instrumented modules, beside cache
	marks     compiledMarks // which of them cache holds machine code for
	compiler  Compiler
	logger    *slog.Logger

	idleTimeout, codeIdle time.Duration    // see RuntimeConfig
	memory                memtune.Releaser // returns a dropped module's memory
}

// NewRuntime creates the wazero runtime with the WASI and easel_v1 host
// modules. Close it to release compiled code and instances.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	r := &Runtime{logger: cfg.Logger, interrupt: cfg.interrupt,
		idleTimeout: orDefault(cfg.idleTimeout, DefaultIdleTimeout), codeIdle: orDefault(cfg.codeIdle, DefaultCodeIdle)}
	if r.logger == nil {
		r.logger = slog.Default()
	}
	// No WithCloseOnContextDone: modules are instrumented to yield to the
	// host instead (see interrupt.go), and each plugin's memory cap is
	// written into its module, so the runtime keeps wazero's 4 GiB ceiling.
	rc := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(r.interrupt == interruptCloseOnDone)
	if cfg.CacheDir != "" {
		dir := filepath.Join(cfg.CacheDir, "wazero")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create compilation cache %s: %w", dir, err)
		}
		cache, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("open compilation cache %s: %w", dir, err)
		}
		r.cache = cache
		rc = rc.WithCompilationCache(cache)
		r.compiler = cfg.Compiler
		r.marks = compiledMarks{dir: filepath.Join(dir, "easel-compiled"), version: wazeroVersion()}
		if err := os.MkdirAll(r.marks.dir, 0o700); err != nil {
			return nil, fmt.Errorf("create compilation cache %s: %w", r.marks.dir, err)
		}
		r.modules.dir = filepath.Join(cfg.CacheDir, "instrumented")
		if err := os.MkdirAll(r.modules.dir, 0o700); err != nil {
			return nil, fmt.Errorf("create module cache %s: %w", r.modules.dir, err)
		}
	}
	r.wz = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.wz); err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI: %w", err)
	}
	if err := r.instantiateHostModule(ctx); err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("instantiate %s host module: %w", HostModule, err)
	}
	if err := r.instantiateInterruptModule(ctx); err != nil {
		r.Close(ctx)
		return nil, err
	}
	return r, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Close releases everything the runtime compiled or instantiated.
func (r *Runtime) Close(ctx context.Context) error {
	err := r.wz.Close(ctx)
	if r.cache != nil {
		if cerr := r.cache.Close(ctx); err == nil {
			err = cerr
		}
	}
	return err
}

// moduleConfig is the sandbox of every instance: no args, env, files or
// sockets; real clocks and randomness; output to the log; sleeps that end
// when the instance's call does.
func (r *Runtime) moduleConfig(in *instance) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName(""). // anonymous: many instances of one compiled module
		WithStartFunctions("_initialize").
		WithStdout(in.stdout).
		WithStderr(in.stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(in.sleep).
		WithRandSource(rand.Reader)
}
