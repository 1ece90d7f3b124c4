package plugin

import (
	"context"
	"fmt"
	"time"

	"github.com/easel-mcp/easel/host/plugin/internal/instrument"
	"github.com/tetratelabs/wazero/api"
)

// How a runaway plugin is stopped (docs/design.md, "The cost of stopping
// runaway plugins"): every module is rewritten before it is compiled so that
// its loops, calling functions and bulk memory operations spend fuel, and
// every fuelPerYield units it calls the host function below, which traps
// when the call's context has ended. That costs a few instructions per loop
// iteration instead of wazero's WithCloseOnContextDone, which leaves machine
// code for Go on every iteration. The exit to Go is also what lets the Go
// scheduler and garbage collector stop the goroutine running a spinning
// plugin: without one, the next collection would wait for it forever.

// Where the instrumentation's host function lives: a module of its own, so
// that it is no part of the plugin ABI.
const (
	interruptModule = "easel_sandbox"
	interruptName   = "yield"
)

// fuelPerYield is about a millisecond of a tight loop, and 64 MiB of bulk
// memory operations: the longest a plugin runs past its deadline, and the
// longest it can delay a garbage collection.
const fuelPerYield = 1 << 20

// instrumentOptions rewrite a plugin module for interruption and memory
// capping.
func instrumentOptions(maxMemoryBytes int64) instrument.Options {
	return instrument.Options{
		ImportModule:   interruptModule,
		ImportName:     interruptName,
		Fuel:           fuelPerYield,
		MaxMemoryPages: uint32(min(maxMemoryBytes>>16, 1<<16)),
	}
}

// instantiateInterruptModule provides the instrumentation's host function.
func (r *Runtime) instantiateInterruptModule(ctx context.Context) error {
	_, err := r.wz.NewHostModuleBuilder(interruptModule).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostYield), nil, nil).Export(interruptName).
		Instantiate(ctx)
	if err != nil {
		return fmt.Errorf("instantiate %s host module: %w", interruptModule, err)
	}
	return nil
}

// hostYield stops the plugin when its call is over. A panic in a host
// function becomes the error of the export call, and the instance that
// returned it is discarded.
func hostYield(ctx context.Context, _ api.Module, _ []uint64) {
	if err := ctx.Err(); err != nil {
		panic(err)
	}
}

// sleep is the instance's WASI sleep (poll_oneoff with a clock): real, and
// over when the call is.
func (in *instance) sleep(ns int64) {
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	select {
	case <-t.C:
	case <-in.ctx.Done():
		panic(in.ctx.Err())
	}
}
