package comfyui_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

const token = "Bearer tok-9f8e7d"

func newClient(t *testing.T, cfg comfyui.Config) *comfyui.Client {
	t.Helper()
	c, err := comfyui.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return c
}

func TestNew(t *testing.T) {
	tests := []struct {
		base    string
		want    string // BaseURL(), or "" for an error
		wantErr string
	}{
		{"http://127.0.0.1:8188", "http://127.0.0.1:8188", ""},
		{"http://127.0.0.1:8188/", "http://127.0.0.1:8188", ""},
		{"https://gpu.example/comfy/", "https://gpu.example/comfy", ""},
		{"http://user:hunter2@127.0.0.1:8188", "http://127.0.0.1:8188", ""},
		{"", "", "empty"},
		{"127.0.0.1:8188", "", ""},
		{"ftp://127.0.0.1", "", "http or https"},
		{"http://", "", "no host"},
		{"http://h/?x=1", "", "query"},
		{"http://h/#f", "", "query or fragment"},
		{"http://h/a/../b", "", ". or .."},
		{"http://user:hunter2@h/?q", "", "query"},
		{"http://user:hunter2@h:bad", "", "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c, err := comfyui.New(comfyui.Config{BaseURL: tt.base})
			if tt.want == "" {
				if err == nil {
					t.Fatalf("New accepted %q", tt.base)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not mention %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.BaseURL(); got != tt.want {
				t.Errorf("BaseURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDoAgainstEmulator checks that answers of every status reach the caller unchanged.
func TestDoAgainstEmulator(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithAuth("Authorization", token))
	c := newClient(t, comfyui.Config{BaseURL: srv.URL, Header: http.Header{"Authorization": {token}}})
	tests := []struct {
		name     string
		req      comfyui.Request
		wantCode int
		wantBody string
		wantType string
	}{
		{"ok", comfyui.Request{Path: "/history/unknown"}, 200, "{}", "application/json; charset=utf-8"},
		{"query", comfyui.Request{Path: "/history", Query: url.Values{"max_items": {"x y"}}}, 500,
			"500 Internal Server Error\n\nServer got itself in trouble", "text/plain; charset=utf-8"},
		{"400 is an answer", comfyui.Request{Method: "POST", Path: "/prompt", Body: []byte(`{"client_id": "x"}`), ContentType: "application/json"}, 400,
			`{"error": {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": {}}, "node_errors": {}}`,
			"application/json; charset=utf-8"},
		{"404 with empty body", comfyui.Request{Path: "/models/nosuchfolder"}, 404, "", "application/octet-stream"},
		{"escaped segment", comfyui.Request{Path: "/object_info/Save%49mage"}, 200, "", "application/json; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Do(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantCode || (tt.wantBody != "" || tt.wantCode == 404) && string(resp.Body) != tt.wantBody || resp.ContentType != tt.wantType {
				t.Errorf("got %d %q %q, want %d %q %q", resp.Status, resp.ContentType, resp.Body, tt.wantCode, tt.wantType, tt.wantBody)
			}
			if !strings.HasPrefix(resp.URL, srv.URL+"/") {
				t.Errorf("URL %q", resp.URL)
			}
		})
	}
	reqs := srv.Requests()
	if q := reqs[1].Query; q != "max_items=x+y" {
		t.Errorf("query sent as %q", q)
	}
	if p := reqs[4].Path; p != "/object_info/Save%49mage" {
		t.Errorf("path sent as %q", p)
	}

	t.Run("websocket handshake", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, c.WebSocketURL("host-1"), &websocket.DialOptions{HTTPHeader: c.Header()})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		_, data, err := conn.Read(ctx)
		if err != nil || !strings.Contains(string(data), `"sid": "host-1"`) {
			t.Errorf("first frame %q, %v", data, err)
		}
	})

	t.Run("without the auth header", func(t *testing.T) {
		bare := newClient(t, comfyui.Config{BaseURL: srv.URL})
		resp, err := bare.Do(context.Background(), comfyui.Request{Path: "/queue"})
		if err != nil || resp.Status != http.StatusUnauthorized {
			t.Errorf("got %v, %v; want a 401 response", resp, err)
		}
	})
}

func TestDoSendsHeaders(t *testing.T) {
	var mu sync.Mutex
	var got *http.Request
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Clone(context.Background())
		mu.Unlock()
	}))
	defer ts.Close()
	base := strings.Replace(ts.URL, "http://", "http://alice:pw@", 1) + "/prefix"
	c := newClient(t, comfyui.Config{BaseURL: base, Header: http.Header{"Authorization": {token}, "X-Extra": {"1", "2"}}})
	resp, err := c.Do(context.Background(), comfyui.Request{Method: "POST", Path: "/upload/image", Body: []byte("x"), ContentType: "multipart/form-data; boundary=b"})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	first := got
	mu.Unlock()
	if first.URL.Path != "/prefix/upload/image" || first.Method != "POST" {
		t.Errorf("request %s %s", first.Method, first.URL.Path)
	}
	if first.Header.Get("Authorization") != token || strings.Join(first.Header.Values("X-Extra"), ",") != "1,2" {
		t.Errorf("headers %v", first.Header)
	}
	if first.Header.Get("Content-Type") != "multipart/form-data; boundary=b" {
		t.Errorf("Content-Type %q", first.Header.Get("Content-Type"))
	}
	if strings.Contains(resp.URL, "alice") || strings.Contains(resp.URL, "pw") {
		t.Errorf("Response.URL %q shows credentials", resp.URL)
	}
	// Without an Authorization header, the URL's user information is sent as basic auth.
	c2 := newClient(t, comfyui.Config{BaseURL: base})
	if _, err := c2.Do(context.Background(), comfyui.Request{Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if u, p, ok := got.BasicAuth(); !ok || u != "alice" || p != "pw" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// blockingServer answers only when the request's context ends; started tells when a request
// arrived.
func blockingServer(t *testing.T) (*httptest.Server, chan struct{}) {
	started := make(chan struct{}, 16)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(ts.Close)
	return ts, started
}

// garbageServer answers every connection with bytes that are not HTTP.
func garbageServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				_, _ = conn.Read(buf)
				_, _ = conn.Write([]byte("SSH-2.0-OpenSSH\r\n\r\n"))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestDoErrors(t *testing.T) {
	emu := comfyuitest.NewServer(t)
	emu.SetFault("GET /object_info", comfyuitest.Fault{Truncate: true})
	emu.SetFault("GET /queue", comfyuitest.Fault{CloseConnection: true})
	blocking, started := blockingServer(t)
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 11))
	}))
	defer big.Close()

	tests := []struct {
		name    string
		cfg     comfyui.Config
		path    string
		ctx     func(t *testing.T) context.Context
		kind    comfyui.Kind
		wantMsg string // after the URL
		cause   error
	}{
		{name: "refused", cfg: comfyui.Config{BaseURL: "http://" + closedPort(t)}, path: "/queue",
			kind: comfyui.Unreachable, wantMsg: ": connection refused", cause: nil},
		{name: "dns", cfg: comfyui.Config{BaseURL: "http://comfy.invalid"}, path: "/queue",
			kind: comfyui.Unreachable, wantMsg: `: cannot resolve "comfy.invalid"`},
		{name: "timeout", cfg: comfyui.Config{BaseURL: blocking.URL, Timeout: 20 * time.Millisecond}, path: "/history/x",
			kind: comfyui.Timeout, wantMsg: " did not answer within 20ms", cause: context.DeadlineExceeded},
		{name: "caller deadline", cfg: comfyui.Config{BaseURL: blocking.URL}, path: "/history/x",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			kind: comfyui.Timeout, wantMsg: " did not answer before the deadline", cause: context.DeadlineExceeded},
		{name: "cancelled", cfg: comfyui.Config{BaseURL: blocking.URL}, path: "/history/x",
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				go func() { <-started; cancel() }()
				return ctx
			},
			kind: comfyui.Cancelled, wantMsg: " was cancelled", cause: context.Canceled},
		{name: "too large", cfg: comfyui.Config{BaseURL: big.URL, MaxResponseBytes: 10}, path: "/view",
			kind: comfyui.TooLarge, wantMsg: " is larger than the 10 bytes cap"},
		{name: "truncated body", cfg: comfyui.Config{BaseURL: emu.URL}, path: "/object_info",
			kind: comfyui.Protocol, wantMsg: " sent a malformed or truncated response: connection closed before the response was complete"},
		{name: "closed without answer", cfg: comfyui.Config{BaseURL: emu.URL}, path: "/queue",
			kind: comfyui.Unreachable, wantMsg: ": the connection closed before ComfyUI answered (is it restarting?)"},
		{name: "not HTTP", cfg: comfyui.Config{BaseURL: garbageServer(t)}, path: "/queue",
			kind: comfyui.Protocol, wantMsg: ` sent a malformed or truncated response: malformed HTTP response "SSH-2.0-OpenSSH"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Header = http.Header{"Authorization": {token}}
			c := newClient(t, tt.cfg)
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx(t)
			}
			resp, err := c.Do(ctx, comfyui.Request{Path: tt.path})
			if err == nil {
				t.Fatalf("got %d %q, want an error", resp.Status, resp.Body)
			}
			var ce *comfyui.Error
			if !errors.As(err, &ce) || ce.Kind != tt.kind {
				t.Fatalf("error %v (%T), want kind %v", err, err, tt.kind)
			}
			if comfyui.KindOf(err) != tt.kind || !errors.Is(err, &comfyui.Error{Kind: tt.kind}) {
				t.Errorf("KindOf/Is do not see kind %v", tt.kind)
			}
			wantURL := strings.TrimRight(tt.cfg.BaseURL, "/") + tt.path
			if ce.URL != wantURL {
				t.Errorf("URL %q, want %q", ce.URL, wantURL)
			}
			if msg := err.Error(); !strings.Contains(msg, wantURL+tt.wantMsg) {
				t.Errorf("message %q does not contain %q", msg, wantURL+tt.wantMsg)
			}
			if strings.Contains(fmt.Sprintf("%v %+v", err, ce), "tok-9f8e7d") {
				t.Errorf("error shows the token: %v", err)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("errors.Is(err, %v) is false", tt.cause)
			}
		})
	}
	if msg := (&comfyui.Error{Kind: comfyui.TooLarge, URL: "u", SizeLimit: 64 << 20}).Error(); msg != "ComfyUI response from u is larger than the 64 MiB cap" {
		t.Errorf("message %q", msg)
	}
	if msg := (&comfyui.Error{Kind: comfyui.Timeout, URL: "u", TimeLimit: 30 * time.Second}).Error(); msg != "ComfyUI at u did not answer within 30s" {
		t.Errorf("message %q", msg)
	}
}

func TestDoExactCap(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 10))
	}))
	defer ts.Close()
	c := newClient(t, comfyui.Config{BaseURL: ts.URL, MaxResponseBytes: 10})
	resp, err := c.Do(context.Background(), comfyui.Request{Path: "/"})
	if err != nil || len(resp.Body) != 10 {
		t.Fatalf("a body of exactly the cap: %v, %v", resp, err)
	}
}

// Bodies arrive whole whether the server announces their length or sends
// them in chunks, and the cap holds either way.
func TestDoReadsBodies(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		body := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
			_, _ = w.Write(body)
			return
		}
		for len(body) > 0 { // flushed pieces: chunked, no length
			k := min(len(body), 1000)
			_, _ = w.Write(body[:k])
			w.(http.Flusher).Flush()
			body = body[k:]
		}
	}))
	defer ts.Close()
	c := newClient(t, comfyui.Config{BaseURL: ts.URL, MaxResponseBytes: 200_000})
	for _, n := range []int{0, 1, 4095, 4096, 100_000, 200_000, 200_001} {
		for _, chunked := range []string{"", "1"} {
			resp, err := c.Do(context.Background(), comfyui.Request{Path: "/", Query: url.Values{"n": {strconv.Itoa(n)}, "chunked": {chunked}}})
			if n > 200_000 {
				if comfyui.KindOf(err) != comfyui.TooLarge {
					t.Errorf("n=%d chunked=%q: %v, want TooLarge", n, chunked, err)
				}
				continue
			}
			want := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
			if err != nil || !bytes.Equal(resp.Body, want) {
				t.Errorf("n=%d chunked=%q: %d bytes, %v", n, chunked, len(resp.Body), err)
			}
		}
	}
}

func TestDoRejectsBadPaths(t *testing.T) {
	c := newClient(t, comfyui.Config{BaseURL: "http://127.0.0.1:1"})
	_, err := c.Do(context.Background(), comfyui.Request{Path: "/../admin"})
	if err == nil || comfyui.KindOf(err) != 0 {
		t.Errorf("Do with a bad path: %v", err)
	}
}

// TestConnectionReuse checks that sequential and concurrent requests reuse kept-alive
// connections instead of dialling each time.
func TestConnectionReuse(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("{}"))
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	ts.Start()
	defer ts.Close()
	c := newClient(t, comfyui.Config{BaseURL: ts.URL})
	for range 20 {
		if _, err := c.Do(context.Background(), comfyui.Request{Path: "/queue"}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	sequential := conns
	mu.Unlock()
	// net/http may dial while a finished connection is on its way back to the pool, so
	// allow a few; without keep-alive this would be 20.
	if sequential > 3 {
		t.Errorf("%d connections for 20 sequential requests", sequential)
	}
	const parallel = 16
	var wg sync.WaitGroup
	for range 3 {
		for range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Do(context.Background(), comfyui.Request{Path: "/queue"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	// Three rounds of 16 need 16 connections when idle ones are kept; with net/http's
	// default of 2 idle connections per host they would need at least 44.
	if n := conns - sequential; n > 2*parallel {
		t.Errorf("%d connections for 3 rounds of %d parallel requests", n, parallel)
	}
}

func TestServerRestart(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	c := newClient(t, comfyui.Config{BaseURL: srv.URL})
	if _, err := c.Do(context.Background(), comfyui.Request{Path: "/queue"}); err != nil {
		t.Fatal(err)
	}
	srv.Down()
	_, err := c.Do(context.Background(), comfyui.Request{Path: "/queue"})
	if comfyui.KindOf(err) != comfyui.Unreachable {
		t.Errorf("while down: %v", err)
	}
	srv.Up()
	if resp, err := c.Do(context.Background(), comfyui.Request{Path: "/queue"}); err != nil || resp.Status != 200 {
		t.Errorf("after Up: %v, %v", resp, err)
	}
}

func TestWebSocketURLAndHeader(t *testing.T) {
	tests := []struct {
		base, clientID, wantURL, wantAuth string
	}{
		{"http://127.0.0.1:8188", "a b", "ws://127.0.0.1:8188/ws?clientId=a+b", ""},
		{"https://gpu.example/comfy/", "", "wss://gpu.example/comfy/ws", ""},
		{"https://alice:pw@gpu.example", "x", "wss://gpu.example/ws?clientId=x", "Basic YWxpY2U6cHc="},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c := newClient(t, comfyui.Config{BaseURL: tt.base})
			if got := c.WebSocketURL(tt.clientID); got != tt.wantURL {
				t.Errorf("WebSocketURL = %q, want %q", got, tt.wantURL)
			}
			if got := c.Header().Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization %q, want %q", got, tt.wantAuth)
			}
		})
	}
	c := newClient(t, comfyui.Config{BaseURL: "http://alice:pw@h", Header: http.Header{"Authorization": {token}}})
	if got := c.Header().Get("Authorization"); got != token {
		t.Errorf("Authorization %q: Config.Header must win", got)
	}
}

func TestKind(t *testing.T) {
	for k, want := range map[comfyui.Kind]string{
		comfyui.Unreachable: "unreachable", comfyui.Timeout: "timeout", comfyui.Cancelled: "cancelled",
		comfyui.TooLarge: "too large", comfyui.Protocol: "protocol", 0: "Kind(0)",
	} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), want)
		}
	}
	if comfyui.KindOf(errors.New("x")) != 0 {
		t.Error("KindOf of a foreign error")
	}
	wrapped := fmt.Errorf("polling: %w", &comfyui.Error{Kind: comfyui.Protocol, URL: "u", Err: errors.New("x")})
	if comfyui.KindOf(wrapped) != comfyui.Protocol || errors.Is(wrapped, &comfyui.Error{Kind: comfyui.Timeout}) {
		t.Error("kinds through wrapping")
	}
}
