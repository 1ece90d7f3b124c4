package httpguard_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/easel-mcp/easel/host/httpguard"
)

// A token-protected MCP endpoint and an open health probe on a loopback
// server: the probe answers without credentials, the MCP endpoint does not,
// and a rebound host name is refused everywhere.
func ExampleGuard() {
	g, err := httpguard.New(httpguard.Options{
		Addr:   "127.0.0.1:8765",
		Token:  "0123456789abcdef0123456789abcdef",
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("/mcp", g.Protect(ok))
	mux.Handle("/healthz", g.Public(ok))

	for _, r := range []struct{ path, host, auth string }{
		{"/mcp", "127.0.0.1:8765", ""},
		{"/mcp", "127.0.0.1:8765", "Bearer 0123456789abcdef0123456789abcdef"},
		{"/healthz", "localhost:8765", ""},
		{"/healthz", "evil.example.com:8765", ""},
	} {
		req := httptest.NewRequest("GET", r.path, nil)
		req.Host = r.host
		if r.auth != "" {
			req.Header.Set("Authorization", r.auth)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Println(r.path, r.host, w.Code)
	}
	// Output:
	// /mcp 127.0.0.1:8765 401
	// /mcp 127.0.0.1:8765 200
	// /healthz localhost:8765 200
	// /healthz evil.example.com:8765 403
}
