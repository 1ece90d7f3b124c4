package mcpserver

import (
	"bytes"
	"io"
	"log/slog"
	"time"
)

// Defaults of the limits in Options.
const (
	// DefaultMaxMessageBytes bounds one JSON-RPC message on stdin, as
	// httpguard bounds an HTTP body: the largest legitimate message is an
	// upload_image call, a 16 MiB image being about 21 MiB in base64.
	DefaultMaxMessageBytes = 24 << 20
	// DefaultShutdownTimeout bounds how long in-flight calls may finish
	// after a shutdown signal or the end of stdin.
	DefaultShutdownTimeout = 30 * time.Second
)

// lineLimiter passes stdin through, cutting any line longer than max: the
// bytes up to the limit are ended with a newline, so that mcp-go answers
// them with a parse error, and the rest of the line is discarded without
// being kept in memory. Without it one endless line would grow mcp-go's
// read buffer until the process runs out of memory.
type lineLimiter struct {
	r       io.Reader
	max     int
	logger  *slog.Logger
	buf     []byte
	out     []byte // filtered bytes not yet read
	err     error  // from r, returned once out is empty
	inLine  int    // bytes of the current line passed on
	discard bool   // dropping the rest of an over-long line
	cut     int    // bytes of it dropped so far
}

func newLineLimiter(r io.Reader, max int, logger *slog.Logger) *lineLimiter {
	return &lineLimiter{r: r, max: max, logger: logger, buf: make([]byte, 64<<10)}
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	for len(l.out) == 0 {
		if l.err != nil {
			return 0, l.err
		}
		var n int
		n, l.err = l.r.Read(l.buf)
		l.out = l.filter(l.buf[:n], l.out[:0])
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}

// filter appends to out what of in is passed on.
func (l *lineLimiter) filter(in, out []byte) []byte {
	for len(in) > 0 {
		seg := in
		nl := bytes.IndexByte(in, '\n')
		if nl >= 0 {
			seg = in[:nl+1]
		}
		in = in[len(seg):]
		content := len(seg)
		if nl >= 0 {
			content-- // the newline does not count
		}
		switch {
		case l.discard:
			l.cut += content
		case l.inLine+content <= l.max:
			out = append(out, seg...)
			l.inLine += content
		default:
			room := l.max - l.inLine
			out = append(out, seg[:room]...)
			out = append(out, '\n')
			l.discard, l.cut = true, content-room
		}
		if nl >= 0 {
			if l.discard {
				l.logger.Warn("dropped an over-long JSON-RPC message; the client gets a parse error", "bytes", l.max+l.cut, "limit", l.max)
			}
			l.inLine, l.discard, l.cut = 0, false, 0
		}
	}
	return out
}
