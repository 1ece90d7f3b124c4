package comfyui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/easel-mcp/easel/internal/benchtest"
)

func newDirect(next http.RoundTripper) *directTransport {
	d := &net.Dialer{Timeout: time.Second}
	return &directTransport{dial: d.DialContext, next: next, maxIdle: 4, idleFor: time.Minute}
}

// get sends one request through t and reads the whole body.
func get(t *testing.T, rt http.RoundTripper, method, url string) (string, error) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"prompt":{}}`)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b), err
}

// countingServer is an httptest server that counts the connections made to it.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestDirectKeepsConnectionsAlive(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte("part 1, "))
			w.(http.Flusher).Flush() // no Content-Length: chunked
			w.Write([]byte("part 2"))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		default:
			fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
		}
	})
	rt := newDirect(nil)
	steps := []struct {
		method, path, want string
		conns              int32 // connections made so far
	}{
		{"GET", "/queue", "200 GET /queue", 1},
		{"GET", "/history/x", "200 GET /history/x", 1},
		{"POST", "/prompt", "200 POST /prompt", 1},
		{"GET", "/chunked", "200 part 1, part 2", 1},
		{"GET", "/close", "200 bye", 1},
		{"GET", "/queue", "200 GET /queue", 2}, // the server closed the last one
		{"HEAD", "/queue", "200 ", 2},
	}
	for _, s := range steps {
		got, err := get(t, rt, s.method, srv.URL+s.path)
		if err != nil || got != s.want {
			t.Fatalf("%s %s = %q, %v; want %q", s.method, s.path, got, err, s.want)
		}
		if n := conns.Load(); n != s.conns {
			t.Errorf("after %s %s: %d connections, want %d", s.method, s.path, n, s.conns)
		}
	}
}

func TestDirectBodyClosedEarlyClosesConnection(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 1<<20)))
	})
	rt := newDirect(nil)
	req, _ := http.NewRequest("GET", srv.URL+"/view", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 10)) // as a size limit stops reading
	resp.Body.Close()
	if _, err := get(t, rt, "GET", srv.URL+"/view"); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: a half-read answer's connection cannot be reused", n)
	}
}

// scriptedServer answers raw to as many requests on each connection as the
// connection's entry in answers says (no limit past the end of answers),
// then closes it without a word: on the next request, or with hangUp at
// once. It records every request it reads.
func scriptedServer(t *testing.T, answers []int, hangUp bool, raw string) (url string, seen func() []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var lines []string
	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := 1 << 30
			if i < len(answers) {
				n = answers[i]
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					mu.Lock()
					lines = append(lines, req.Method+" "+req.URL.Path)
					mu.Unlock()
					if n == 0 {
						return // closes without answering
					}
					n--
					io.WriteString(c, raw)
					if n == 0 && hangUp {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
}

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func TestDirectResendsOnlyReplayableRequests(t *testing.T) {
	// The first connection answers once and then closes on the next
	// request, as a server does when its keep-alive ran out just as the
	// request went out.
	url, seen := scriptedServer(t, []int{1}, false, okAnswer)
	rt := newDirect(nil)
	if got, err := get(t, rt, "GET", url+"/queue"); err != nil || got != "200 ok" {
		t.Fatalf("first GET = %q, %v", got, err)
	}
	if got, err := get(t, rt, "GET", url+"/history/x"); err != nil || got != "200 ok" {
		t.Fatalf("GET on the closing connection = %q, %v; want it sent again on a new one", got, err)
	}
	want := "GET /queue,GET /history/x,GET /history/x"
	if got := strings.Join(seen(), ","); got != want {
		t.Errorf("server saw %s, want %s", got, want)
	}

	url, seen = scriptedServer(t, []int{1}, false, okAnswer)
	rt = newDirect(nil)
	get(t, rt, "GET", url+"/queue")
	if got, err := get(t, rt, "POST", url+"/prompt"); !errors.Is(err, errNoAnswer) {
		t.Fatalf("POST on the closing connection = %q, %v; want errNoAnswer, not a second POST", got, err)
	}
	want = "GET /queue,POST /prompt"
	if got := strings.Join(seen(), ","); got != want {
		t.Errorf("server saw %s, want %s", got, want)
	}
}

func TestDirectSkipsConnectionsClosedWhileIdle(t *testing.T) {
	url, seen := scriptedServer(t, []int{1, 1}, true, okAnswer)
	rt := newDirect(nil)
	get(t, rt, "GET", url+"/queue")
	// The server closes the idle connection after its answer; the next
	// POST must not be written to it.
	idle := rt.idle[hostPort(mustURL(t, url))]
	if len(idle) != 1 {
		t.Fatalf("%d idle connections after one request, want 1", len(idle))
	}
	waitPeerClosed(t, idle[0])
	if got, err := get(t, rt, "POST", url+"/prompt"); err != nil || got != "200 ok" {
		t.Fatalf("POST after the server closed the idle connection = %q, %v", got, err)
	}
	if got := strings.Join(seen(), ","); got != "GET /queue,POST /prompt" {
		t.Errorf("server saw %s", got)
	}

	// A GET skips the check (a system call per request) and is sent
	// again on a new connection when the idle one turns out closed.
	url, seen = scriptedServer(t, []int{1, 1}, true, okAnswer)
	rt = newDirect(nil)
	get(t, rt, "GET", url+"/queue")
	idle = rt.idle[hostPort(mustURL(t, url))]
	waitPeerClosed(t, idle[0])
	if got, err := get(t, rt, "GET", url+"/history/x"); err != nil || got != "200 ok" {
		t.Fatalf("GET after the server closed the idle connection = %q, %v", got, err)
	}
	if got := strings.Join(seen(), ","); got != "GET /queue,GET /history/x" {
		t.Errorf("server saw %s", got)
	}
}

// waitPeerClosed waits until pc sees that the server closed it.
func waitPeerClosed(t *testing.T, pc *directConn) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); !pc.peerClosed(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("peerClosed is still false a second after the server closed the connection")
		}
	}
}

func TestDirectInformationalAnswers(t *testing.T) {
	url, _ := scriptedServer(t, nil, false, "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"+okAnswer)
	if got, err := get(t, newDirect(nil), "GET", url+"/queue"); err != nil || got != "200 ok" {
		t.Fatalf("GET = %q, %v; want the answer after the 103", got, err)
	}
}

func TestDirectCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/queue", nil)
	start := time.Now()
	_, err := newDirect(nil).RoundTrip(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RoundTrip = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("RoundTrip returned %v after the cancellation", d)
	}
}

// recordingTransport stands in for the standard transport.
type recordingTransport struct{ urls []string }

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.urls = append(r.urls, req.URL.String())
	return &http.Response{StatusCode: 204, Body: http.NoBody, Request: req}, nil
}

func TestDirectDelegates(t *testing.T) {
	next := &recordingTransport{}
	rt := newDirect(next)
	rt.proxy = func(req *http.Request) (*url.URL, error) {
		if req.URL.Hostname() == "behind-proxy" {
			return url.Parse("http://proxy:3128")
		}
		return nil, nil
	}
	for _, u := range []string{"https://comfy.example/queue", "http://behind-proxy:8188/queue"} {
		if got, err := get(t, rt, "GET", u); err != nil || got != "204 " {
			t.Errorf("GET %s = %q, %v", u, got, err)
		}
	}
	req, _ := http.NewRequest("GET", "http://127.0.0.1:1/ws", nil)
	req.Header.Set("Upgrade", "websocket")
	rt.RoundTrip(req)
	want := "https://comfy.example/queue http://behind-proxy:8188/queue http://127.0.0.1:1/ws"
	if got := strings.Join(next.urls, " "); got != want {
		t.Errorf("the standard transport got %s, want %s", got, want)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// BenchmarkDirectTransport compares a GET of a history-sized answer through
// the direct transport with the same GET through net/http's Transport, in
// one run. Both reach an httptest server in this process, so the hand-offs
// the direct transport saves cost goroutine switches here rather than the
// thread wake-ups they cost between processes (docs/performance.md); the
// ratio is a floor on the difference. Run it with -cpu 1, as easel serve
// runs.
func BenchmarkDirectTransport(b *testing.B) {
	body := []byte(strings.Repeat(`{"status":{"status_str":"success"}}`, 30))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	fetch := func(rt http.RoundTripper) func() {
		return func() {
			req, _ := http.NewRequest("GET", srv.URL+"/history/x", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			if n, _ := io.Copy(io.Discard, resp.Body); n != int64(len(body)) {
				b.Fatalf("read %d bytes, want %d", n, len(body))
			}
			resp.Body.Close()
		}
	}
	std := &http.Transport{MaxIdleConnsPerHost: maxIdleConnsPerHost}
	defer std.CloseIdleConnections()
	base := benchtest.Measure(time.Second, fetch(std))
	direct := newDirect(nil)
	defer direct.CloseIdleConnections()
	get := fetch(direct)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		get()
	}
	benchtest.Report(b, base, "nethttp")
}
