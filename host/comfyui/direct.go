package comfyui

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/easel-mcp/easel/host/internal/rawio"
)

// directTransport is the HTTP/1.1 transport for a ComfyUI server at an
// http:// URL: it writes each request and reads its answer on the calling
// goroutine, over kept-alive connections it owns. Anything else (https, a
// proxy from the environment, a protocol upgrade) goes to next, the
// standard transport.
//
// net/http's Transport gives every connection a reading and a writing
// goroutine, and a request hands off to both and back; each hand-off is a
// scheduler round trip, and with idle processors a thread wake-up. A
// plugin's ComfyUI request is the one hop of a tool call that easel makes
// itself, so it is made directly: measured on the 2-core VM, a /history
// request from a plugin took 350 µs through net/http's Transport and
// 220–280 µs this way (docs/performance.md). Parsing is net/http's own
// (Request.Write, http.ReadResponse); connections are rawio.Conns.
//
// As with net/http, a request that fails on a reused connection before any
// answer arrives is sent once more on a new one if it is replayable (GET,
// HEAD); a POST is not, since ComfyUI may have acted on it.
type directTransport struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	proxy   func(*http.Request) (*url.URL, error) // nil: no proxies
	next    http.RoundTripper
	maxIdle int           // kept-alive connections per host
	idleFor time.Duration // how long one may stay unused

	mu   sync.Mutex
	idle map[string][]*directConn // by host:port, most recently used last
}

// directConn is one connection to a ComfyUI server.
type directConn struct {
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	idleAt time.Time
}

// peerClosed reports whether the server closed c while it was idle (or sent
// something unasked); such a connection cannot carry a request.
func (c *directConn) peerClosed() bool {
	if c.br.Buffered() > 0 {
		return true
	}
	rc, ok := c.conn.(*rawio.Conn)
	return ok && rc.PeerClosed()
}

// RoundTrip implements http.RoundTripper.
func (t *directTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.handles(req) {
		return t.next.RoundTrip(req)
	}
	addr := hostPort(req.URL)
	for {
		pc, reused, err := t.conn(req.Context(), addr, !replayable(req))
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(req, pc, addr)
		if err == nil {
			return resp, nil
		}
		pc.conn.Close()
		if !reused || !errors.Is(err, errNoAnswer) || !replayable(req) || req.Context().Err() != nil {
			return nil, err
		}
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
	}
}

// handles reports whether t serves req itself.
func (t *directTransport) handles(req *http.Request) bool {
	if req.URL.Scheme != "http" || req.Header.Get("Upgrade") != "" {
		return false
	}
	if t.proxy == nil {
		return true
	}
	p, err := t.proxy(req)
	return err == nil && p == nil
}

// errNoAnswer marks a request that got no byte of an answer: the
// connection failed while it was written, or ended before the status line.
var errNoAnswer = errors.New("connection ended before an answer")

// exchange writes req on pc and reads the answer's head; the caller reads
// the body, and pc returns to the idle list once it is read to its end.
func (t *directTransport) exchange(req *http.Request, pc *directConn, addr string) (*http.Response, error) {
	ctx := req.Context()
	// The context's end, deadline or cancellation, ends a wait at once: a
	// deadline in the past. (Not the context's deadline on the connection:
	// the read could fail before ctx.Err() says why.)
	pc.conn.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { pc.conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, error) {
		stop()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	if err := req.Write(pc.bw); err != nil {
		return fail(errors.Join(errNoAnswer, err))
	}
	if err := pc.bw.Flush(); err != nil {
		return fail(errors.Join(errNoAnswer, err))
	}
	if _, err := pc.br.Peek(1); err != nil {
		return fail(errors.Join(errNoAnswer, err))
	}
	for {
		resp, err := http.ReadResponse(pc.br, req)
		if err != nil {
			return fail(err)
		}
		// An informational answer (100 Continue, 103 Early Hints) comes
		// before the real one.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		resp.Body = &directBody{
			ReadCloser: resp.Body, t: t, pc: pc, addr: addr, stop: stop,
			reusable: !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols,
		}
		return resp, nil
	}
}

// directBody gives its connection back to the idle list when it is read
// to its end and closed; a body closed earlier closes the connection.
type directBody struct {
	io.ReadCloser
	t        *directTransport
	pc       *directConn
	addr     string
	stop     func() bool // ends the cancellation watch
	reusable bool        // neither side asked to close
	eof      bool
	closed   bool
}

func (b *directBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *directBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.ReadCloser.Close()
	if b.stop() && b.eof && b.reusable && b.pc.br.Buffered() == 0 {
		b.t.putIdle(b.addr, b.pc)
		return nil
	}
	return b.pc.conn.Close()
}

// conn returns an idle connection to addr, or dials one. With probe, an
// idle connection is first checked for having been closed by the server
// (a system call); a request that may be sent again skips the check, as
// RoundTrip resends it on a new connection when the old one fails before
// its answer.
func (t *directTransport) conn(ctx context.Context, addr string, probe bool) (pc *directConn, reused bool, err error) {
	if pc := t.takeIdle(addr, probe); pc != nil {
		return pc, true, nil
	}
	c, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		if rc, err := rawio.NewConn(tc); err == nil {
			c = rc
		}
	}
	return &directConn{conn: c, br: bufio.NewReaderSize(c, 32<<10), bw: bufio.NewWriterSize(c, 4<<10)}, false, nil
}

// takeIdle removes and returns the most recently used idle connection to
// addr that is still good, closing the ones that are not; probe asks the
// kernel whether the server closed it (peerClosed), otherwise only the
// age and bytes the server sent unasked count.
func (t *directTransport) takeIdle(addr string, probe bool) *directConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	list := t.idle[addr]
	for len(list) > 0 {
		pc := list[len(list)-1]
		list = list[:len(list)-1]
		good := time.Since(pc.idleAt) < t.idleFor && pc.br.Buffered() == 0
		if good && (!probe || !pc.peerClosed()) {
			t.idle[addr] = list
			return pc
		}
		pc.conn.Close()
	}
	delete(t.idle, addr)
	return nil
}

// putIdle keeps pc for the next request to addr, or closes it when
// maxIdle are kept already.
func (t *directTransport) putIdle(addr string, pc *directConn) {
	pc.idleAt = time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.idle[addr]) >= t.maxIdle {
		pc.conn.Close()
		return
	}
	if t.idle == nil {
		t.idle = map[string][]*directConn{}
	}
	t.idle[addr] = append(t.idle[addr], pc)
}

// CloseIdleConnections closes the kept-alive connections, next's too.
func (t *directTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, list := range idle {
		for _, pc := range list {
			pc.conn.Close()
		}
	}
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// replayable reports whether req may be sent again, as net/http decides:
// an idempotent method, and a body that can be produced again.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// hostPort is u's host:port, port 80 when u names none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
