// Package httpserver is easel's inbound HTTP server for `easel serve
// --http`: the MCP endpoint at /mcp and the operations endpoints /healthz,
// /readyz and /metrics, every one behind an [httpguard.Guard].
//
// Which endpoint needs the bearer token (when one is configured):
//
//	/mcp      yes: it runs tools
//	/metrics  yes: tool names and call rates describe what agents do;
//	          Prometheus sends the token (authorization.credentials_file)
//	/healthz  no:  a liveness probe has no credentials; it says only "ok"
//	/readyz   no:  a readiness probe has no credentials; it names the checks
//	          that fail, and gives their reasons only to a caller with the
//	          token (the reasons name the ComfyUI URL and plugin errors)
//
// All four get the Host, Origin and body checks.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/easel-mcp/easel/host/httpguard"
)

// Check is one readiness check's outcome: Err is nil when it passes.
type Check struct {
	Name string
	Err  error
}

// Options configure [Serve] and [Handler].
type Options struct {
	// Addr is the listen address (host:port); port 0 picks a free port.
	Addr string
	// MCP serves the MCP endpoint, mounted at /mcp.
	MCP http.Handler
	// Metrics serves /metrics; nil leaves the path unserved (404).
	Metrics http.Handler
	// Checks runs the readiness checks for /readyz; nil means always ready.
	// It must respect ctx, which carries ReadyTimeout.
	Checks func(ctx context.Context) []Check
	// Guard configures the request checks; its Addr is set by Serve to the
	// address actually bound.
	Guard httpguard.Options
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Listening, if not nil, is called with the bound address before the
	// first request is served.
	Listening func(net.Addr)
	// Drain, if not nil, is called on shutdown once the listener is closed:
	// it stops new calls and waits for those in flight until its context
	// ends, returning how many were left running.
	Drain func(context.Context) int
	// ShutdownTimeout bounds the shutdown; zero means ShutdownGrace.
	ShutdownTimeout time.Duration
}

// ReadyTimeout bounds one /readyz evaluation, so a probe with a short
// timeout of its own still gets an answer when ComfyUI hangs.
const ReadyTimeout = 3 * time.Second

// ShutdownGrace is the default of Options.ShutdownTimeout.
const ShutdownGrace = 30 * time.Second

// responseGrace is how long Serve waits, once Drain reports every call
// answered, for the responses to be written before it closes the
// connections that remain (event streams, which never become idle).
const responseGrace = time.Second

// Serve listens on opts.Addr and serves until ctx is done. Then it closes
// the listener, drains the calls in flight (opts.Drain) for up to
// opts.ShutdownTimeout, and closes every connection, cancelling what still
// runs. Running out of time is logged, not an error: the shutdown was
// asked for.
func Serve(ctx context.Context, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	opts.Guard.Addr = ln.Addr().String()
	h, err := Handler(opts)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if opts.Listening != nil {
		opts.Listening(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return shutdown(ctx, srv, opts, logger)
}

func shutdown(ctx context.Context, srv *http.Server, opts Options, logger *slog.Logger) error {
	timeout := opts.ShutdownTimeout
	if timeout <= 0 {
		timeout = ShutdownGrace
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }() // closes the listener at once
	if opts.Drain != nil {
		if left := opts.Drain(sctx); left > 0 {
			logger.Warn("shutdown timeout passed; cancelling the calls still running", "in_flight", left, "timeout", timeout)
		}
		t := time.NewTimer(responseGrace)
		defer t.Stop()
		select {
		case err := <-shut:
			return shutdownErr(err)
		case <-t.C:
		}
	}
	srv.Close()
	return shutdownErr(<-shut)
}

func shutdownErr(err error) error {
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler builds the routing and guards of Serve, for a server whose
// address is opts.Guard.Addr.
func Handler(opts Options) (http.Handler, error) {
	g, err := httpguard.New(opts.Guard)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", g.Protect(opts.MCP))
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", g.Protect(opts.Metrics))
	}
	mux.Handle("GET /healthz", g.Public(http.HandlerFunc(healthz)))
	mux.Handle("GET /readyz", g.Public(readyz(g, opts.Checks)))
	// Everything else is 404, but still guarded: a rebound page must not
	// even learn which paths exist.
	mux.Handle("/", g.Public(http.NotFoundHandler()))
	return mux, nil
}

// healthz answers as long as the process serves HTTP.
func healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

// readyz runs the checks and answers 200 when all pass, else 503, with one
// line per check in the style of Kubernetes' verbose probes:
//
//	[+]config ok
//	[-]comfyui failed: <reason, for callers with the token>
func readyz(g *httpguard.Guard, checks func(context.Context) []Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var results []Check
		if checks != nil {
			ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
			results = checks(ctx)
			cancel()
		}
		details := g.Authorized(r)
		var b strings.Builder
		failed := 0
		for _, c := range results {
			switch {
			case c.Err == nil:
				fmt.Fprintf(&b, "[+]%s ok\n", c.Name)
			case details:
				failed++
				fmt.Fprintf(&b, "[-]%s failed: %s\n", c.Name, oneLine(c.Err.Error()))
			default:
				failed++
				fmt.Fprintf(&b, "[-]%s failed: reason withheld (send the bearer token to see it)\n", c.Name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if failed > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(&b, "readyz check failed: %d of %d not ready\n", failed, len(results))
		} else {
			b.WriteString("readyz check passed\n")
		}
		io.WriteString(w, b.String())
	})
}

// oneLine keeps a reason on its line: errors joined with errors.Join carry
// line breaks.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
