// Command easel is an MCP server that gives AI agents a ComfyUI server. Every
// tool it serves is a WebAssembly plugin declared in tools.yaml.
//
// Usage:
//
//	easel serve [--config tools.yaml] [--http 127.0.0.1:8765] [--log-level info] [--log-format text]
//	easel version
//
// Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/easel-mcp/easel/host/app"
	"github.com/easel-mcp/easel/host/config"
)

// Exit codes, documented in the package comment.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `easel - an MCP server for ComfyUI whose tools are WebAssembly plugins

Usage:
  easel serve [flags]   serve MCP on stdio (default) or streamable HTTP
  easel version         print the version

Run 'easel serve -h' for the serve flags.
`

func run(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(os.Stdout, "easel", version())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stderr, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "easel: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

func serve(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("easel serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "tools.yaml", "the tools.yaml to serve")
	httpAddr := fs.String("http", "", "serve streamable HTTP at `ADDR` (e.g. 127.0.0.1:8765), path /mcp, instead of stdio")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: easel serve [flags]

Serves the tools declared in tools.yaml as an MCP server. By default it speaks
MCP on stdin/stdout (stdout carries only MCP frames; logs go to stderr). With
--http it serves streamable HTTP at http://ADDR/mcp.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	logger, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "easel serve:", err)
		return exitUsage
	}
	cfg, err := config.Load(*configPath, os.LookupEnv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: logger, Version: version()})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	defer a.Close(context.Background())
	if *httpAddr != "" {
		err = a.ServeHTTP(ctx, *httpAddr, nil)
	} else {
		err = a.ServeStdio(ctx)
	}
	if err != nil {
		logger.Error("serve failed", "err", err)
		return exitFailure
	}
	return exitOK
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

// version is the module version the binary was built from, or "dev".
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
