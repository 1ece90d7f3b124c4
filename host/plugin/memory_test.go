package plugin

import (
	"bytes"
	"context"
	"runtime"
	"testing"
)

func TestLinearMemoryGrowKeepsContents(t *testing.T) {
	m := newLinearMemory(4 << 16)
	defer m.Free()
	m.exit() // not instantiating
	b := m.Reallocate(1 << 16)
	if len(b) != 1<<16 {
		t.Fatalf("Reallocate(64 KiB) = %d bytes", len(b))
	}
	copy(b, "hello")
	b[len(b)-1] = 7
	b = m.Reallocate(3 << 16)
	if len(b) != 3<<16 || !bytes.HasPrefix(b, []byte("hello")) || b[1<<16-1] != 7 || b[len(b)-1] != 0 {
		t.Fatalf("after growing to 192 KiB: len %d, prefix %q, old last byte %d, new last byte %d; want contents kept and the rest zero",
			len(b), b[:5], b[1<<16-1], b[len(b)-1])
	}
	if got := m.Reallocate(5 << 16); got != nil {
		t.Errorf("Reallocate past the maximum returned %d bytes, want nil (memory.grow fails)", len(got))
	}
	if got := m.bytes(); got != 3<<16 {
		t.Errorf("bytes() = %d, want %d: only what was grown to is committed", got, 3<<16)
	}
}

// TestLinearMemoryFreeWaitsForGuest: wazero frees the memory of every
// module when the runtime closes, even of one whose call is running; the
// pages must stay until the call ends, or its guest code would fault.
func TestLinearMemoryFreeWaitsForGuest(t *testing.T) {
	m := newLinearMemory(1 << 16)
	b := m.Reallocate(1 << 16) // still busy: instantiating
	m.Free()
	b[0] = 1 // would fault if unmapped
	if m.bytes() == 0 {
		t.Fatal("memory released while guest code runs on it")
	}
	m.exit()
	if got := m.bytes(); got != 0 {
		t.Fatalf("after the guest left, bytes() = %d, want 0 (released)", got)
	}

	m = newLinearMemory(1 << 16)
	m.exit()
	m.Reallocate(1 << 16)
	m.enter()
	m.Free()
	if m.bytes() == 0 {
		t.Fatal("memory released during a call")
	}
	m.exit()
	if m.bytes() != 0 {
		t.Fatal("memory not released when the call ended")
	}
}

// TestInstanceMemoryOutsideHeap: a plugin instance's linear memory is
// mapped outside the Go heap, and closing the instance gives it back.
func TestInstanceMemoryOutsideHeap(t *testing.T) {
	b, err := reserve(1 << 16)
	if err != nil {
		t.Skipf("no mmap on %s/%s: linear memory stays on the Go heap", runtime.GOOS, runtime.GOARCH)
	}
	unmap(b)
	p := newFixture(t).load(t, Spec{})
	ctx := context.Background()
	in, err := p.pool.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if in.mem == nil || !in.mem.mapped {
		t.Fatalf("instance memory %+v, want mapped", in.mem)
	}
	if got, want := in.mem.bytes(), int(in.mod.Memory().Size()); got != want {
		t.Errorf("committed %d bytes for %d bytes of linear memory", got, want)
	}
	p.pool.release(in, false) // a failed call: the instance is closed
	if got := in.mem.bytes(); got != 0 {
		t.Errorf("closed instance still holds %d bytes", got)
	}
}
