package config

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Limits bound what one plugin may consume (the entry's `limits:` mapping).
// A zero field means the host's default for it (package plugin's Default*
// values, listed in docs/security.md), so that defaults live in one place.
type Limits struct {
	// Timeout bounds one run of the plugin; an endless loop is stopped and
	// its instance discarded.
	Timeout time.Duration
	// MemoryBytes caps each instance's linear memory.
	MemoryBytes int64
	// MaxOutputBytes bounds one call's result.
	MaxOutputBytes int64
	// MaxResponseBytes bounds a ComfyUI response handed to the plugin.
	MaxResponseBytes int64
	// MaxInstances bounds the plugin's instances, and so its concurrent
	// calls; calls beyond it wait for a free instance.
	MaxInstances int
}

// Bounds of limits: a WebAssembly (wasm32) memory cannot exceed 4 GiB, and
// the ABI's lengths are 31-bit.
const (
	maxMemoryLimit  = 4 << 30
	maxLengthLimit  = 1<<31 - 1
	minMemoryLimit  = 64 << 10 // one page
	maxInstancesCap = 1024
)

// limits decodes a tool's limits mapping.
func (d *decoder) limits(n *yaml.Node, path string) Limits {
	var l Limits
	present, _ := d.mapping(n, path, fields{
		"timeout":            d.duration(&l.Timeout),
		"memory":             d.byteSize(&l.MemoryBytes),
		"max_output_bytes":   d.byteSize(&l.MaxOutputBytes),
		"max_response_bytes": d.byteSize(&l.MaxResponseBytes),
		"max_instances":      d.count(&l.MaxInstances, maxInstancesCap),
	})
	d.byteRange(present["memory"], join(path, "memory"), &l.MemoryBytes, minMemoryLimit, maxMemoryLimit, "64KiB..4GiB, the sizes a WebAssembly memory can have")
	d.byteRange(present["max_output_bytes"], join(path, "max_output_bytes"), &l.MaxOutputBytes, 1, maxLengthLimit, "the lengths the plugin ABI carries (under 2GiB)")
	d.byteRange(present["max_response_bytes"], join(path, "max_response_bytes"), &l.MaxResponseBytes, 1, maxLengthLimit, "the lengths the plugin ABI carries (under 2GiB)")
	return l
}

// byteRange reports a byte size set at `at` outside lo..hi, and resets it to
// the default.
func (d *decoder) byteRange(at *yaml.Node, path string, v *int64, lo, hi int64, what string) {
	if at != nil && *v != 0 && (*v < lo || *v > hi) {
		d.errorf(at, path, "%d bytes is outside %s", *v, what)
		*v = 0
	}
}

// count returns a field function that stores an integer in 1..max.
func (d *decoder) count(dst *int, max int) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		s, ok := d.scalar(v, path)
		if !ok {
			return
		}
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			d.errorf(v, path, "%q is not a whole number", s)
		case n < 1 || n > max:
			d.errorf(v, path, "%d is outside 1..%d", n, max)
		default:
			*dst = n
		}
	}
}
