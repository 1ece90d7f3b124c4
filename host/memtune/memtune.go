// Package memtune keeps a long-running easel's resident memory close to what
// it uses: it picks the garbage collector's pace when the operator has not,
// bounds the memory a plugin load may take on the way (LoadLimit), and gives
// freed memory back to the operating system after a burst.
//
// easel's Go heap is small and mostly long-lived (each loaded plugin's
// decoded module, about 10 MiB for a Go plugin); what it allocates per call
// is short-lived JSON. With Go's default GOGC=100 the heap may grow to twice
// its live size between collections, and memory freed by a burst (a plugin
// compilation peaks at about 60 MiB of live heap) stays resident until the
// runtime's background scavenger slowly returns it. See docs/performance.md,
// "Memory", for the measurements behind the defaults.
package memtune

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// DefaultGCPercent is the GOGC that serve uses when the environment sets
// none: a collection after the heap grows by half its live size instead
// of doubling. Measured with easelbench's 8-in-flight get_job_status load
// (docs/performance.md): 25 kept 4 MiB more off the resident set than 50
// but cost about a fifth of the throughput; 100 gained little throughput
// over 50 for 4 MiB more.
const DefaultGCPercent = 50

// Settings is what [Apply] decided, for the log.
type Settings struct {
	// GCPercent is the GOGC in effect; -1 means off.
	GCPercent int
	// FromEnv says the operator set GOGC, so easel left it alone.
	FromEnv bool
	// MemoryLimit is GOMEMLIMIT, or -1 when there is none (easel sets none:
	// a limit below what easel needs makes the collector run continuously).
	MemoryLimit int64
}

// Apply sets the collector's pace to DefaultGCPercent unless GOGC is set in
// the environment (lookup is os.LookupEnv, or a stub in tests): the
// operator's GOGC and GOMEMLIMIT always win, and the Go runtime has already
// applied them. An empty GOGC counts as unset, as it does for the runtime.
func Apply(lookup func(string) (string, bool)) Settings {
	v, ok := lookup("GOGC")
	fromEnv := ok && v != ""
	if !fromEnv {
		debug.SetGCPercent(DefaultGCPercent)
	}
	return current(fromEnv)
}

// current reads the settings in effect from runtime/metrics.
func current(fromEnv bool) Settings {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	// GOGC=off reads as -1 in two's complement.
	st := Settings{GCPercent: int(int64(s[0].Value.Uint64())), FromEnv: fromEnv, MemoryLimit: int64(s[1].Value.Uint64())}
	if st.MemoryLimit == math.MaxInt64 {
		st.MemoryLimit = -1
	}
	return st
}

// Releaser returns the heap memory freed by a burst to the operating
// system. The zero value is ready; it is safe for concurrent use.
type Releaser struct {
	state atomic.Int32 // 0 idle, 1 releasing, more: asked again meanwhile
}

// Release collects garbage and returns every free page to the OS, at once
// rather than at the background scavenger's pace. Call it after a burst that
// left much garbage behind (loading a plugin), not per call: it is a full
// collection. Concurrent calls coalesce: one releases, once more if asked
// while it ran, and the others return at once.
func (r *Releaser) Release() {
	if r.state.Add(1) > 1 {
		return // the running Release goes round once more
	}
	for {
		debug.FreeOSMemory()
		if r.state.CompareAndSwap(1, 0) {
			return
		}
		r.state.Store(1)
	}
}

// LoadHeadroom is how much memory beyond what easel held when a plugin load
// began the Go runtime may use during the load, per load running: compiling
// a Go plugin needs about 60 MiB of live heap at its peak, and a tighter
// limit makes the collector run all the time (64 MiB slowed a compilation
// from 1.6 s to 2.2 s; 96 MiB no longer lowered the peak).
const LoadHeadroom = 80 << 20

// LoadLimit keeps a plugin load's garbage from raising easel's resident
// set: while loads run, the Go runtime has a soft memory limit
// (debug.SetMemoryLimit) of what it used when the first began plus
// LoadHeadroom for each. Without one, the heap of a compilation grows to
// half again its live size between collections, and with wazero's
// parallel compilation the resident set of a fresh easel peaked at 145 MiB
// for its first plugin; with the limit, at 121–124 MiB, the compilation no
// slower (docs/performance.md). The zero value is ready; it is safe for
// concurrent use. An operator's GOMEMLIMIT is left alone.
type LoadLimit struct {
	mu     sync.Mutex
	loads  int   // running loads that set the limit
	base   int64 // the runtime's memory when the first began
	before int64 // the limit to restore
}

// Begin starts a load; call the returned function when it ends.
func (l *LoadLimit) Begin() (end func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loads == 0 {
		l.before = debug.SetMemoryLimit(-1)
		if l.before != math.MaxInt64 {
			return func() {} // the operator's GOMEMLIMIT
		}
		l.base = runtimeMemory()
	}
	l.loads++
	debug.SetMemoryLimit(l.base + int64(l.loads)*LoadHeadroom)
	var once sync.Once
	return func() { once.Do(l.end) }
}

func (l *LoadLimit) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loads--; l.loads == 0 {
		debug.SetMemoryLimit(l.before)
		return
	}
	debug.SetMemoryLimit(l.base + int64(l.loads)*LoadHeadroom)
}

// runtimeMemory is the memory easel needs now, as a soft limit counts it
// (everything the Go runtime has mapped, less what it returned to the
// operating system), without what it holds but does not need: free heap
// pages not yet returned, and the garbage the next collection frees. So the
// limit a load gets does not depend on how much of either happened to be
// around when it began.
func runtimeMemory() int64 {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(s)
	v := func(i int) int64 { return int64(s[i].Value.Uint64()) }
	return v(0) - v(1) - v(2) - max(v(3)-v(4), 0)
}
