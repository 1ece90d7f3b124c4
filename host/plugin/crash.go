package plugin

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A trap's raw text is for the host's log; the call's result is read by an
// agent, which needs what went wrong first and little of the rest. Go's
// runtime writes a panic as "panic: <message>" then the goroutines' stacks,
// and an allocation past the memory limit as "runtime: out of memory: …",
// "fatal error: out of memory" and kilobytes of goroutine dump; wazero's
// trap error is "wasm error: unreachable" and a stack of mangled generic
// function names, the panic's message only after it. crashReport turns
// these into a message and a few frames.

const (
	// maxTraceFrames is how many frames of the crashing goroutine a result
	// keeps: the handler's own are the first ones after the runtime's.
	maxTraceFrames = 6
	// maxTraceLine cuts a frame's line; generic instantiations' names run
	// to hundreds of characters.
	maxTraceLine = 160
	// maxWasmFrames is how many lines of a wasm stack trace an
	// unrecognised trap keeps.
	maxWasmFrames = 8
)

// crash is what a Go plugin's stderr says about a trap: a panic's message
// or a fatal error's, and the start of the crashing goroutine's stack.
type crash struct {
	oom     bool   // the runtime ran out of memory
	fatal   bool   // another fatal error of the runtime (a deadlock, …)
	message string // the panic's or fatal error's message; for oom the runtime's detail, maybe ""
	trace   string // the first frames, "" when stderr has none
}

// readCrash finds a Go panic or fatal error in a trap's stderr; ok is
// false when there is none (a plugin in another language, a trap that is
// not a crash).
func readCrash(stderr string) (c crash, ok bool) {
	switch {
	case strings.Contains(stderr, "fatal error: out of memory"), strings.HasPrefix(stderr, "runtime: out of memory"),
		strings.Contains(stderr, "\nruntime: out of memory"):
		c.oom = true
		c.message = strings.TrimSpace(strings.TrimPrefix(lineAfter(stderr, "runtime: out of memory"), ":"))
	case lineStart(stderr, "panic: ") >= 0:
		c.message = panicMessage(stderr[lineStart(stderr, "panic: ")+len("panic: "):])
	case lineStart(stderr, "fatal error: ") >= 0:
		c.message, c.fatal = lineAfter(stderr, "fatal error: "), true
	default:
		return crash{}, false
	}
	c.trace = shortTrace(stderr)
	return c, true
}

// lineStart is the index of prefix at the start of a line of s, or -1.
func lineStart(s, prefix string) int {
	if strings.HasPrefix(s, prefix) {
		return 0
	}
	if i := strings.Index(s, "\n"+prefix); i >= 0 {
		return i + 1
	}
	return -1
}

// lineAfter is the rest of the line that starts with prefix, or "".
func lineAfter(s, prefix string) string {
	i := lineStart(s, prefix)
	if i < 0 {
		return ""
	}
	line, _, _ := strings.Cut(s[i+len(prefix):], "\n")
	return strings.TrimSpace(line)
}

// panicMessage is a panic's message: everything up to the blank line
// before the stacks (a message may span lines), and " [recovered]" and
// a re-panic's "panic: " kept as Go wrote them.
func panicMessage(s string) string {
	msg, _, _ := strings.Cut(s, "\n\ngoroutine ")
	return strings.TrimSpace(msg)
}

// shortTrace keeps the header and the first maxTraceFrames frames of the
// first goroutine's stack, leaving out the runtime's own frames (the
// panic, the allocator) and the frame pointers the runtime adds to a fatal
// error's dump.
func shortTrace(stderr string) string {
	i := lineStart(stderr, "goroutine ")
	if i < 0 {
		return ""
	}
	stack, _, _ := strings.Cut(stderr[i:], "\n\n")
	lines := strings.Split(stack, "\n")
	header := lines[0]
	if j := strings.Index(header, " gp="); j >= 0 {
		header = header[:j] + header[strings.LastIndex(header, " ["):]
	}
	out := []string{header}
	frames, more := 0, false
	for k := 1; k+1 < len(lines); k += 2 {
		fn, file := lines[k], lines[k+1]
		if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "panic(") {
			continue
		}
		if frames == maxTraceFrames {
			more = true
			break
		}
		if j := strings.Index(file, " fp="); j >= 0 {
			file = file[:j]
		}
		out = append(out, cut(fn, maxTraceLine), cut(file, maxTraceLine))
		frames++
	}
	if more || strings.Contains(stack, " … ") {
		out = append(out, "…")
	}
	return strings.Join(out, "\n")
}

// cut shortens s to n bytes (on a rune boundary), marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// shortWasmTrace caps a wazero trap error's stack trace, for a trap whose
// stderr explains nothing: its first line says what trapped, and a few
// frames where.
func shortWasmTrace(reason string) string {
	lines := strings.Split(reason, "\n")
	if len(lines) <= maxWasmFrames+2 && len(reason) <= (maxWasmFrames+2)*maxTraceLine {
		return reason
	}
	keep := lines[:min(len(lines), maxWasmFrames+2)]
	for i, l := range keep {
		keep[i] = cut(l, maxTraceLine)
	}
	if len(lines) > len(keep) {
		keep = append(keep, "\t…")
	}
	return strings.Join(keep, "\n")
}

// sizeText writes a byte count as tools.yaml's limits take it: 256MiB.
func sizeText(n int64) string {
	for _, u := range []struct {
		shift int
		unit  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.unit)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// crashReason words a crash for an agent, the message first: "panicked:
// <message>", or for memory the limit to raise and where.
func (p *Plugin) crashReason(c crash) string {
	switch {
	case c.oom:
		r := fmt.Sprintf("ran out of memory: an instance may use %s (tools.yaml limits.memory)", sizeText(p.maxMemory))
		if c.message != "" {
			r += "; the Go runtime said: " + c.message
		}
		return r
	case c.fatal:
		return "crashed: fatal error: " + c.message
	}
	return "panicked: " + c.message
}
