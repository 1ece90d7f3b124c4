package httpguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// ErrExposed is returned by [CheckBind] for an address reachable from other
// machines when no token is configured.
var ErrExposed = errors.New("address is reachable from other machines and no bearer token is set")

// IsLoopbackAddr reports whether a listen address (host:port) accepts
// connections from this machine only: localhost or a loopback IP. An empty
// host (":8765") listens on every interface and is not loopback.
func IsLoopbackAddr(addr string) bool {
	return isLoopbackName(strings.ToLower(hostOnly(addr)))
}

// CheckBind refuses to serve addr without a token unless it is loopback. A
// host name counts as loopback when every address it resolves to is one.
// The caller decides whether the operator may override the refusal.
func CheckBind(ctx context.Context, addr string, hasToken bool) error {
	if hasToken || IsLoopbackAddr(addr) {
		return nil
	}
	host := hostOnly(addr)
	if host != "" && net.ParseIP(host) == nil {
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return fmt.Errorf("listen address %s: %w", addr, err)
		}
		if allLoopback(ips) {
			return nil
		}
	}
	return fmt.Errorf("listen address %s: %w", addr, ErrExposed)
}

func allLoopback(ips []net.IPAddr) bool {
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return false
		}
	}
	return len(ips) > 0
}

// MinTokenLength is the shortest token accepted: 16 characters, i.e. at
// least 64 bits of a hex-encoded random value. `openssl rand -hex 32` makes a
// good one.
const MinTokenLength = 16

// CheckToken rejects tokens that are too short to resist guessing or that
// cannot travel in an HTTP header. The message never contains the token.
func CheckToken(token string) error {
	switch {
	case len(token) < MinTokenLength:
		return fmt.Errorf("the bearer token is %d characters long; use at least %d (e.g. the output of `openssl rand -hex 32`)", len(token), MinTokenLength)
	case strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return errors.New("the bearer token contains a space or control character, which cannot travel in an Authorization header")
	}
	return nil
}

// ReadTokenFile reads a token from path: the whole file without its
// trailing line break and surrounding space, checked with [CheckToken].
func ReadTokenFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read bearer token: %w", err)
	}
	token := strings.TrimSpace(string(data))
	if err := CheckToken(token); err != nil {
		return "", fmt.Errorf("bearer token file %s: %w", path, err)
	}
	return token, nil
}
