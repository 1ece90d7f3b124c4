package plugin

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// newTestPool is a pool of empty instances that counts creations.
func newTestPool(max int, idle time.Duration) (*pool, *atomic.Int32) {
	var created atomic.Int32
	return newPool(max, idle, func(context.Context) (*instance, error) {
		created.Add(1)
		return &instance{}, nil
	}), &created
}

func TestPoolReusesMostRecentlyUsed(t *testing.T) {
	p, created := newTestPool(3, time.Hour)
	defer p.close(context.Background())
	ctx := context.Background()
	a, _ := p.acquire(ctx)
	b, _ := p.acquire(ctx)
	p.release(a, true)
	p.release(b, true)
	if got, _ := p.acquire(ctx); got != b {
		t.Error("acquire did not return the most recently released instance")
	}
	if created.Load() != 2 {
		t.Errorf("created %d instances, want 2", created.Load())
	}
}

func TestPoolDiscardsUnhealthy(t *testing.T) {
	p, created := newTestPool(1, time.Hour)
	defer p.close(context.Background())
	a, _ := p.acquire(context.Background())
	p.release(a, false)
	if b, _ := p.acquire(context.Background()); b == a || created.Load() != 2 {
		t.Errorf("an instance released unhealthy was reused (created %d)", created.Load())
	}
}

func TestPoolBoundsInstances(t *testing.T) {
	p, _ := newTestPool(1, time.Hour)
	defer p.close(context.Background())
	a, _ := p.acquire(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.acquire(ctx); err == nil {
		t.Fatal("acquired a second instance from a pool of one")
	}
	p.release(a, true)
	if _, err := p.acquire(context.Background()); err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
}

// Idle instances are closed after the idle timeout, the oldest first, and
// the pool creates new ones when calls come back.
func TestPoolReleasesIdleInstances(t *testing.T) {
	p, created := newTestPool(4, 30*time.Millisecond)
	defer p.close(context.Background())
	ctx := context.Background()
	var ins []*instance
	for range 3 {
		in, _ := p.acquire(ctx)
		ins = append(ins, in)
	}
	for _, in := range ins {
		p.release(in, true)
	}
	if live, inUse := p.stats(); live != 3 || inUse != 0 {
		t.Fatalf("after the burst: %d live, %d in use; want 3, 0", live, inUse)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if live, _ := p.stats(); live == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle instances were never released")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := p.acquire(ctx); err != nil || created.Load() != 4 {
		t.Fatalf("acquire after reaping: %v, created %d; want a fresh instance", err, created.Load())
	}
}
