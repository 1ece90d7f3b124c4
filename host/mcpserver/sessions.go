package mcpserver

import (
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// sessionIDs is the session id manager of stateful streamable HTTP: it
// issues unguessable ids and knows which are live, so that a request with a
// terminated (DELETE) or unknown id, for example from before a restart,
// gets 404 and the client starts a new session, as the MCP transport
// specification asks. mcp-go's default only checks an id's format.
//
// Idle sessions are dropped by mcp-go's sweeper (WithSessionIdleTTL), which
// calls Terminate, so the set stays bounded by the live sessions.
type sessionIDs struct {
	mu   sync.Mutex
	live map[string]struct{}
}

var errUnknownSession = errors.New("unknown or expired session")

func (s *sessionIDs) Generate() string {
	id := "easel-" + rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		s.live = map[string]struct{}{}
	}
	s.live[id] = struct{}{}
	return id
}

// Validate accepts live ids only. A terminated id is unknown too: both
// answer 404, and keeping a list of dead ids would grow without bound.
func (s *sessionIDs) Validate(id string) (isTerminated bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.live[id]; !ok {
		return false, errUnknownSession
	}
	return false, nil
}

func (s *sessionIDs) Terminate(id string) (isNotAllowed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, id)
	return false, nil
}

// DefaultSessionIdleTTL is how long a stateful session may go without a
// request before it is forgotten.
const DefaultSessionIdleTTL = time.Hour

// errNoSession is the body of the 400 a stateful server answers a request
// without a session id with.
const errNoSession = "Bad Request: Mcp-Session-Id header is required; send initialize first to get one"

// errUnknownSessionID is the body of the 404 a stateful server answers a
// GET or DELETE with an unknown or terminated session id with.
const errUnknownSessionID = "Not Found: unknown or terminated Mcp-Session-Id; send initialize to start a new session"

// requireSession makes stateful streamable HTTP answer as the MCP transport
// specification asks of a server that requires sessions: 400 Bad Request
// to a request of the initialize era without an Mcp-Session-Id header, 404
// to one with an unknown or terminated id, which tells the client to start
// over. mcp-go answers both with 404 on a POST; on a GET it opens a
// stream for any id, or none, that no session ever feeds, and a DELETE
// "terminates" any id with 200. So:
//
//   - a POST reaches mcp-go, which alone tells an initialize, a client's
//     answer and a protocol-2026 request (no session) apart, and which
//     validates the id; its 404 to a POST without one is rewritten to 400;
//   - a GET or DELETE of a protocol before 2026 is answered 400 without an
//     id and 404 with one ids does not know, before mcp-go sees it;
//   - a protocol-2026 GET or DELETE reaches mcp-go, which says that era
//     has neither.
func requireSession(next http.Handler, ids server.SessionIdManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(server.HeaderKeySessionID)
		switch {
		case r.Method == http.MethodPost && id == "":
			next.ServeHTTP(&sessionRequired{ResponseWriter: w}, r)
		case !bodylessSessionRequest(r):
			next.ServeHTTP(w, r)
		case id == "":
			http.Error(w, errNoSession, http.StatusBadRequest)
		case !liveSession(ids, id):
			http.Error(w, errUnknownSessionID, http.StatusNotFound)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// bodylessSessionRequest reports whether r is a GET or DELETE of a protocol
// before 2026, the requests that only make sense within a session: a
// 2026 client has no session, and mcp-go answers its GET and DELETE 405.
func bodylessSessionRequest(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodDelete:
		return !mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion))
	}
	return false
}

// liveSession reports whether ids knows id and has not terminated it, as
// mcp-go asks of a POST's id.
func liveSession(ids server.SessionIdManager, id string) bool {
	terminated, err := ids.Validate(id)
	return err == nil && !terminated
}

// errPostOnly is the body of the 405 a stateless server answers a GET or
// DELETE with.
const errPostOnly = "Method Not Allowed: this server is stateless; send requests with POST"

// postOnly makes stateless streamable HTTP answer a GET or DELETE of a
// protocol before 2026 with 405 and Allow: POST, which the MCP transport
// specification allows of a server without a standalone GET stream.
// mcp-go would open a GET stream that, without a session, nothing ever
// writes to and that stays open until the client gives up, and answer a
// DELETE, which has no session to end, 200. A protocol-2026 GET or DELETE
// reaches mcp-go, whose 405 says that era has neither.
func postOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bodylessSessionRequest(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, errPostOnly, http.StatusMethodNotAllowed)
	})
}

// sessionRequired turns mcp-go's 404 to a POST without a session id (its
// only 404 there) into 400, dropping mcp-go's body for easel's.
type sessionRequired struct {
	http.ResponseWriter
	wrote, replaced bool
}

func (w *sessionRequired) WriteHeader(code int) {
	if !w.wrote && code == http.StatusNotFound {
		w.wrote, w.replaced = true, true
		http.Error(w.ResponseWriter, errNoSession, http.StatusBadRequest)
		return
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionRequired) Write(p []byte) (int, error) {
	if w.replaced {
		return len(p), nil
	}
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// Flush keeps the POST's SSE answers streaming.
func (w *sessionRequired) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.replaced {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *sessionRequired) Unwrap() http.ResponseWriter { return w.ResponseWriter }
