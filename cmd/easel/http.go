package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/easel-mcp/easel/host/app"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/httpguard"
	"github.com/easel-mcp/easel/host/httpserver"
	"github.com/easel-mcp/easel/host/metrics"
)

// EnvHTTPToken holds the bearer token of `serve --http` when neither
// --http-token-file nor tools.yaml names one.
const EnvHTTPToken = "EASEL_HTTP_TOKEN"

// httpFlags are the serve flags that only matter with --http.
type httpFlags struct {
	tokenFile *string
	insecure  *bool
}

func addHTTPFlags(fs *flag.FlagSet) *httpFlags {
	return &httpFlags{
		tokenFile: fs.String("http-token-file", "", "with --http, require `FILE`'s content as bearer token (default: $"+EnvHTTPToken+", or http.token_env / http.token_file in tools.yaml)"),
		insecure:  fs.Bool("insecure-no-auth", false, "with --http, serve a non-loopback address without a bearer token (anyone who can reach it can run tools)"),
	}
}

// httpSetup is a checked --http configuration, ready to serve.
type httpSetup struct {
	addr            string
	guard           httpguard.Options
	metrics         *metrics.Metrics
	shutdownTimeout time.Duration
}

// resolve finds the token and refuses an exposed address without one,
// before any plugin is loaded. Its errors are the operator's to fix (exit
// code 2).
func (f *httpFlags) resolve(ctx context.Context, addr string, cfg *config.Config, lookup func(string) (string, bool), logger *slog.Logger) (*httpSetup, error) {
	token, from, err := f.token(cfg, lookup)
	if err != nil {
		return nil, err
	}
	if err := httpguard.CheckBind(ctx, addr, token != ""); err != nil {
		if !errors.Is(err, httpguard.ErrExposed) {
			return nil, fmt.Errorf("--http: %w", err)
		}
		if !*f.insecure {
			return nil, fmt.Errorf("refusing to serve MCP on %s without a bearer token: that address is reachable from other machines, and anyone reaching it could run tools.\n"+
				"Set a token (%s, --http-token-file FILE, or http.token_env in tools.yaml), listen on a loopback address such as 127.0.0.1:8765, or pass --insecure-no-auth to accept the risk", addr, EnvHTTPToken)
		}
		logger.Warn("serving MCP without authentication on a non-loopback address (--insecure-no-auth)", "addr", addr)
	}
	if token != "" {
		logger.Info("HTTP bearer authentication on", "token_from", from)
	}
	return &httpSetup{addr: addr, metrics: metrics.New(version()), guard: httpguard.Options{
		Token:          token,
		AllowedHosts:   cfg.HTTP.AllowedHosts,
		AllowedOrigins: cfg.HTTP.AllowedOrigins,
		MaxBodyBytes:   cfg.HTTP.MaxBodyBytes,
		Logger:         logger,
	}}, nil
}

// token returns the bearer token and where it came from: --http-token-file,
// else tools.yaml's http section, else $EASEL_HTTP_TOKEN; "" when none is
// set.
func (f *httpFlags) token(cfg *config.Config, lookup func(string) (string, bool)) (token, from string, err error) {
	switch {
	case *f.tokenFile != "":
		token, err = httpguard.ReadTokenFile(*f.tokenFile)
		return token, "--http-token-file " + *f.tokenFile, err
	case cfg.HTTP.Token != "":
		return string(cfg.HTTP.Token), cfg.HTTP.TokenSource(), nil
	}
	token, ok := lookup(EnvHTTPToken)
	if !ok || token == "" {
		return "", "", nil
	}
	if err := httpguard.CheckToken(token); err != nil {
		return "", "", fmt.Errorf("$%s: %w", EnvHTTPToken, err)
	}
	return token, "$" + EnvHTTPToken, nil
}

// serve runs the HTTP server for a until ctx ends.
func (s *httpSetup) serve(ctx context.Context, a *app.App, cfg *config.Config, logger *slog.Logger) error {
	var comfyURLs []string
	for _, b := range cfg.BackendList() {
		comfyURLs = append(comfyURLs, b.ComfyUI.URL)
	}
	s.metrics.AddSource(a)
	return httpserver.Serve(ctx, httpserver.Options{
		Addr:            s.addr,
		MCP:             a.MCPHandler(),
		Drain:           a.Drain,
		ShutdownTimeout: s.shutdownTimeout,
		Metrics:         s.metrics.Handler(),
		Checks:          a.Readiness,
		Guard:           s.guard,
		Logger:          logger,
		Listening: func(addr net.Addr) {
			logger.Info("serving MCP over streamable HTTP", "url", "http://"+addr.String()+"/mcp",
				"auth", s.guard.Token != "", "comfyui", strings.Join(comfyURLs, " "))
		},
	})
}
