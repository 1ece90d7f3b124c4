package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// The checks on single values, kept apart from the YAML walking so each can be
// tested on its own.

// validToolName reports whether name matches ^[a-zA-Z0-9_-]{1,64}$, the MCP tool
// name rule that the plugin ABI also enforces.
func validToolName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for _, c := range []byte(name) {
		if !(c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// parseByteSize parses a positive number of bytes, optionally with a KiB, MiB or
// GiB suffix ("64MiB", "64 MiB", "67108864"). Binary units only: "64MB" is refused
// rather than guessed at, since half the world reads it as 64MiB.
func parseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		size   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} // "B" last: the others end in it
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.size
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) || err == nil && n > math.MaxInt64/mult:
		return 0, fmt.Errorf("%q is too large a byte size", s)
	case err != nil || strings.HasPrefix(num, "+"):
		return 0, fmt.Errorf("%q is not a byte size (use a number of bytes or a KiB, MiB or GiB suffix, e.g. 64MiB)", s)
	case n <= 0:
		return 0, fmt.Errorf("%q is not a positive byte size", s)
	}
	return n * mult, nil
}

// baseURL checks that s is an absolute http or https URL and returns it without
// trailing slashes. problem completes the sentence "<url> ..." when it is not.
func baseURL(s string) (clean, problem string) {
	u, err := url.Parse(s)
	switch {
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Opaque != "", u.Hostname() == "":
		return "", "is not an absolute http or https URL (use e.g. " + DefaultURL + ")"
	case u.User != nil:
		return "", "must not carry credentials: use comfyui.auth with token_env"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", "must not have a query or fragment"
	}
	return strings.TrimRight(s, "/"), ""
}

// redactURL hides the password of a URL that carries one, so a message about a bad
// URL does not print a secret.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

// isToken reports whether s is an HTTP token (RFC 9110), the syntax of header names
// and auth schemes.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// isControl reports the characters an HTTP header value cannot hold (tab is allowed).
func isControl(r rune) bool {
	return r < 0x20 && r != '\t' || r == 0x7f
}

// hasGoFiles reports whether dir holds a .go file that is not a test, the sign of a
// Go source plugin.
func hasGoFiles(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			return true, nil
		}
	}
	return false, nil
}

// causeOf strips the operation and path from a *fs.PathError, whose path would
// repeat the absolute form of a path the message already quotes as written.
func causeOf(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}
