package main

import (
	"context"
	"fmt"
	"os"

	"github.com/easel-mcp/easel/host/app"
	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/mcpserver"
	"github.com/easel-mcp/easel/host/memtune"
	"github.com/easel-mcp/easel/host/proctune"
)

var serveCommand = manPage{
	name:     "serve",
	summary:  "serve the configured tools to an MCP client",
	synopsis: []string{"serve [--config FILE] [--tools NAMES] [--http ADDR [--stateless]] [--no-watch] [--shutdown-timeout DURATION] [--log-level LEVEL] [--log-format FORMAT]"},
	description: `
Serves the tools declared in tools.yaml as an MCP server. By default it
speaks MCP on stdin and stdout, as MCP clients expect of a server they
start: stdout carries only MCP frames and every log line goes to stderr.
With --http it serves streamable HTTP at http://ADDR/mcp instead.

Over HTTP, MCP sessions are stateful by default: initialize issues an
Mcp-Session-Id and a request with an unknown or terminated one gets 404,
so a client starts over after a restart. --stateless serves without
sessions, for several replicas behind a load balancer: every request is
answered on its own, progress, logs, sampling and elicitation still travel
on the request's stream, but logging/setLevel is not remembered between
requests and there is no standalone GET stream (no list_changed
notifications).

Plugins named by Go source are built and cached by content hash. A tool
whose description is known (from the cache or a bundled plugin's
tool.json) is listed at once, and its plugin is built and compiled on the
tool's first call, which waits for it; a plugin that fails then makes that
call and /readyz say why. Other plugins are loaded before serving starts,
and one that fails stops serve, naming its tools.yaml line.

--tools exposes a subset of tools.yaml (names or globs such as 'get_*'), for
a shorter tools/list; a pattern that matches no tool is a usage error.
Bundled plugins (plugin: builtin:NAME, or an unchanged plugins/NAME) are
embedded in the binary and need no Go toolchain. Without --config and with
no tools.yaml in the working directory, serve uses the bundled tool set as
it is (see easel init), and does not watch for changes.

While it runs, serve follows edits: saving tools.yaml, a plugin's .wasm
file, or a .go file, go.mod or go.sum of a Go-source plugin reloads the
tools without a restart. Changed plugins are built, compiled and described
first; then the new set replaces the old one at once and connected
clients get notifications/tools/list_changed. Calls already running finish
on the plugin they started on. A broken edit (invalid YAML, a compile
error, a plugin that traps) changes nothing: the log says why, with
file:line for tools.yaml, and the last good tools keep serving. --no-watch,
or watch: false in tools.yaml, turns this off.

The ComfyUI address comes from comfyui.url in tools.yaml; the COMFYUI_URL
environment variable overrides it.

With --http, clients must send "Authorization: Bearer TOKEN" when a token is
set: from --http-token-file, http.token_env or http.token_file in tools.yaml,
or the EASEL_HTTP_TOKEN environment variable, in that order. Without a token
easel serves only a loopback address (127.0.0.1, [::1], localhost); any
other address is refused with exit status 2 unless --insecure-no-auth is
given. Requests whose Host or Origin is not this machine (or listed in
http.allowed_hosts / http.allowed_origins) get 403, bodies over
http.max_body_bytes (24MiB) get 413. GET /healthz and GET /readyz answer
without the token; /metrics needs it. See docs/security.md and
docs/operations.md.

When the client closes stdin, and on SIGINT or SIGTERM, easel takes no new
calls, lets those in flight finish and answer for up to --shutdown-timeout,
cancels the rest and exits 0; a second signal ends it at once.`,
	exitStatus: [3]string{
		"the client closed stdin, or an interrupt or SIGTERM ended the server",
		"serving failed (the HTTP address is in use, a plugin without a known description failed to load)",
		"usage error, an invalid tools.yaml (the message names file:line), or --http on an address reachable from other machines without a bearer token",
	},
	examples: `
easel serve
easel serve --config ~/easel/tools.yaml --log-level debug
easel serve --http 127.0.0.1:8765
easel serve --tools 'get_*,wait_for_job'
EASEL_HTTP_TOKEN=$(openssl rand -hex 32) easel serve --http 0.0.0.0:8765
easel serve --http 0.0.0.0:8765 --stateless
COMFYUI_URL=http://gpu-box:8188 easel serve`,
}

func runServe(ctx context.Context, io stdio, args []string) int {
	s := newSetup(serveCommand, "info")
	httpAddr := s.fs.String("http", "", "serve streamable HTTP at `ADDR` (e.g. 127.0.0.1:8765), path /mcp, instead of stdio")
	toolsFilter := s.fs.String("tools", "", "serve only the tools matching these comma-separated `NAMES` or globs (e.g. get_job_status,get_*)")
	hf := addHTTPFlags(s.fs)
	shutdownTimeout := s.fs.Duration("shutdown-timeout", mcpserver.DefaultShutdownTimeout, "on SIGINT/SIGTERM or the end of stdin, let in-flight calls finish for up to `DURATION`")
	stateless := s.fs.Bool("stateless", false, "with --http: serve without MCP sessions, so that replicas behind a load balancer can answer any request")
	noWatch := s.fs.Bool("no-watch", false, "do not reload the tools when tools.yaml or a plugin changes (watch: false in the file does the same)")
	st, code, ok := s.load(args, io, 0, 0)
	if !ok {
		return code
	}
	if *shutdownTimeout <= 0 {
		fmt.Fprintln(io.err, "easel serve: --shutdown-timeout must be positive")
		return exitUsage
	}
	if *stateless && *httpAddr == "" {
		fmt.Fprintln(io.err, "easel serve: --stateless needs --http")
		return exitUsage
	}
	if err := st.cfg.SelectTools(config.SplitList(*toolsFilter)); err != nil {
		fmt.Fprintln(io.err, err)
		return exitUsage
	}
	logger := st.logger
	gc := memtune.Apply(os.LookupEnv)
	logger.Debug("garbage collector", "gogc", gc.GCPercent, "gogc_from_env", gc.FromEnv, "gomemlimit", gc.MemoryLimit)
	procs := proctune.Apply(os.LookupEnv)
	logger.Debug("processors", "gomaxprocs", procs.Procs, "gomaxprocs_from_env", procs.FromEnv)
	var hs *httpSetup
	if *httpAddr != "" {
		var err error
		if hs, err = hf.resolve(ctx, *httpAddr, st.cfg, os.LookupEnv, logger); err != nil {
			fmt.Fprintln(io.err, "easel serve:", err)
			return exitUsage
		}
		hs.shutdownTimeout = *shutdownTimeout
	}
	opts := app.Options{Logger: logger, Version: version(), Stateless: *stateless, Watch: !*noWatch && st.cfg.File != bundled.DefaultConfigName, Select: config.SplitList(*toolsFilter), ShutdownTimeout: *shutdownTimeout, Procs: procs, CompileCommand: compileCommand(logger)}
	if hs != nil {
		opts.Observer = hs.metrics // metrics are served only over HTTP
	}
	a, err := app.New(ctx, st.cfg, opts)
	if err != nil {
		fmt.Fprintln(io.err, err)
		return exitFailure
	}
	defer a.Close(context.Background())
	if hs != nil {
		err = hs.serve(ctx, a, st.cfg, logger)
	} else {
		err = a.ServeStdio(ctx)
	}
	if err != nil {
		logger.Error("serve failed", "err", err)
		return exitFailure
	}
	return exitOK
}
