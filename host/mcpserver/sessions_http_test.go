package mcpserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// bodyless sends a GET or DELETE as a client of protocol version proto
// would and reports the status, the Allow header and the start of the
// body. A GET stream that opens is closed at once: only its status is of
// interest, and the timeout stops a stream held open from hanging the test.
func (c *rawClient) bodyless(method, session, proto string) (code int, allow, body string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, c.url, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", proto)
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		body = string(b)
	}
	return resp.StatusCode, resp.Header.Get("Allow"), body
}

const (
	proto2025 = "2025-06-18"
	proto2026 = mcp.ProtocolVersion20260728
)

// Stateful HTTP: a GET or DELETE with an unknown or terminated session id
// gets 404, like a POST, so that a client holding an id from before a
// restart starts over instead of listening forever on a stream no session
// feeds. The steps run in order: the DELETE of the live session terminates
// it for the steps after. Protocol-2026 requests have no sessions and keep
// mcp-go's 405.
func TestHTTPUnknownSessionIsNotFound(t *testing.T) {
	c := newRawClient(t, httpServer(t, HTTPOptions{}))
	c.initialize()
	live, unknown := c.session, "easel-"+strings.Repeat("A", 26)
	ping := map[string]any{"jsonrpc": "2.0", "id": 1, "method": "ping"}
	for _, tt := range []struct {
		name, method, session, proto string
		want                         int
	}{
		{"GET unknown", "GET", unknown, proto2025, http.StatusNotFound},
		{"DELETE unknown", "DELETE", unknown, proto2025, http.StatusNotFound},
		{"GET unknown, 2026", "GET", unknown, proto2026, http.StatusMethodNotAllowed},
		{"DELETE unknown, 2026", "DELETE", unknown, proto2026, http.StatusMethodNotAllowed},
		{"POST live", "POST", live, proto2025, http.StatusOK},
		{"GET live", "GET", live, proto2025, http.StatusOK},
		{"DELETE live", "DELETE", live, proto2025, http.StatusOK},
		{"GET terminated", "GET", live, proto2025, http.StatusNotFound},
		{"DELETE terminated", "DELETE", live, proto2025, http.StatusNotFound},
		{"POST terminated", "POST", live, proto2025, http.StatusNotFound},
	} {
		var code int
		var body string
		if tt.method == "POST" {
			c.session = tt.session
			resp, _ := c.post(ping)
			code = resp.StatusCode
		} else {
			code, _, body = c.bodyless(tt.method, tt.session, tt.proto)
		}
		if code != tt.want {
			t.Errorf("%s: HTTP %d %q, want %d", tt.name, code, body, tt.want)
		}
	}
}

// Stateless HTTP has no standalone GET stream and no session to
// terminate: GET and DELETE get 405 with Allow: POST, as the transport
// specification allows, rather than a stream nothing ever writes to.
// Protocol-2026 requests get mcp-go's own 405, which names the version.
func TestHTTPStatelessHasOnlyPost(t *testing.T) {
	c := newRawClient(t, httpServer(t, HTTPOptions{Stateless: true}))
	for _, tt := range []struct {
		method, session, proto, bodyHas string
	}{
		{"GET", "", proto2025, "POST"},
		{"GET", "anything", proto2025, "POST"},
		{"DELETE", "", proto2025, "POST"},
		{"DELETE", "anything", proto2025, "POST"},
		{"GET", "", "", "POST"}, // 2025-03-26 clients send no version
		{"GET", "", proto2026, proto2026},
		{"DELETE", "", proto2026, proto2026},
	} {
		code, allow, body := c.bodyless(tt.method, tt.session, tt.proto)
		if code != http.StatusMethodNotAllowed || allow != http.MethodPost || !strings.Contains(body, tt.bodyHas) {
			t.Errorf("%s (session %q, version %q): HTTP %d, Allow %q, body %q; want 405, Allow POST and %q",
				tt.method, tt.session, tt.proto, code, allow, body, tt.bodyHas)
		}
	}
	if resp, _ := c.post(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "ping"}); resp.StatusCode != http.StatusOK {
		t.Errorf("stateless ping: HTTP %d", resp.StatusCode)
	}
}

// A server that cannot send a notification outside a request (stateless
// HTTP) does not announce list_changed; one that can does.
func TestListChangedIsAnnouncedOnlyWhenDeliverable(t *testing.T) {
	for _, noListChanged := range []bool{false, true} {
		s, err := New(nil, Options{Version: "test", NoListChanged: noListChanged})
		if err != nil {
			t.Fatal(err)
		}
		c := newRawClient(t, s.HTTPHandler(HTTPOptions{Stateless: noListChanged}))
		resp, msgs := c.post(map[string]any{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": map[string]any{
			"protocolVersion": "2025-06-18", "clientInfo": map[string]string{"name": "raw", "version": "1"}, "capabilities": map[string]any{},
		}})
		if resp.StatusCode != http.StatusOK || len(msgs) != 1 {
			t.Fatalf("initialize: HTTP %d, %+v", resp.StatusCode, msgs)
		}
		var res struct {
			Capabilities map[string]map[string]any `json:"capabilities"`
		}
		if err := json.Unmarshal(msgs[0].Result, &res); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"tools", "prompts", "resources"} {
			if got := res.Capabilities[kind]["listChanged"] == true; got == noListChanged {
				t.Errorf("NoListChanged %v: %s.listChanged announced %v (capabilities %s)", noListChanged, kind, got, msgs[0].Result)
			}
		}
	}
}
