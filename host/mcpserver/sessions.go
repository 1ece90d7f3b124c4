package mcpserver

import (
	"crypto/rand"
	"errors"
	"sync"
	"time"
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
