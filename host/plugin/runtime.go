package plugin

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// RuntimeConfig configures a [Runtime].
type RuntimeConfig struct {
	// CacheDir holds wazero's compiled machine code, so that a second start
	// compiles a plugin in tens of milliseconds instead of seconds. Empty
	// means no on-disk cache.
	CacheDir string
	// MemoryLimitPages caps every instance's linear memory, in 64 KiB pages.
	// Zero means DefaultMemoryLimitPages.
	MemoryLimitPages uint32
	// Logger receives plugin logs, stdout and stderr. Nil means slog.Default().
	Logger *slog.Logger
}

// DefaultMemoryLimitPages is 256 MiB: far above what a Go plugin needs (about
// 9 MiB warm), low enough that a runaway allocation fails the call instead of
// the host.
const DefaultMemoryLimitPages = 4096

// Runtime compiles and runs plugins. One Runtime serves every plugin of a
// process; it is safe for concurrent use.
type Runtime struct {
	wz     wazero.Runtime
	cache  wazero.CompilationCache
	logger *slog.Logger
}

// NewRuntime creates the wazero runtime with the WASI and easel_v1 host
// modules. Close it to release compiled code and instances.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	r := &Runtime{logger: cfg.Logger}
	if r.logger == nil {
		r.logger = slog.Default()
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(orDefault(cfg.MemoryLimitPages, DefaultMemoryLimitPages))
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

// maxSleepSlice bounds one guest sleep. The guest's scheduler sleeps again
// if its timer has not fired, and between slices wasm code runs, which is
// where a cancelled call is stopped.
const maxSleepSlice = 50 * time.Millisecond

// moduleConfig is the sandbox of every instance: no args, env, files or
// sockets; real clocks and randomness; output to the log.
func (r *Runtime) moduleConfig(stdout, stderr *logWriter) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName(""). // anonymous: many instances of one compiled module
		WithStartFunctions("_initialize").
		WithStdout(stdout).
		WithStderr(stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(func(ns int64) { time.Sleep(min(time.Duration(ns), maxSleepSlice)) }).
		WithRandSource(rand.Reader)
}
