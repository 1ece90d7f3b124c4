package plugin

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// maxLogLine cuts a guest output line; a plugin writing megabytes without a
// newline must not grow host memory.
const maxLogLine = 4 << 10

// tailSize is how much of a call's stderr is kept to explain a trap.
const tailSize = 2 << 10

// logWriter turns a guest's stdout or stderr into log records, one per line,
// and remembers the last bytes written since reset so that a trap's error can
// quote the panic message.
type logWriter struct {
	logger *slog.Logger
	level  slog.Level
	stream string

	mu      sync.Mutex
	partial []byte
	tail    []byte
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
	if len(p) >= tailSize {
		w.tail = append(w.tail[:0], p[len(p)-tailSize:]...)
		return
	}
	if over := len(w.tail) + len(p) - tailSize; over > 0 {
		w.tail = append(w.tail[:0], w.tail[over:]...)
	}
	w.tail = append(w.tail, p...)
}

// takeTail returns what was written since the last call and forgets it,
// after flushing a pending partial line to the log.
func (w *logWriter) takeTail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flush()
	t := string(bytes.TrimSpace(w.tail))
	w.tail = w.tail[:0]
	return t
}
