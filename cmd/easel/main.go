// Command easel is an MCP server that gives AI agents a ComfyUI server. Every
// tool it serves is a WebAssembly plugin declared in tools.yaml.
//
// Usage:
//
//	easel serve    [--config tools.yaml] [--tools NAMES] [--http ADDR] [--log-level info] [--log-format text]
//	easel tools    [--config tools.yaml] [--json]
//	easel call     [--config tools.yaml] [--json] TOOL [ARGUMENTS-JSON]
//	easel build    [--config tools.yaml] [-o DIR] [-v] [PATH...]
//	easel new      [--config tools.yaml] NAME
//	easel doctor   [--config tools.yaml]
//	easel version
//
// Every subcommand documents itself: `easel help CMD` or `easel CMD --help`
// prints a manual page.
//
// Exit codes: 0 success, 1 failure (a tool returned an error, a check or a
// build failed, serving stopped on an error), 2 usage or configuration error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, documented in the package comment and every manual page.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a graceful shutdown; restoring the default
	// handling lets a second one end the process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

// stdio is where a subcommand reads and writes; tests substitute buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// A command is one subcommand: its manual page and what it runs. Adding a
// subcommand is one line in commands and one file.
type command struct {
	page manPage
	run  func(ctx context.Context, io stdio, args []string) int
}

// commands in the order `easel help` lists them. A function, not a
// package-level variable, so that commands can refer to the list.
func commands() []command {
	return []command{
		{serveCommand, runServe},
		{toolsCommand, runTools},
		{callCommand, runCall},
		{buildCommand, runBuild},
		{newCommand, runNew},
		{initCommand, runInit},
		{doctorCommand, runDoctor},
		{versionCommand, runVersion},
		{helpCommand, runHelp},
	}
}

func run(ctx context.Context, args []string, io stdio) int {
	if len(args) == 0 {
		fmt.Fprint(io.err, overview())
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(io.out, overview())
		return exitOK
	case "-version", "--version":
		return runVersion(ctx, io, nil)
	case internalCompile:
		return runInternalCompile(ctx, io, args[1:])
	}
	if c, ok := lookup(args[0]); ok {
		return c.run(ctx, io, args[1:])
	}
	fmt.Fprintf(io.err, "easel: unknown command %q\n\n%s", args[0], overview())
	return exitUsage
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.page.name == name {
			return c, true
		}
	}
	return command{}, false
}
