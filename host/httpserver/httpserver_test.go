package httpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/httpguard"
)

const token = "0123456789abcdef0123456789abcdef"

func named(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
}

func testOptions(checks []Check) Options {
	return Options{
		MCP:     named("mcp"),
		Metrics: named("metrics"),
		Checks:  func(context.Context) []Check { return checks },
		Guard:   httpguard.Options{Addr: "127.0.0.1:8765", Token: token, Logger: slog.New(slog.DiscardHandler)},
	}
}

func TestHandler(t *testing.T) {
	ready := []Check{{Name: "config"}, {Name: "comfyui"}}
	notReady := []Check{{Name: "config"}, {Name: "comfyui", Err: errors.New("GET http://10.0.0.7:8188/system_stats: connection refused\n(retrying)")}}
	tests := []struct {
		name       string
		checks     []Check
		method     string
		path       string
		host       string
		auth       bool
		wantStatus int
		wantBody   []string
		notInBody  []string
	}{
		{"mcp without token", ready, "POST", "/mcp", "", false, 401, nil, []string{"mcp"}},
		{"mcp with token", ready, "POST", "/mcp", "", true, 200, []string{"mcp"}, nil},
		{"metrics without token", ready, "GET", "/metrics", "", false, 401, nil, []string{"metrics"}},
		{"metrics with token", ready, "GET", "/metrics", "", true, 200, []string{"metrics"}, nil},
		{"healthz without token", ready, "GET", "/healthz", "", false, 200, []string{"ok"}, nil},
		{"healthz rebound", ready, "GET", "/healthz", "evil.example.com", false, 403, nil, []string{"ok"}},
		{"readyz passing", ready, "GET", "/readyz", "", false, 200, []string{"[+]config ok", "[+]comfyui ok", "readyz check passed"}, nil},
		{"readyz failing, no token", notReady, "GET", "/readyz", "", false, 503,
			[]string{"[+]config ok", "[-]comfyui failed: reason withheld", "1 of 2 not ready"}, []string{"10.0.0.7"}},
		{"readyz failing, token", notReady, "GET", "/readyz", "", true, 503,
			[]string{"[-]comfyui failed: GET http://10.0.0.7:8188/system_stats: connection refused (retrying)\n"}, nil},
		{"readyz rebound", ready, "GET", "/readyz", "evil.example.com", false, 403, nil, []string{"config"}},
		{"readyz POST", ready, "POST", "/readyz", "", false, 404, nil, nil}, // GET only; the guarded catch-all answers
		{"unknown path", ready, "GET", "/admin", "", false, 404, nil, nil},
		{"unknown path rebound", ready, "GET", "/admin", "evil.example.com", false, 403, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Handler(testOptions(tt.checks))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(tt.method, tt.path, nil)
			r.Host = "127.0.0.1:8765"
			if tt.host != "" {
				r.Host = tt.host
			}
			if tt.auth {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", w.Code, tt.wantStatus, w.Body)
			}
			for _, s := range tt.wantBody {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body %q lacks %q", w.Body, s)
				}
			}
			for _, s := range tt.notInBody {
				if strings.Contains(w.Body.String(), s) {
					t.Errorf("body %q has %q", w.Body, s)
				}
			}
		})
	}
}

func TestReadyzTimeout(t *testing.T) {
	opts := testOptions(nil)
	var deadline time.Time
	opts.Checks = func(ctx context.Context) []Check {
		deadline, _ = ctx.Deadline()
		return []Check{{Name: "comfyui", Err: ctx.Err()}}
	}
	h, _ := Handler(opts)
	r := httptest.NewRequest("GET", "/readyz", nil)
	r.Host = "localhost"
	h.ServeHTTP(httptest.NewRecorder(), r)
	if deadline.IsZero() || time.Until(deadline) > ReadyTimeout {
		t.Errorf("checks ran without the %s deadline (deadline %v)", ReadyTimeout, deadline)
	}
}

func TestServe(t *testing.T) {
	opts := testOptions(nil)
	opts.Addr = "127.0.0.1:0"
	opts.Guard.Addr = "ignored: Serve sets the bound address"
	addrc := make(chan net.Addr, 1)
	opts.Listening = func(a net.Addr) { addrc <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, opts) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz: %s", resp.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
	if err := Serve(context.Background(), Options{Addr: "127.0.0.1:-1"}); err == nil || !strings.Contains(err.Error(), "listen on 127.0.0.1:-1") {
		t.Errorf("bad address: %v", err)
	}
}
