package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Request streams: what a request sends to its client while it runs.
//
// mcp-go 1.2.1 gives each MCP session one notification channel, read both by
// the forwarder of the POST running a tool and by the session's standalone
// GET stream. A progress or log notification sent from a tool can therefore
// leave on the GET stream and reach the client after the tool's result, or be
// taken off the channel by a forwarder that has just finished and dropped
// (docs/design.md, "Notifications travel on the request's own stream").
//
// So easel does not hand a request's notifications to mcp-go at all. A thin
// middleware in front of mcp-go's handler gives every POST a requestStream
// (in the request's context) that writes straight onto that POST's response:
// the first notification turns the response into an SSE stream, each one is
// flushed as it is sent, and the JSON-RPC response mcp-go writes afterwards
// is re-framed as the stream's last SSE event. Server-to-client requests of
// a plugin (sampling, elicitation) travel the same way, and the middleware
// routes the client's answers (POSTed JSON-RPC responses with easel's ids)
// back to the waiting call instead of passing them to mcp-go. Over stdio
// the outlet is stdout itself (stdio.go), and the read loop routes the
// answers the same way.

// requestStream is one POST's response as an outlet for messages to the
// client. It is safe for concurrent use; a message is written whole.
type requestStream struct {
	w       http.ResponseWriter
	flusher http.Flusher
	// preferSSE: the client accepts text/event-stream, so a JSON answer is
	// sent as an SSE stream of one event, as every answer that carried
	// notifications is; clients then see one kind of response.
	preferSSE bool

	// rep says whether the client cancelled the request (its answer is
	// then dropped) and what error replaces mcp-go's internal error.
	rep *reply

	mu          sync.Mutex
	wroteHeader bool // the response's status line has been sent
	sse         bool // ... as text/event-stream
	reframe     bool // mcp-go is writing a JSON body into our SSE stream
	hold        int  // mcp-go's status of a JSON answer held back to be rewritten; 0 when none is
	body        bytes.Buffer
	done        bool // the handler returned: nothing more can be sent
}

// outlet carries what a request sends its client while it runs: a POST's
// requestStream on HTTP, stdout on stdio.
type outlet interface {
	// send writes one JSON-RPC message whole; false means it cannot be
	// sent any more (the response is complete, or the client is gone).
	send(msg []byte) bool
}

type streamKey struct{}

// streamFrom is the outlet of ctx's request, nil when it has none.
func streamFrom(ctx context.Context) outlet {
	s, _ := ctx.Value(streamKey{}).(outlet)
	return s
}

// send writes one JSON-RPC message (a notification or a request) as an SSE
// event on the response, upgrading it first. It reports false when the
// response can no longer carry it: already answered as plain JSON, or done.
func (s *requestStream) send(msg []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || (s.wroteHeader && !s.sse) {
		return false
	}
	if !s.wroteHeader {
		h := s.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("Connection", "keep-alive")
		s.w.WriteHeader(http.StatusOK)
		s.wroteHeader, s.sse = true, true
	}
	if _, err := fmt.Fprintf(s.w, "event: message\ndata: %s\n\n", msg); err != nil {
		return false
	}
	s.flusher.Flush()
	return true
}

// Header is the response's header map; what mcp-go sets after the stream
// has started is ignored by net/http.
func (s *requestStream) Header() http.Header { return s.w.Header() }

// WriteHeader passes mcp-go's status on, unless the stream has already
// started: then a JSON answer is buffered and re-framed as an SSE event, and
// an SSE answer continues the stream.
//
// A JSON answer that rep may rewrite is held back until finish; one to a
// request the client cancelled becomes an empty SSE stream when the client
// accepts one (a JSON-only client must still get a body, and gets the
// answer it will ignore).
func (s *requestStream) WriteHeader(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wroteHeader {
		s.reframe = s.sse && !strings.HasPrefix(s.w.Header().Get("Content-Type"), "text/event-stream")
		s.w.Header().Set("Content-Type", "text/event-stream")
		return
	}
	h := s.w.Header()
	isJSON := strings.HasPrefix(h.Get("Content-Type"), "application/json")
	if isJSON && !s.preferSSE && s.rep.errorOverride() != nil {
		s.hold = code
		return
	}
	s.wroteHeader = true
	s.sse = strings.HasPrefix(h.Get("Content-Type"), "text/event-stream")
	if s.preferSSE && code == http.StatusOK && isJSON {
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		s.sse, s.reframe = true, true
	}
	s.w.WriteHeader(code)
}

func (s *requestStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reframe || s.hold != 0 {
		return s.body.Write(p)
	}
	if s.sse && s.rep.cancelled.Load() {
		return len(p), nil // what mcp-go streams for a cancelled request
	}
	if !s.wroteHeader {
		s.wroteHeader = true
		s.sse = strings.HasPrefix(s.w.Header().Get("Content-Type"), "text/event-stream")
	}
	return s.w.Write(p)
}

// Flush lets mcp-go stream its own SSE events through.
func (s *requestStream) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.reframe {
		s.flusher.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *requestStream) Unwrap() http.ResponseWriter { return s.w }

// finish ends the stream after mcp-go's handler returned: a buffered JSON
// answer goes out as the last SSE event.
// An answer held back for rep is rewritten and written whole; the answer
// to a request the client cancelled is dropped.
func (s *requestStream) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	switch {
	case s.hold != 0:
		body := s.rep.rewriteJSON(bytes.TrimSpace(s.body.Bytes()))
		s.w.Header().Del("Content-Length")
		s.w.WriteHeader(s.rep.httpStatus(s.hold))
		s.w.Write(append(body, '\n'))
	case !s.reframe || s.body.Len() == 0 || s.rep.cancelled.Load():
	default:
		fmt.Fprintf(s.w, "event: message\ndata: %s\n\n", s.rep.rewriteJSON(bytes.TrimSpace(s.body.Bytes())))
		s.flusher.Flush()
	}
}

// pendingRequests are easel's server-to-client requests waiting for the
// client's answer, by JSON-RPC id. Their ids are strings with a prefix that
// mcp-go's numeric ids never have, so answers can be told apart.
type pendingRequests struct {
	next    atomic.Int64
	mu      sync.Mutex
	waiting map[string]chan clientAnswer
}

// clientAnswer is the client's JSON-RPC response to one of our requests.
type clientAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// requestIDPrefix marks the ids of easel's own server-to-client requests.
const requestIDPrefix = "easel-"

// ask sends method with params on the request's stream and waits for the
// client's answer or ctx.
func (p *pendingRequests) ask(ctx context.Context, s outlet, method string, params json.RawMessage) (json.RawMessage, error) {
	id := requestIDPrefix + strconv.FormatInt(p.next.Add(1), 10)
	ch := make(chan clientAnswer, 1)
	p.mu.Lock()
	if p.waiting == nil {
		p.waiting = map[string]chan clientAnswer{}
	}
	p.waiting[id] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiting, id)
		p.mu.Unlock()
	}()
	msg, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      string          `json:"id"`
		Method  string          `json:"method"`
		Params  json.RawMessage `json:"params"`
	}{"2.0", id, method, params})
	if err != nil {
		return nil, err
	}
	if !s.send(msg) {
		return nil, errors.New("the request's response stream is closed, or the client has gone")
	}
	select {
	case a := <-ch:
		if a.Error != nil {
			return nil, fmt.Errorf("the client answered %s with error %d: %s", method, a.Error.Code, a.Error.Message)
		}
		return a.Result, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// deliver hands a client's response to the request waiting for it and
// reports whether one was.
func (p *pendingRequests) deliver(id string, a clientAnswer) bool {
	p.mu.Lock()
	ch, ok := p.waiting[id]
	delete(p.waiting, id)
	p.mu.Unlock()
	if ok {
		ch <- a
	}
	return ok
}

// streams is the middleware in front of mcp-go's streamable HTTP handler:
// it gives each POST a requestStream and takes the client's answers to
// easel's own requests.
//
// It reads each POST body whole, to see whether it answers one of easel's
// requests, so it bounds it: maxBody bytes.
func (s *Server) streams(next http.Handler, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flusher, ok := w.(http.Flusher)
		if r.Method != http.MethodPost || !ok {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		var tooLarge *http.MaxBytesError // the cap in front of this handler
		switch {
		case errors.As(err, &tooLarge):
			maxBody = tooLarge.Limit
			fallthrough
		case int64(len(body)) > maxBody:
			http.Error(w, fmt.Sprintf("request body exceeds the limit of %d bytes (http.max_body_bytes)", maxBody), http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "request body unreadable: "+err.Error(), http.StatusBadRequest)
			return
		}
		if s.takeAnswer(body) {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		st := &requestStream{w: w, flusher: flusher, preferSSE: acceptsSSE(r), rep: &reply{}}
		defer st.finish()
		defer s.trackPost(r, body, st.rep)()
		ctx := withReply(context.WithValue(r.Context(), streamKey{}, outlet(st)), st.rep)
		next.ServeHTTP(st, r.WithContext(ctx))
	})
}

// trackPost lets a notifications/cancelled reach a request POSTed in the
// same session (or, stateless, by any client: mcp-go scopes its own
// cancellation so), and marks the request a cancellation in body names.
// mcp-go still receives the notification and stops the handler; the mark
// makes the stream end without the answer. The returned func forgets the
// request.
func (s *Server) trackPost(r *http.Request, body []byte, rep *reply) (forget func()) {
	scope := r.Header.Get("Mcp-Session-Id") + "\x00"
	if key, ok := cancelledNotification(body); ok {
		s.posts.cancel(scope + key)
		return func() {}
	}
	e, err := readEnvelope(body)
	if err != nil || !e.method || e.id == nil {
		return func() {}
	}
	key, ok := requestKey(e.id)
	if !ok {
		return func() {}
	}
	remove := s.posts.add(scope+key, rep, nil)
	return func() { remove() }
}

// takeAnswer delivers body if it is a JSON-RPC response to one of easel's
// requests.
func (s *Server) takeAnswer(body []byte) bool {
	if !bytes.Contains(body, []byte(requestIDPrefix)) {
		return false
	}
	var m struct {
		ID     any     `json:"id"`
		Method *string `json:"method"`
		clientAnswer
	}
	if json.Unmarshal(body, &m) != nil || m.Method != nil {
		return false
	}
	id, ok := m.ID.(string)
	if !ok || !strings.HasPrefix(id, requestIDPrefix) {
		return false
	}
	if !s.pending.deliver(id, m.clientAnswer) {
		s.logger.Debug("client answered a request nobody waits for any more", "id", id)
	}
	return true
}

// acceptsSSE reports whether the request's Accept header lists
// text/event-stream.
func acceptsSSE(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(mt), "text/event-stream") {
				return true
			}
		}
	}
	return false
}
