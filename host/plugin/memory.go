package plugin

import (
	"sync"

	"github.com/tetratelabs/wazero/experimental"
)

// linearMemory is one instance's linear memory, kept outside the Go heap
// where the platform allows (memory_mmap.go): the instance's maximum is
// reserved as address space without access, and growing makes the next
// pages readable and writable in place. By default wazero allocates linear
// memory as a Go slice and grows it with append, so every memory.grow of a
// Go plugin's start-up (a dozen, up to about 9 MiB) copies the memory and
// leaves the old copy as garbage, and the live memory of every pooled
// instance counts towards the host's GC goal, which GOGC=100 then doubles.
// Mapped, an instance costs the pages it touched and nothing more, and
// closing it returns them to the OS at once.
//
// Without mmap (other platforms, or a failed reservation) it falls back to
// wazero's way: a Go slice grown by copying.
type linearMemory struct {
	mu        sync.Mutex
	buf       []byte // mapped: the whole reservation; else the memory itself
	mapped    bool
	committed int  // mapped: bytes readable and writable, whole OS pages
	busy      int  // guest code running on the memory (instantiation, calls)
	freeing   bool // Free was called while busy; the last exit unmaps
}

// newLinearMemory reserves max bytes, the most the instance may grow to.
// The memory starts busy: wazero allocates it while instantiating the
// module, whose start function runs guest code; exit ends that.
func newLinearMemory(max uint64) *linearMemory {
	m := &linearMemory{busy: 1}
	if buf, err := reserve(max); err == nil {
		m.buf, m.mapped = buf, true
	}
	return m
}

// Reallocate implements [experimental.LinearMemory]: it makes the memory
// size bytes long, keeping its contents, or returns nil when it cannot.
func (m *linearMemory) Reallocate(size uint64) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.mapped {
		if n := uint64(len(m.buf)); size > n {
			m.buf = append(m.buf, make([]byte, size-n)...)
		}
		return m.buf[:size]
	}
	if size > uint64(len(m.buf)) {
		return nil
	}
	if int(size) > m.committed {
		end := min(roundUp(int(size), pageSize), len(m.buf))
		if err := commit(m.buf[m.committed:end]); err != nil {
			return nil // out of memory: memory.grow fails, as the guest expects
		}
		m.committed = end
	}
	return m.buf[:size:size]
}

// Free implements [experimental.LinearMemory]. wazero calls it when the
// module closes, which Runtime.Close does even to an instance whose call
// is still running: the pages are then unmapped when the call ends, since
// guest code running on unmapped memory would crash the process.
func (m *linearMemory) Free() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.busy > 0 {
		m.freeing = true
		return
	}
	m.release()
}

// enter marks guest code running on the memory until the matching exit.
// Both accept nil: a module without memory allocates none.
func (m *linearMemory) enter() {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.busy++
	m.mu.Unlock()
}

func (m *linearMemory) exit() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.busy--
	if m.busy == 0 && m.freeing {
		m.release()
	}
}

// release gives the memory back; m.mu is held.
func (m *linearMemory) release() {
	if m.mapped && m.buf != nil {
		unmap(m.buf)
	}
	m.buf, m.committed, m.freeing = nil, 0, false
}

// bytes is how much of the memory occupies RAM at most: the committed
// pages when mapped, else the slice's capacity. Tests and stats use it.
func (m *linearMemory) bytes() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mapped {
		return m.committed
	}
	return cap(m.buf)
}

func roundUp(n, to int) int { return (n + to - 1) / to * to }

// memoryAllocator makes instantiation allocate through newLinearMemory and
// hands the memory to the instance, which marks its calls busy.
func memoryAllocator(in *instance) experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {
		in.mem = newLinearMemory(max)
		return in.mem
	})
}
