package httpguard

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testToken = "0123456789abcdef0123456789abcdef"

// echo answers 200 with the body it read, or 400 with the read error.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Write(body)
})

func TestGuard(t *testing.T) {
	type req struct {
		host, origin, auth string
		public             bool
	}
	loopback := Options{Addr: "127.0.0.1:8765"}
	withToken := Options{Addr: "127.0.0.1:8765", Token: testToken}
	exposed := Options{Addr: "0.0.0.0:8765", Token: testToken}
	proxied := Options{Addr: "127.0.0.1:8765", AllowedHosts: []string{"easel.example.com"}, AllowedOrigins: []string{"https://app.example.org"}}
	exposedNamed := Options{Addr: "[::]:8765", Token: testToken, AllowedHosts: []string{"easel.example.com"}}
	bearer := "Bearer " + testToken
	tests := []struct {
		name       string
		opts       Options
		req        req
		wantStatus int
		wantHeader string // expected WWW-Authenticate
	}{
		{"loopback: own address", loopback, req{host: "127.0.0.1:8765"}, 200, ""},
		{"loopback: localhost", loopback, req{host: "localhost:8765"}, 200, ""},
		{"loopback: IPv6", loopback, req{host: "[::1]:8765"}, 200, ""},
		{"loopback: other loopback IP", loopback, req{host: "127.0.0.2"}, 200, ""},
		{"loopback: forwarded port", loopback, req{host: "localhost:9000"}, 200, ""},
		{"loopback: same-site origin", loopback, req{host: "127.0.0.1:8765", origin: "http://127.0.0.1:8765"}, 200, ""},
		{"loopback: local web client", loopback, req{host: "localhost:8765", origin: "http://localhost:6274"}, 200, ""},
		{"rebinding: Host and Origin", loopback, req{host: "evil.example.com:8765", origin: "http://evil.example.com:8765"}, 403, ""},
		{"rebinding: Host only", loopback, req{host: "evil.example.com"}, 403, ""},
		{"rebinding: Host on a public endpoint", loopback, req{host: "evil.example.com", public: true}, 403, ""},
		{"cross-origin page", loopback, req{host: "127.0.0.1:8765", origin: "http://evil.example.com"}, 403, ""},
		{"null origin", loopback, req{host: "127.0.0.1:8765", origin: "null"}, 403, ""},
		{"origin with a path", loopback, req{host: "127.0.0.1:8765", origin: "http://localhost/x"}, 403, ""},
		{"loopback: allowed proxy host", proxied, req{host: "easel.example.com"}, 200, ""},
		{"loopback: allowed proxy origin", proxied, req{host: "easel.example.com", origin: "https://EASEL.example.com"}, 200, ""},
		{"loopback: allowed origin", proxied, req{host: "localhost:8765", origin: "https://app.example.org"}, 200, ""},
		{"loopback: origin not listed", proxied, req{host: "localhost:8765", origin: "https://app.example.org:444"}, 403, ""},
		{"exposed: any host", exposed, req{host: "10.1.2.3:8765", auth: bearer}, 200, ""},
		{"exposed: same-origin", exposed, req{host: "10.1.2.3:8765", origin: "http://10.1.2.3:8765", auth: bearer}, 200, ""},
		{"exposed: cross-origin", exposed, req{host: "10.1.2.3:8765", origin: "http://evil.example.com", auth: bearer}, 403, ""},
		{"exposed with hosts: listed", exposedNamed, req{host: "easel.example.com", auth: bearer}, 200, ""},
		{"exposed with hosts: other", exposedNamed, req{host: "10.1.2.3:8765", auth: bearer}, 403, ""},
		{"token: missing", withToken, req{host: "127.0.0.1:8765"}, 401, `Bearer realm="easel"`},
		{"token: wrong", withToken, req{host: "127.0.0.1:8765", auth: "Bearer " + strings.Repeat("x", 32)}, 401, `Bearer realm="easel", error="invalid_token"`},
		{"token: prefix of the right one", withToken, req{host: "127.0.0.1:8765", auth: "Bearer " + testToken[:20]}, 401, `Bearer realm="easel", error="invalid_token"`},
		{"token: other scheme", withToken, req{host: "127.0.0.1:8765", auth: "Basic " + testToken}, 401, `Bearer realm="easel"`},
		{"token: empty bearer", withToken, req{host: "127.0.0.1:8765", auth: "Bearer "}, 401, `Bearer realm="easel"`},
		{"token: right", withToken, req{host: "127.0.0.1:8765", auth: bearer}, 200, ""},
		{"token: scheme in lower case", withToken, req{host: "127.0.0.1:8765", auth: "bearer " + testToken}, 200, ""},
		{"token: public endpoint", withToken, req{host: "127.0.0.1:8765", public: true}, 200, ""},
		{"token: checked after Host", withToken, req{host: "evil.example.com"}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			tt.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			g, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			h := g.Protect(echo)
			if tt.req.public {
				h = g.Public(echo)
			}
			r := httptest.NewRequest("POST", "/mcp", strings.NewReader(`{}`))
			r.Host = tt.req.host
			if tt.req.origin != "" {
				r.Header.Set("Origin", tt.req.origin)
			}
			if tt.req.auth != "" {
				r.Header.Set("Authorization", tt.req.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", w.Code, tt.wantStatus, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.wantHeader {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.wantHeader)
			}
			if tt.wantStatus != 200 && !strings.Contains(logs.String(), "HTTP request refused") {
				t.Errorf("refusal not logged: %q", logs.String())
			}
			if strings.Contains(logs.String(), testToken[:16]) || strings.Contains(w.Body.String(), testToken[:16]) {
				t.Errorf("the token leaked into the log or the answer:\nlog: %s\nbody: %s", logs.String(), w.Body)
			}
		})
	}
}

func TestGuardBodyLimit(t *testing.T) {
	g, err := New(Options{Addr: "127.0.0.1:1", MaxBodyBytes: 10, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Protect(echo)
	tests := []struct {
		name       string
		body       string
		chunked    bool
		wantStatus int
	}{
		{"at the limit", "0123456789", false, 200},
		{"over the limit", "0123456789x", false, 413},
		{"chunked at the limit", "0123456789", true, 200},
		{"chunked over the limit", "0123456789x", true, 400}, // the handler's read fails
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/mcp", strings.NewReader(tt.body))
			r.Host = "localhost"
			if tt.chunked {
				r.ContentLength = -1
				r.Body = io.NopCloser(strings.NewReader(tt.body))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus == 200 && w.Body.String() != tt.body {
				t.Errorf("handler read %q, want %q", w.Body, tt.body)
			}
		})
	}
}

func TestNewRejectsMalformedLists(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"host with scheme", Options{AllowedHosts: []string{"https://easel.example.com"}}, `allowed host "https://easel.example.com"`},
		{"host with port", Options{AllowedHosts: []string{"easel.example.com:80"}}, `allowed host "easel.example.com:80"`},
		{"empty host", Options{AllowedHosts: []string{""}}, `allowed host ""`},
		{"origin without scheme", Options{AllowedOrigins: []string{"app.example.org"}}, `allowed origin "app.example.org"`},
		{"origin with path", Options{AllowedOrigins: []string{"https://app.example.org/"}}, `allowed origin "https://app.example.org/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %s", err, tt.want)
			}
		})
	}
	if _, err := New(Options{AllowedHosts: []string{"::1", "[fd00::1]", "easel.example.com"}}); err != nil {
		t.Errorf("valid hosts refused: %v", err)
	}
}
