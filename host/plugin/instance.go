package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// instance is one instantiated plugin module. It serves one call at a time;
// the pool guarantees that.
type instance struct {
	plugin                    *Plugin
	mod                       api.Module
	alloc, describeFn, callFn api.Function
	stack                     []uint64
	stash                     []byte // the write-or-stash answer awaiting take
	stdout, stderr            *logWriter
	mem                       *linearMemory // nil for a module without memory
	// ctx is the context of the export call running, for host code that
	// wazero calls without one (the WASI sleep).
	ctx context.Context
	// lastUsed is when the instance last went back to the pool.
	lastUsed time.Time
}

// instantiateTimeout bounds a plugin's start-up (_initialize), or its call
// timeout if shorter, but never less than minInstantiateTimeout, which a Go
// plugin's start (5-12 ms) meets on a loaded machine.
const (
	instantiateTimeout    = 30 * time.Second
	minInstantiateTimeout = time.Second
)

func (p *Plugin) newInstance(ctx context.Context) (*instance, error) {
	in := &instance{
		plugin: p,
		stack:  make([]uint64, 2),
		stdout: newLogWriter(p.logger, slog.LevelInfo, "stdout"),
		stderr: newLogWriter(p.logger, slog.LevelWarn, "stderr"),
	}
	// The instance outlives the call that happened to create it, so it must
	// not be closed when that call's context ends: detach, but bound.
	timeout := min(instantiateTimeout, max(p.timeout, minInstantiateTimeout))
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	ictx = withCallState(ictx, &callState{inst: in, describe: true})
	ictx = experimental.WithMemoryAllocator(ictx, memoryAllocator(in))
	in.ctx = ictx
	compiled, err := p.code.take(ictx)
	if err != nil {
		return nil, err
	}
	mod, err := p.rt.wz.InstantiateModule(ictx, compiled, p.rt.moduleConfig(in))
	in.mem.exit() // the start function has returned
	if err != nil {
		p.code.give()
		if ictx.Err() != nil {
			err = fmt.Errorf("start-up timed out after %s: %w", timeout, err)
		}
		return nil, fmt.Errorf("instantiate: %w%s", err, stderrSuffix(in.stderr.takeTail()))
	}
	in.mod = mod
	in.alloc = mod.ExportedFunction(exportAlloc)
	in.describeFn = mod.ExportedFunction(exportDescribe)
	in.callFn = mod.ExportedFunction(exportCall)
	return in, nil
}

func stderrSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " (plugin stderr: " + s + ")"
}

func (in *instance) close(ctx context.Context) {
	if in.mod != nil {
		in.mod.Close(ctx)
		// The functions refer to the module, and through it to the
		// plugin's compiled code, which may be dropped once unused.
		in.mod, in.alloc, in.describeFn, in.callFn = nil, nil, nil, nil
		in.plugin.code.give()
	}
}

func (in *instance) describe(ctx context.Context) ([]byte, error) {
	ctx = withCallState(ctx, &callState{inst: in, describe: true})
	in.ctx = ctx
	in.stash = nil
	in.mem.enter()
	defer in.mem.exit()
	if err := in.describeFn.CallWithStack(ctx, in.stack); err != nil {
		return nil, fmt.Errorf("easel_describe: %w%s", err, stderrSuffix(in.stderr.takeTail()))
	}
	return in.readResult(exportDescribe, in.stack[0])
}

// call writes input into a guest buffer, runs easel_call and copies the
// outcome out.
func (in *instance) call(ctx context.Context, input []byte, progress func(Progress)) ([]byte, error) {
	ctx = withCallState(ctx, &callState{inst: in, progress: progress})
	in.ctx = ctx
	in.stash = nil
	in.mem.enter()
	defer in.mem.exit()
	in.stack[0] = uint64(len(input))
	if err := in.alloc.CallWithStack(ctx, in.stack); err != nil {
		return nil, fmt.Errorf("easel_alloc: %w", err)
	}
	ptr := api.DecodeU32(in.stack[0])
	if ptr == 0 && len(input) > 0 {
		return nil, fmt.Errorf("easel_alloc(%d) returned 0", len(input))
	}
	if !in.mod.Memory().Write(ptr, input) {
		return nil, fmt.Errorf("easel_alloc(%d) returned %d, outside the plugin's memory", len(input), ptr)
	}
	in.stack[0], in.stack[1] = uint64(ptr), uint64(len(input))
	if err := in.callFn.CallWithStack(ctx, in.stack); err != nil {
		return nil, err
	}
	return in.readResult(exportCall, in.stack[0])
}

func (in *instance) readResult(export string, packed uint64) ([]byte, error) {
	ptr, n := unpack(packed)
	if int(n) > in.plugin.maxOutput {
		return nil, fmt.Errorf("%s returned %d bytes, over the %d-byte limit (tools.yaml limits.max_output_bytes)", export, n, in.plugin.maxOutput)
	}
	b, ok := in.mod.Memory().Read(ptr, n)
	if !ok {
		return nil, fmt.Errorf("%s returned range [%d, %d+%d), outside the plugin's memory", export, ptr, ptr, n)
	}
	return append([]byte(nil), b...), nil
}
