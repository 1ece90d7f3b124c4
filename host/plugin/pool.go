package plugin

import (
	"context"
	"sync"
	"sync/atomic"
)

// pool holds a plugin's instances. At most max are alive; acquire waits for a
// free one. An instance that failed is closed instead of returned, and its
// slot goes to a fresh instance on the next acquire.
type pool struct {
	create func(context.Context) (*instance, error)
	slots  chan struct{}  // one token per live-or-being-created instance in use
	idle   chan *instance // instances ready for a call
	live   atomic.Int64   // instances created and not yet closed

	mu     sync.Mutex
	closed bool
}

func newPool(max int, create func(context.Context) (*instance, error)) *pool {
	return &pool{
		create: create,
		slots:  make(chan struct{}, max),
		idle:   make(chan *instance, max),
	}
}

// acquire returns an instance for one call; pass it to release afterwards.
func (p *pool) acquire(ctx context.Context) (*instance, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case in := <-p.idle:
		return in, nil
	default:
	}
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
	closed := p.closed
	p.mu.Unlock()
	if healthy && !closed {
		p.idle <- in // never blocks: at most max instances exist
	} else {
		p.discard(context.Background(), in)
	}
	<-p.slots
}

// close discards idle instances; instances in use are closed on release.
func (p *pool) close(ctx context.Context) {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case in := <-p.idle:
			p.discard(ctx, in)
		default:
			return
		}
	}
}

func (p *pool) discard(ctx context.Context, in *instance) {
	in.close(ctx)
	p.live.Add(-1)
}

// stats reports the instances alive and those serving a call, so that tests
// can prove that a failed call leaks neither.
func (p *pool) stats() (live, inUse int) {
	return int(p.live.Load()), len(p.slots)
}
