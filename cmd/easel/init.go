package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/easel-mcp/easel/host/bundled"
)

var initCommand = manPage{
	name:     "init",
	summary:  "write the bundled tool set to tools.yaml, to edit",
	synopsis: []string{"init [--config FILE] [--force]"},
	description: `
Writes the tools.yaml that easel serves when there is none: every bundled
tool as a builtin: plugin embedded in the binary, each granted the least
it needs, against ComfyUI's default address. Edit it to point at another
ComfyUI, drop tools, add your own plugins or workflows, and easel serve
picks it up from the working directory.

An existing file is left alone unless --force is given.`,
	exitStatus: [3]string{"the file was written", "the file could not be written, or exists", "usage error"},
	examples: `
easel init && easel serve
easel init --config /etc/easel/tools.yaml`,
}

func runInit(_ context.Context, io stdio, args []string) int {
	fs := newFlags(initCommand)
	path := fs.String("config", defaultConfig, "write the configuration to `FILE`")
	force := fs.Bool("force", false, "overwrite an existing file")
	pos, code, ok := parse(initCommand, fs, args, io)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(initCommand, io, fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	if err := writeNew(*path, bundled.DefaultConfig(), *force); err != nil {
		fmt.Fprintf(io.err, "easel init: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(io.out, "wrote %s: the bundled tools; edit it, then run easel serve\n", *path)
	return exitOK
}

// writeNew writes data to path, refusing to replace a file unless force.
func writeNew(path string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists; pass --force to replace it", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
