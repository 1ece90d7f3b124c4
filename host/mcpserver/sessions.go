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

// requireSession makes stateful streamable HTTP answer 400 Bad Request to a
// request of the initialize era without an Mcp-Session-Id header, as the
// MCP transport specification asks of a server that requires sessions;
// 404 stays the answer to an unknown or expired id, which tells the client
// to start over. mcp-go answers both with 404 on a POST, and opens a new
// session for a GET without one (and a DELETE without one terminates
// nothing), so:
//
//   - a POST without the header reaches mcp-go, which alone tells an
//     initialize, a client's answer and a protocol-2026 request (no
//     session) apart, and its 404 is rewritten to 400;
//   - a GET or DELETE without the header, of a protocol before 2026, is
//     answered 400 at once.
func requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(server.HeaderKeySessionID) != "" {
			next.ServeHTTP(w, r)
			return
		}
		switch r.Method {
		case http.MethodPost:
			next.ServeHTTP(&sessionRequired{ResponseWriter: w}, r)
		case http.MethodGet, http.MethodDelete:
			if mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
				next.ServeHTTP(w, r) // mcp-go says this era has no GET stream nor DELETE
				return
			}
			http.Error(w, errNoSession, http.StatusBadRequest)
		default:
			next.ServeHTTP(w, r)
		}
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
