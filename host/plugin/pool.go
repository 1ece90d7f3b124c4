package plugin

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultIdleTimeout is how long an instance may sit unused in its pool
// before it is closed. A Go plugin instance holds about 9 MiB of linear
// memory; re-creating one from the compiled module takes milliseconds, so
// an idle easel need not keep the instances its last burst of calls needed.
const DefaultIdleTimeout = time.Minute

// pool holds a plugin's instances. At most max are alive; acquire waits for a
// free one. An instance that failed is closed instead of returned, and its
// slot goes to a fresh instance on the next acquire. Idle instances are
// reused most recently used first, so that after a burst the surplus ages
// and is closed once unused for idleTimeout.
type pool struct {
	create      func(context.Context) (*instance, error)
	idleTimeout time.Duration
	slots       chan struct{} // one token per instance in use or being created
	live        atomic.Int64  // instances created and not yet closed

	mu     sync.Mutex
	idle   []*instance // ready for a call; the last was used most recently
	reaper *time.Timer // pending reap, nil when none
	closed bool
}

func newPool(max int, idleTimeout time.Duration, create func(context.Context) (*instance, error)) *pool {
	return &pool{create: create, idleTimeout: idleTimeout, slots: make(chan struct{}, max)}
}

// acquire returns an instance for one call; pass it to release afterwards.
func (p *pool) acquire(ctx context.Context) (*instance, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		in := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return in, nil
	}
	p.mu.Unlock()
	in, err := p.create(ctx)
	if err != nil {
		<-p.slots
		return nil, err
	}
	p.live.Add(1)
	return in, nil
}

// release gives the instance back after a call; healthy says whether the
// call left it usable.
func (p *pool) release(in *instance, healthy bool) {
	p.mu.Lock()
	keep := healthy && !p.closed
	if keep {
		in.lastUsed = time.Now()
		p.idle = append(p.idle, in)
		if p.reaper == nil && p.idleTimeout > 0 {
			p.reaper = time.AfterFunc(p.idleTimeout, p.reap)
		}
	}
	p.mu.Unlock()
	if !keep {
		p.discard(context.Background(), in)
	}
	<-p.slots
}

// reap closes the instances unused for idleTimeout (they are at the bottom
// of the stack) and comes back for the others when they would expire.
func (p *pool) reap() {
	p.mu.Lock()
	p.reaper = nil
	cutoff := time.Now().Add(-p.idleTimeout)
	n := 0
	for n < len(p.idle) && !p.idle[n].lastUsed.After(cutoff) {
		n++
	}
	expired := append([]*instance(nil), p.idle[:n]...)
	// slices.Delete clears the slots it frees: a closed instance left in
	// the array's tail would keep its module, and so the plugin's machine
	// code, reachable.
	p.idle = slices.Delete(p.idle, 0, n)
	if len(p.idle) > 0 && !p.closed {
		p.reaper = time.AfterFunc(p.idle[0].lastUsed.Sub(cutoff), p.reap)
	}
	p.mu.Unlock()
	for _, in := range expired {
		p.discard(context.Background(), in)
	}
}

// close discards idle instances; instances in use are closed on release.
func (p *pool) close(ctx context.Context) {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	if p.reaper != nil {
		p.reaper.Stop()
		p.reaper = nil
	}
	p.mu.Unlock()
	for _, in := range idle {
		p.discard(ctx, in)
	}
}

func (p *pool) discard(ctx context.Context, in *instance) {
	in.close(ctx)
	p.live.Add(-1)
}

// stats reports the instances alive and those serving a call, so that tests
// can prove that a failed call leaks neither and idle ones are released.
func (p *pool) stats() (live, inUse int) {
	return int(p.live.Load()), len(p.slots)
}
