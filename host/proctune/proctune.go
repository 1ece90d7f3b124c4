// Package proctune picks how many processors run easel's Go code when the
// operator has not: one while it serves, every core while it compiles a
// plugin.
//
// A tool call is a short chain of hand-offs: the request arrives on stdin
// (or HTTP), a goroutine runs the plugin, the plugin's ComfyUI request goes
// out and its answer comes back, the result is written. With more than one
// processor, each hand-off to a goroutine that was waiting wakes an idle
// processor's operating-system thread, which finds little to do and goes
// back to sleep; on a virtual machine every such wake-up and sleep is an
// expensive trip through the hypervisor. On the 2-core development VM,
// get_job_status against the emulator took 7.6 thread switches and about
// 300 µs of CPU per call with GOMAXPROCS=2, and 3.1 switches and 110–160 µs
// with GOMAXPROCS=1 (for the client and the emulator too; with easel's
// alone, easelbench's p50 against a ComfyUI-speed server went from 1.5× the
// direct-HTTP floor to 1.4×; docs/performance.md). Little is lost to the single
// processor: a call spends most of its time waiting for ComfyUI, and the
// plugin code it runs is short.
//
// Compiling a plugin is the exception: seconds of CPU that wazero can
// spread over every core. [Procs.Burst] gives them to it, and the serving
// setting returns when the last compilation ends. An operator whose tools
// are CPU-heavy sets GOMAXPROCS, and easel then leaves it alone.
package proctune

import (
	"runtime"
	"strconv"
	"sync"
)

// DefaultProcs is the GOMAXPROCS that serve uses when the environment sets
// none.
const DefaultProcs = 1

// Settings is what [Apply] decided, for the log.
type Settings struct {
	// Procs is the GOMAXPROCS in effect while serving.
	Procs int
	// FromEnv says the operator set GOMAXPROCS, so easel leaves it alone.
	FromEnv bool
}

// Procs is the processor setting of a serving easel. A nil *Procs leaves
// GOMAXPROCS alone.
type Procs struct {
	Settings
	all int // GOMAXPROCS during a burst: what the runtime chose from the cores

	mu     sync.Mutex
	bursts int
}

// Apply sets GOMAXPROCS to DefaultProcs unless the environment (lookup is
// os.LookupEnv, or a stub in tests) sets it to a positive number, which the
// Go runtime has already applied. A GOMAXPROCS the runtime ignores (empty,
// zero, not a number) counts as unset.
func Apply(lookup func(string) (string, bool)) *Procs {
	all := runtime.GOMAXPROCS(0) // the cores, or the container's CPU limit
	if v, ok := lookup("GOMAXPROCS"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return &Procs{Settings: Settings{Procs: all, FromEnv: true}, all: all}
		}
	}
	runtime.GOMAXPROCS(DefaultProcs)
	return &Procs{Settings: Settings{Procs: DefaultProcs}, all: all}
}

// Burst gives CPU-bound work that can use every core (compiling a plugin)
// all of them until the returned function is called. Bursts may overlap;
// the last one to end restores the serving setting. Calling end more than
// once is harmless. With the operator's GOMAXPROCS, or a nil *Procs, Burst
// changes nothing.
func (p *Procs) Burst() (end func()) {
	if p == nil || p.FromEnv || p.all <= p.Procs {
		return func() {}
	}
	p.mu.Lock()
	if p.bursts++; p.bursts == 1 {
		runtime.GOMAXPROCS(p.all)
	}
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			if p.bursts--; p.bursts == 0 {
				runtime.GOMAXPROCS(p.Procs)
			}
			p.mu.Unlock()
		})
	}
}
