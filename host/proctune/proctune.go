// Package proctune picks how many processors run easel's Go code when the
// operator has not: one, unless GOMAXPROCS says otherwise.
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
// with GOMAXPROCS=1; its latency fell by a third and the 8-in-flight
// throughput rose by a quarter (docs/performance.md). Work is not lost to
// the single processor: a call spends most of its time waiting for
// ComfyUI, and the plugin code it runs is short. An operator whose tools
// are CPU-heavy sets GOMAXPROCS.
package proctune

import (
	"runtime"
	"strconv"
)

// DefaultProcs is the GOMAXPROCS that serve uses when the environment sets
// none.
const DefaultProcs = 1

// Settings is what [Apply] decided, for the log.
type Settings struct {
	// Procs is the GOMAXPROCS in effect.
	Procs int
	// FromEnv says the operator set GOMAXPROCS, so easel left it alone.
	FromEnv bool
}

// Apply sets GOMAXPROCS to DefaultProcs unless the environment (lookup is
// os.LookupEnv, or a stub in tests) sets it to a positive number, which the
// Go runtime has already applied. A GOMAXPROCS the runtime ignores (empty,
// zero, not a number) counts as unset.
func Apply(lookup func(string) (string, bool)) Settings {
	if v, ok := lookup("GOMAXPROCS"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return Settings{Procs: runtime.GOMAXPROCS(0), FromEnv: true}
		}
	}
	runtime.GOMAXPROCS(DefaultProcs)
	return Settings{Procs: DefaultProcs}
}
