package mcpserver

import (
	"context"
	"sync"
	"time"
)

// calls counts the requests being served (tool calls and resource reads),
// so that shutdown can let them finish, and refuses new ones once draining.
type calls struct {
	mu       sync.Mutex
	n        int
	draining bool
	idle     chan struct{} // closed when n drops to 0 while draining
}

// begin registers a request; it reports false once the server is draining.
func (c *calls) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.draining {
		return false
	}
	c.n++
	return true
}

func (c *calls) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n--
	if c.n == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
}

// InFlight is the number of tool calls and resource reads being served.
func (s *Server) InFlight() int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return s.calls.n
}

// drainSettle is how long Drain looks again after the server became idle: a
// request read just before stdin closed, or just before the signal, may not
// have reached its handler yet.
const drainSettle = 50 * time.Millisecond

// Drain stops accepting tool calls and resource reads (new ones get an error
// saying easel is shutting down) and waits until those in flight have
// finished or ctx ends. It returns the number still running, 0 when drained.
// Drain is for shutdown: there is no undrain.
func (s *Server) Drain(ctx context.Context) int {
	for {
		s.calls.mu.Lock()
		s.calls.draining = true
		n := s.calls.n
		if n > 0 && s.calls.idle == nil {
			s.calls.idle = make(chan struct{})
		}
		idle := s.calls.idle
		s.calls.mu.Unlock()
		s.logger.Info("draining in-flight calls", "in_flight", n)
		if n == 0 {
			return 0
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return s.InFlight()
		}
	}
}

// settleThenDrain is Drain for a transport that may still hand over a
// request it has already read (stdin just closed): it waits settle before
// closing the door.
func (s *Server) settleThenDrain(ctx context.Context, settle time.Duration) int {
	t := time.NewTimer(settle)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return s.Drain(ctx)
}
