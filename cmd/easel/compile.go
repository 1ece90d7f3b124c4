package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/easel-mcp/easel/host/memtune"
	"github.com/easel-mcp/easel/host/plugin"
)

// internalCompile is the hidden command behind serve's compilation in a
// separate process (plugin.Compiler): `easel internal-compile CACHEDIR`
// reads a module as the plugin runtime prepared it from stdin and leaves
// its machine code in CACHEDIR's compilation cache. Only easel runs it, so
// help does not list it.
const internalCompile = "internal-compile"

// maxCompileInput bounds the module read from stdin: a prepared Go plugin
// is under 10 MiB.
const maxCompileInput = 256 << 20

func runInternalCompile(ctx context.Context, io stdio, args []string) int {
	if len(args) != 1 {
		fmt.Fprintf(io.err, "usage: easel %s CACHEDIR < module.wasm\n", internalCompile)
		return exitUsage
	}
	wasm, err := readAtMost(io.in, maxCompileInput)
	if err == nil {
		// The same soft limit as a compilation in serve's process: what
		// the process holds plus memtune.LoadHeadroom, unless the
		// operator set GOMEMLIMIT.
		var limit memtune.LoadLimit
		end := limit.Begin()
		err = plugin.CompileToCache(ctx, args[0], wasm)
		end()
	}
	if err != nil {
		fmt.Fprintf(io.err, "easel %s: %v\n", internalCompile, err)
		return exitFailure
	}
	return exitOK
}

func readAtMost(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("module over %d bytes", max)
	}
	return data, err
}

// compileCommand is serve's app.Options.CompileCommand: this binary's
// internal-compile, or none (plugins compile in the serving process) when
// the binary cannot be found.
func compileCommand(logger *slog.Logger) []string {
	exe, err := os.Executable()
	if err != nil {
		logger.Debug("plugins compile in this process: the easel binary cannot be found", "err", err)
		return nil
	}
	return []string{exe, internalCompile}
}
