package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/easel-mcp/easel/sdk/jsonread"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// The stdio transport is easel's own read loop over mcp-go's
// MCPServer.HandleMessage, not mcp-go's StdioServer:
//
//   - every request is served at once, on a worker goroutine of its own.
//     mcp-go's stdio server ran at most 100 tool calls at once and queued
//     the rest, so 100 wait_for_job calls stalled every other tool until
//     one of them ended;
//   - a line is parsed once to route it, not five times (mcp-go tries it
//     as an answer to each kind of request it may have sent, then as a
//     request), and handed to a goroutine directly instead of through a
//     reading goroutine per line and a worker queue;
//   - what a request sends while it runs (progress, log messages, sampling
//     and elicitation requests) goes through the same outlet as on HTTP
//     (stream.go), and the client's answers to easel's requests are routed
//     by the same pendingRequests;
//   - the session is a value of this Server, not mcp-go's package-level
//     stdio session;
//   - a plain tools/call is served without HandleMessage's generic request
//     handling, with the same answer (toolcall.go).

// maxStdioRequests bounds the requests served at once over stdio. Past it
// a request is refused with an error instead of being queued: a client
// that sends more is broken, and memory must stay bounded.
const maxStdioRequests = 10000

// errServerBusy is the JSON-RPC error code of a refused request
// (implementation-defined server errors are -32000 to -32099).
const errServerBusy = -32000

// ServeStdio serves one client over in/out until in ends or ctx is done.
// Nothing but MCP frames is written to out, one per line. Either way,
// calls in flight get up to Options.ShutdownTimeout to finish and send
// their results (new ones are refused meanwhile); then the rest are
// cancelled.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	// The session outlives ctx by the drain.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	conn := &stdioConn{s: s, out: newFrameWriter(out, s.logger), session: newStdioSession(), workers: newWorkers(workerIdle)}
	if err := s.mcp.RegisterSession(sctx, conn.session); err != nil {
		return fmt.Errorf("register the stdio session: %w", err)
	}
	defer s.mcp.UnregisterSession(context.Background(), conn.session.SessionID())
	rctx := context.WithValue(s.mcp.WithContext(sctx, conn.session), streamKey{}, outlet(conn.out))
	var forwarding sync.WaitGroup
	forwarding.Go(func() { conn.forwardNotifications(rctx) })
	eof := &drainAtEOF{r: newLineLimiter(in, s.maxMessage, s.logger), drain: func() { s.shutdown(drainSettle) }}
	errc := make(chan error, 1)
	go func() { errc <- conn.read(rctx, eof) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.shutdown(0)
	}
	cancel()
	conn.stop()
	forwarding.Wait() // nothing is written to out after ServeStdio returns
	return stdioErr(err)
}

// shutdown drains for at most shutdownTimeout, after settle (see
// settleThenDrain), and logs what it cut off.
func (s *Server) shutdown(settle time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	if left := s.settleThenDrain(ctx, settle); left > 0 {
		s.logger.Warn("shutdown timeout passed; cancelling the calls still running", "in_flight", left, "timeout", s.shutdownTimeout)
	}
}

func stdioErr(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// drainAtEOF holds back the end of stdin until the calls in flight have
// drained: a client that closes stdin after its last request still reads
// stdout, and the requests' context ends with the input.
type drainAtEOF struct {
	r     io.Reader
	drain func()
	once  sync.Once
}

func (d *drainAtEOF) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == io.EOF {
		d.once.Do(d.drain)
	}
	return n, err
}

// stdioConn is one stdio client: its session, its output, and the
// requests being served.
type stdioConn struct {
	s       *Server
	out     *frameWriter
	session *stdioSession

	workers  workers
	requests replies       // requests in flight, for notifications/cancelled
	client   clientContext // the client's capabilities and info, as last read
	mu       sync.Mutex
	stopped  bool           // no request is started any more
	running  sync.WaitGroup // requests being served
	inFlight int
}

// read serves the lines of in until it ends, fails, or ctx is done.
func (c *stdioConn) read(ctx context.Context, in io.Reader) error {
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(line) > 0 {
			c.serve(ctx, line)
		}
		if err != nil {
			return err
		}
	}
}

// envelope is what routing a message needs of it.
type envelope struct {
	object bool            // a JSON object (else no JSON-RPC message)
	method bool            // has a method: a request or a notification
	id     json.RawMessage // the id when there is one, null included
	answer bool            // has a result or an error: a response
}

func readEnvelope(line []byte) (envelope, error) {
	var e envelope
	r := jsonread.New(line)
	if r.Kind() != jsonread.Object {
		r.Skip()
		return e, r.End()
	}
	e.object = true
	r.ObjectBytes(func(key []byte) {
		switch string(key) {
		case "method":
			e.method = true
		case "id":
			e.id = r.Raw()
		case "result", "error":
			e.answer = true
		}
	})
	return e, r.End()
}

// serve routes one line: a request to a worker goroutine, a
// notification through HandleMessage at once (in order: notifications/
// initialized before what follows it), an answer to the request of easel's
// that waits for it.
func (c *stdioConn) serve(ctx context.Context, line []byte) {
	if isBlank(line) {
		return // an empty line is no message
	}
	e, err := readEnvelope(line)
	switch {
	case err != nil:
		c.out.writeError(nil, mcp.PARSE_ERROR, "Parse error: "+strings.TrimPrefix(err.Error(), "jsonread: "))
	case !e.object:
		c.out.writeError(nil, mcp.INVALID_REQUEST, "Invalid Request: a JSON-RPC message is an object")
	case !e.method && e.answer:
		if !c.s.takeAnswer(line) {
			c.s.logger.Debug("ignored a client's answer to no request easel is waiting for", "id", string(e.id))
		}
	case e.id == nil:
		c.out.writeMessage(c.handle(ctx, line, nil))
	default:
		c.start(ctx, line, e.id)
	}
}

// start serves a request on a worker goroutine, or refuses it.
func (c *stdioConn) start(ctx context.Context, line []byte, id json.RawMessage) {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	if c.inFlight >= maxStdioRequests {
		c.mu.Unlock()
		c.out.writeError(id, errServerBusy, fmt.Sprintf("easel is serving %d requests already; retry when some have finished", maxStdioRequests))
		return
	}
	c.inFlight++
	c.running.Add(1)
	c.mu.Unlock()
	// Tracked here, in the read loop, so that a notifications/cancelled
	// read after the request always finds it.
	rep := &reply{}
	ctx, cancel := context.WithCancel(withReply(ctx, rep))
	remove := func() bool { return false }
	if key, ok := requestKey(id); ok {
		remove = c.requests.add(key, rep, cancel)
	}
	c.workers.run(func() {
		defer c.done()
		defer cancel()
		resp := c.handle(ctx, line, id)
		if remove() {
			c.s.logger.Debug("the client cancelled a request; it is not answered", "id", string(id))
			return
		}
		c.out.writeMessage(rep.rewrite(resp))
	})
}

// workerIdle is how long a worker goroutine waits for another request
// before it exits.
const workerIdle = 10 * time.Second

// workers run requests on goroutines that outlive them. A tool call's
// stack grows deep (mcp-go, easel, wazero, net/http); a goroutine made
// per request starts small and grows it again each time, which cost 3.7%
// of easel's CPU under a steady get_job_status load. A request goes to an
// idle worker when there is one, else to a new goroutine that then waits
// up to idle for more.
type workers struct {
	jobs chan func() // unbuffered: a send succeeds only if a worker waits
	quit chan struct{}
	idle time.Duration
}

func newWorkers(idle time.Duration) workers {
	return workers{jobs: make(chan func()), quit: make(chan struct{}), idle: idle}
}

// run runs job on an idle worker or a new one; it never waits.
func (w workers) run(job func()) {
	select {
	case w.jobs <- job:
	default:
		go w.work(job)
	}
}

func (w workers) work(job func()) {
	idle := time.NewTimer(w.idle)
	defer idle.Stop()
	for {
		job()
		idle.Reset(w.idle)
		select {
		case job = <-w.jobs:
		case <-idle.C:
			return
		case <-w.quit:
			return
		}
	}
}

// close ends the idle workers; call it once no job runs or will.
func (w workers) close() { close(w.quit) }

func (c *stdioConn) done() {
	c.mu.Lock()
	c.inFlight--
	c.mu.Unlock()
	c.running.Done()
}

// stop starts no more requests and waits for those being served; their
// context has ended.
func (c *stdioConn) stop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	c.running.Wait()
	c.workers.close()
}

// handle serves one message: a plain tools/call directly (toolcall.go),
// anything else through mcp-go. A panic there costs that message an
// internal error, not the process.
func (c *stdioConn) handle(ctx context.Context, line []byte, id json.RawMessage) (resp any) {
	defer func() {
		if r := recover(); r != nil {
			c.s.logger.Error("panic serving a stdio message", "panic", r, "stack", string(debug.Stack()))
			resp = nil
			if id != nil {
				resp = errorMessage(id, mcp.INTERNAL_ERROR, fmt.Sprintf("internal error: %v", r))
			}
		}
	}()
	if id == nil {
		if key, ok := cancelledNotification(line); ok {
			c.requests.cancel(key)
		}
	} else if tc, ok := parseToolCall(line, &c.client); ok {
		if resp, ok := c.s.serveToolCall(ctx, tc); ok {
			return resp
		}
	}
	return c.s.mcp.HandleMessage(ctx, line) // a nil message stays a nil any
}

// forwardNotifications writes what mcp-go sends the session (list_changed
// after a reload, for one) until ctx ends.
func (c *stdioConn) forwardNotifications(ctx context.Context) {
	for {
		select {
		case n := <-c.session.notifications:
			c.out.writeMessage(n)
		case <-ctx.Done():
			return
		}
	}
}

func isBlank(line []byte) bool {
	for _, b := range line {
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			return false
		}
	}
	return true
}

// errorMessage is a JSON-RPC error response; id nil is null.
func errorMessage(id json.RawMessage, code int, message string) any {
	if id == nil {
		id = json.RawMessage("null")
	}
	type details struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	return struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   details         `json:"error"`
	}{"2.0", id, details{code, message}}
}

// frameWriter writes whole messages to stdout, one per line. It is the
// outlet of every stdio request.
//
// Messages that are ready together leave in one write: the first sender
// yields once before it writes (runtime.Gosched), so that the goroutines
// already runnable (other calls whose ComfyUI answers arrived in the same
// poll) add theirs, and then writes everything pending. Under load that
// saves system calls and wake-ups of the client, which reads them in one
// read; a lone message waits only for the yield. A sender whose message
// another goroutine writes returns at once, so a sender returns true
// before its bytes are out; they are out before the writing goroutine
// returns, and the connection waits for every request's goroutine.
type frameWriter struct {
	logger *slog.Logger
	w      io.Writer

	mu      sync.Mutex
	drained sync.Cond // signalled after each write, for senders held back by maxPending
	pending []byte    // messages to write, each ending in '\n'
	spare   []byte    // the buffer of the write before, for reuse
	writing bool      // a sender is writing pending; others only append
	failed  bool      // a write failed: the client is gone
}

func newFrameWriter(w io.Writer, logger *slog.Logger) *frameWriter {
	f := &frameWriter{w: w, logger: logger}
	f.drained.L = &f.mu
	return f
}

// maxPending bounds the bytes waiting behind a write: a client that stops
// reading stdout holds senders back, as a full pipe holds a writer.
const maxPending = 1 << 20

// send writes one encoded message; it reports false once stdout failed.
func (f *frameWriter) send(msg []byte) bool {
	f.mu.Lock()
	for f.writing && len(f.pending) >= maxPending && !f.failed {
		f.drained.Wait()
	}
	if f.failed {
		f.mu.Unlock()
		return false
	}
	f.pending = append(append(f.pending, msg...), '\n')
	if f.writing {
		f.mu.Unlock()
		return true
	}
	f.writing = true
	f.mu.Unlock()
	runtime.Gosched()
	return f.writePending()
}

// writePending writes what is pending until nothing is; the caller is
// the one writing sender.
func (f *frameWriter) writePending() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.pending) > 0 && !f.failed {
		buf := f.pending
		f.pending = f.spare[:0]
		f.mu.Unlock()
		_, err := f.w.Write(buf)
		f.mu.Lock()
		f.spare = nil
		if cap(buf) <= maxPending {
			f.spare = buf // a large result's buffer is not kept
		}
		if err != nil {
			f.failed = true
			f.pending = nil
			f.logger.Warn("cannot write to stdout; the client has gone", "err", err)
		}
		f.drained.Broadcast()
	}
	f.writing = false
	return !f.failed
}

// writeMessage encodes and writes msg; nil writes nothing.
func (f *frameWriter) writeMessage(msg any) {
	if msg == nil {
		return
	}
	b, err := encodeMessage(msg)
	if err != nil {
		f.logger.Error("cannot encode a message for stdout", "err", err)
		return
	}
	f.send(b)
}

// writeError writes a JSON-RPC error response.
func (f *frameWriter) writeError(id json.RawMessage, code int, message string) {
	f.writeMessage(errorMessage(id, code, message))
}

// stdioSession is the one MCP session of a stdio client. It keeps what
// mcp-go keeps per session (initialized, log level, client info) and
// receives the notifications mcp-go sends to all sessions.
type stdioSession struct {
	notifications chan mcp.JSONRPCNotification
	initialized   atomic.Bool
	logLevel      atomic.Value // mcp.LoggingLevel
	clientInfo    atomic.Value // mcp.Implementation
	clientCaps    atomic.Value // mcp.ClientCapabilities
}

var (
	_ server.ClientSession         = (*stdioSession)(nil)
	_ server.SessionWithLogging    = (*stdioSession)(nil)
	_ server.SessionWithClientInfo = (*stdioSession)(nil)
)

func newStdioSession() *stdioSession {
	return &stdioSession{notifications: make(chan mcp.JSONRPCNotification, 100)}
}

func (s *stdioSession) SessionID() string { return "stdio" }

func (s *stdioSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return s.notifications
}

func (s *stdioSession) Initialize() {
	s.logLevel.CompareAndSwap(nil, mcp.LoggingLevelError)
	s.initialized.Store(true)
}

func (s *stdioSession) Initialized() bool { return s.initialized.Load() }

func (s *stdioSession) SetLogLevel(level mcp.LoggingLevel) { s.logLevel.Store(level) }

// GetLogLevel is error until the client sets another, as in mcp-go.
func (s *stdioSession) GetLogLevel() mcp.LoggingLevel {
	if l, ok := s.logLevel.Load().(mcp.LoggingLevel); ok {
		return l
	}
	return mcp.LoggingLevelError
}

func (s *stdioSession) GetClientInfo() mcp.Implementation {
	v, _ := s.clientInfo.Load().(mcp.Implementation)
	return v
}

func (s *stdioSession) SetClientInfo(info mcp.Implementation) { s.clientInfo.Store(info) }

func (s *stdioSession) GetClientCapabilities() mcp.ClientCapabilities {
	v, _ := s.clientCaps.Load().(mcp.ClientCapabilities)
	return v
}

func (s *stdioSession) SetClientCapabilities(c mcp.ClientCapabilities) { s.clientCaps.Store(c) }
