package plugin

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// maxLogLine cuts a guest output line; a plugin writing megabytes without a
// newline must not grow host memory.
const maxLogLine = 4 << 10

// headSize and tailSize are how much of the start and the end of a call's
// stderr is kept to explain a trap: a Go runtime's fatal error comes first
// ("fatal error: out of memory") and is followed by kilobytes of goroutine
// dump, while a panic's message may be the last line.
const (
	headSize = 1 << 10
	tailSize = 1 << 10
)

// logWriter turns a guest's stdout or stderr into log records, one per line,
// and remembers the last bytes written since reset so that a trap's error can
// quote the panic message.
type logWriter struct {
	logger *slog.Logger
	level  slog.Level
	stream string

	mu      sync.Mutex
	partial []byte
	head    []byte // the first headSize bytes since the last take
	tail    []byte // the last tailSize bytes after head
	dropped bool   // bytes between head and tail were dropped
}

func newLogWriter(logger *slog.Logger, level slog.Level, stream string) *logWriter {
	return &logWriter{logger: logger, level: level, stream: stream}
}

// Write implements io.Writer for wazero's module config.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keepTail(p)
	rest := p
	for len(rest) > 0 {
		line, after, found := bytes.Cut(rest, []byte{'\n'})
		room := maxLogLine - len(w.partial)
		if len(line) > room {
			line = line[:max(room, 0)]
		}
		w.partial = append(w.partial, line...)
		if !found {
			if len(w.partial) >= maxLogLine {
				w.flush()
			}
			break
		}
		w.flush()
		rest = after
	}
	return len(p), nil
}

func (w *logWriter) flush() {
	if len(w.partial) == 0 {
		return
	}
	w.logger.Log(context.Background(), w.level, string(w.partial), "stream", w.stream)
	w.partial = w.partial[:0]
}

func (w *logWriter) keepTail(p []byte) {
	n := min(headSize-len(w.head), len(p))
	w.head = append(w.head, p[:n]...)
	p = p[n:]
	if len(p) >= tailSize {
		w.dropped = w.dropped || len(w.tail) > 0 || len(p) > tailSize
		w.tail = append(w.tail[:0], p[len(p)-tailSize:]...)
		return
	}
	if over := len(w.tail) + len(p) - tailSize; over > 0 {
		w.dropped = true
		w.tail = append(w.tail[:0], w.tail[over:]...)
	}
	w.tail = append(w.tail, p...)
}

// takeTail returns the start and the end of what was written since the
// last call, joined by " … " where bytes were left out, and forgets it,
// after flushing a pending partial line to the log.
func (w *logWriter) takeTail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flush()
	t := string(w.head)
	if w.dropped {
		t = strings.TrimSpace(t) + " … "
	}
	t = strings.TrimSpace(t + string(w.tail))
	w.head, w.tail, w.dropped = w.head[:0], w.tail[:0], false
	return t
}
