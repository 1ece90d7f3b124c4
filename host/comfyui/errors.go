package comfyui

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies why a request to ComfyUI produced no usable response. The zero Kind is not a
// valid kind; KindOf returns it for errors that did not come from this package.
type Kind int

const (
	// Unreachable means no HTTP exchange happened: the connection was refused or reset, the
	// name did not resolve, or the TCP/TLS connection could not be set up in time. The server
	// is probably down or restarting; the request did not reach ComfyUI's handlers.
	Unreachable Kind = iota + 1
	// Timeout means the server accepted the request but did not finish answering within
	// Config.Timeout or before the caller's deadline. The request may have had an effect.
	Timeout
	// Cancelled means the caller's context was cancelled. It is reported separately so that
	// the host does not log or surface a failure nobody is waiting for.
	Cancelled
	// TooLarge means the response body exceeded Config.MaxResponseBytes. The body was not
	// kept; reading at most one byte past the cap bounds the memory spent on finding out.
	TooLarge
	// Protocol means something answered, but not with a complete HTTP response: a malformed
	// status line, or a connection closed before the announced body was complete.
	Protocol
)

// String returns the kind's name as used in logs ("unreachable", "timeout", ...).
func (k Kind) String() string {
	switch k {
	case Unreachable:
		return "unreachable"
	case Timeout:
		return "timeout"
	case Cancelled:
		return "cancelled"
	case TooLarge:
		return "too large"
	case Protocol:
		return "protocol"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Error is the only error Client.Do returns. It exists so that callers branch on Kind instead
// of on net, url and context error types, and so that every message names the URL (without
// credentials) and the cause in one readable sentence, fit for a log line or an agent.
//
// # Notes
//
//   - errors.Is and errors.As see through Error to the cause (context.Canceled,
//     context.DeadlineExceeded, *net.OpError, ...).
//   - errors.Is(err, &Error{Kind: Timeout}) is true for any *Error of that kind: a target
//     with only Kind set matches by kind.
type Error struct {
	// Kind says what went wrong; see the constants.
	Kind Kind
	// URL is the requested URL without user information. Query values are kept: they carry
	// prompt ids and file names, never credentials (those travel in headers).
	URL string
	// Err is the underlying cause.
	Err error
	// TimeLimit is the per-request limit that expired, for a Timeout caused by
	// Config.Timeout. It is zero when the caller's own deadline expired first.
	TimeLimit time.Duration
	// SizeLimit is the byte cap that was exceeded, for TooLarge.
	SizeLimit int64
}

// Error reads as one sentence naming the URL and the cause.
func (e *Error) Error() string {
	switch e.Kind {
	case Unreachable:
		return fmt.Sprintf("ComfyUI unreachable at %s: %s", e.URL, describeCause(e.Err))
	case Timeout:
		if e.TimeLimit > 0 {
			return fmt.Sprintf("ComfyUI at %s did not answer within %s", e.URL, e.TimeLimit)
		}
		return fmt.Sprintf("ComfyUI at %s did not answer before the deadline", e.URL)
	case Cancelled:
		return fmt.Sprintf("request to ComfyUI at %s was cancelled", e.URL)
	case TooLarge:
		return fmt.Sprintf("ComfyUI response from %s is larger than the %s cap", e.URL, formatBytes(e.SizeLimit))
	case Protocol:
		return fmt.Sprintf("ComfyUI at %s sent a malformed or truncated response: %s", e.URL, describeCause(e.Err))
	default:
		return fmt.Sprintf("ComfyUI request to %s failed: %v", e.URL, e.Err)
	}
}

// Unwrap returns the cause, so that errors.Is(err, context.Canceled) and friends work.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with only Kind set and the same Kind. It lets callers
// write errors.Is(err, &comfyui.Error{Kind: comfyui.Unreachable}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.URL != "" || t.Err != nil {
		return false
	}
	return t.Kind == e.Kind
}

// KindOf returns the Kind of the first *Error in err's chain, or 0 when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// formatBytes prints a cap the way people configure it: "64 MiB", "512 KiB", "1000 bytes".
func formatBytes(n int64) string {
	const kib, mib, gib = 1 << 10, 1 << 20, 1 << 30
	switch {
	case n >= gib && n%gib == 0:
		return fmt.Sprintf("%d GiB", n/gib)
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
