// Package httpguard protects easel's inbound HTTP server (`easel serve
// --http`): an optional bearer token, Host and Origin checks against DNS
// rebinding, a cap on request bodies, and the rule that a server reachable
// from the network does not run without a token unless the operator insists.
//
// A [Guard] is built once from [Options] and wraps handlers: [Guard.Protect]
// for endpoints that need the token (the MCP endpoint, /metrics) and
// [Guard.Public] for those that must answer without it (/healthz, /readyz);
// both apply the Host, Origin and body checks. The package knows nothing of
// MCP: it wraps whatever handler it is given, so the MCP transport can change
// underneath it.
//
// # Notes
//
//   - Why both Host and Origin: a web page can make a browser send requests
//     to 127.0.0.1 (Origin check) or rebind its own host name to 127.0.0.1
//     (Host check: the browser then sends Host: evil.example). A bearer token
//     defeats both, since a browser never adds it on its own; the checks
//     protect the default, token-less loopback server.
//   - The token is compared in constant time and never logged; rejections
//     are logged with the remote address, method, path, Host and Origin.
package httpguard

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

// DefaultMaxBodyBytes is the request body cap when Options.MaxBodyBytes is
// zero. The largest legitimate request is an upload_image call: a 16 MiB
// image is 21.4 MiB of base64 inside the JSON-RPC envelope.
const DefaultMaxBodyBytes = 24 << 20

// Realm is the realm of the WWW-Authenticate challenge.
const Realm = "easel"

// Options configure a [Guard].
type Options struct {
	// Token is the bearer token that protected endpoints require
	// (Authorization: Bearer <Token>). Empty means no authentication.
	Token string
	// Addr is the address the server is bound to (the listener's address,
	// host:port). On a loopback address only loopback host names (localhost,
	// 127.0.0.0/8, ::1) and AllowedHosts pass the Host check; on any other
	// address the Host check applies only when AllowedHosts is set.
	Addr string
	// AllowedHosts are host names (without port) accepted in Host and Origin
	// besides the loopback ones, e.g. the name a reverse proxy forwards.
	AllowedHosts []string
	// AllowedOrigins are browser origins (scheme://host[:port]) accepted
	// whatever their host, e.g. a web client served from another site.
	AllowedOrigins []string
	// MaxBodyBytes caps a request body. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives one warning per rejected request; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Guard checks inbound requests. It is safe for concurrent use.
type Guard struct {
	tokenSum [sha256.Size]byte
	hasToken bool
	loopback bool
	hosts    map[string]bool // lower-case host names, without port
	origins  map[string]bool // lower-case scheme://host[:port]
	maxBody  int64
	logger   *slog.Logger
}

// New builds a Guard. It fails when an allowed host or origin is malformed.
func New(opts Options) (*Guard, error) {
	g := &Guard{
		hasToken: opts.Token != "",
		tokenSum: sha256.Sum256([]byte(opts.Token)),
		loopback: IsLoopbackAddr(opts.Addr),
		hosts:    map[string]bool{},
		origins:  map[string]bool{},
		maxBody:  opts.MaxBodyBytes,
		logger:   opts.Logger,
	}
	if g.maxBody <= 0 {
		g.maxBody = DefaultMaxBodyBytes
	}
	if g.logger == nil {
		g.logger = slog.Default()
	}
	for _, h := range opts.AllowedHosts {
		if err := CheckHost(h); err != nil {
			return nil, fmt.Errorf("allowed host %q: %w", h, err)
		}
		g.hosts[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	for _, o := range opts.AllowedOrigins {
		if err := CheckOrigin(o); err != nil {
			return nil, fmt.Errorf("allowed origin %q: %w", o, err)
		}
		norm, _ := normalizeOrigin(o)
		g.origins[norm] = true
	}
	return g, nil
}

// CheckHost accepts an entry of Options.AllowedHosts: a host name or IP
// address without scheme, port or path.
func CheckHost(h string) error {
	if h == "" || strings.ContainsAny(h, "/:@ ") && !isIPv6(h) {
		return errors.New("want a host name without scheme or port, e.g. easel.example.com")
	}
	return nil
}

// CheckOrigin accepts an entry of Options.AllowedOrigins: an http or https
// origin, scheme://host[:port], without path.
func CheckOrigin(o string) error {
	if _, ok := normalizeOrigin(o); !ok {
		return errors.New("want scheme://host[:port] without a path, e.g. https://app.example.com")
	}
	return nil
}

// Protect wraps h with the Host, Origin and body checks and, when a token is
// configured, bearer authentication.
func (g *Guard) Protect(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.checkRequest(w, r) && g.checkToken(w, r) {
			h.ServeHTTP(w, r)
		}
	})
}

// Public wraps h with the Host, Origin and body checks only: for endpoints
// such as health probes that answer without credentials.
func (g *Guard) Public(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.checkRequest(w, r) {
			h.ServeHTTP(w, r)
		}
	})
}

// RequiresToken reports whether Protect asks for a token.
func (g *Guard) RequiresToken() bool { return g.hasToken }

// checkRequest applies the Host, Origin and body checks; it answers and
// returns false when the request is refused.
func (g *Guard) checkRequest(w http.ResponseWriter, r *http.Request) bool {
	if !g.hostAllowed(r.Host) {
		g.refuse(w, r, http.StatusForbidden, fmt.Sprintf("Host %q is not allowed: easel answers only to the host names it serves (see http.allowed_hosts)", r.Host))
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" && !g.originAllowed(origin, r.Host) {
		g.refuse(w, r, http.StatusForbidden, fmt.Sprintf("Origin %q is not allowed (see http.allowed_origins)", origin))
		return false
	}
	if r.ContentLength > g.maxBody {
		g.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes exceeds the limit of %d bytes (http.max_body_bytes)", r.ContentLength, g.maxBody))
		return false
	}
	if r.Body != nil && r.Body != http.NoBody {
		// A body without Content-Length (chunked) is cut at the limit; the
		// handler then fails reading it.
		r.Body = http.MaxBytesReader(w, r.Body, g.maxBody)
	}
	return true
}

// checkToken requires the bearer token when one is configured.
func (g *Guard) checkToken(w http.ResponseWriter, r *http.Request) bool {
	if !g.hasToken {
		return true
	}
	if _, ok := bearer(r.Header.Get("Authorization")); !ok {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", Realm))
		g.refuse(w, r, http.StatusUnauthorized, "authentication required: send Authorization: Bearer <token>")
		return false
	}
	if !g.Authorized(r) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q, error=\"invalid_token\"", Realm))
		g.refuse(w, r, http.StatusUnauthorized, "invalid bearer token")
		return false
	}
	return true
}

// Authorized reports whether r carries the configured token, or whether no
// token is configured. Public endpoints use it to decide how much to say.
func (g *Guard) Authorized(r *http.Request) bool {
	if !g.hasToken {
		return true
	}
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return false
	}
	// Hashing first makes the comparison constant-time whatever the lengths.
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], g.tokenSum[:]) == 1
}

// bearer extracts the token of an "Authorization: Bearer <token>" value; the
// scheme is case-insensitive (RFC 9110, 11.1).
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// refuse answers a rejected request and logs it without credentials.
func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	g.logger.Warn("HTTP request refused", "status", status, "reason", msg,
		"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

// hostAllowed applies the Host policy described at Options.Addr.
func (g *Guard) hostAllowed(hostport string) bool {
	host := strings.ToLower(hostOnly(hostport))
	if g.hosts[host] {
		return true
	}
	if g.loopback {
		return isLoopbackName(host)
	}
	return len(g.hosts) == 0
}

// originAllowed accepts an origin listed in AllowedOrigins, or one whose host
// passes the Host policy: on a loopback bind a loopback name, elsewhere the
// request's own host (a same-origin request) when no AllowedHosts are set.
func (g *Guard) originAllowed(origin, requestHost string) bool {
	norm, ok := normalizeOrigin(origin)
	if !ok {
		return false // includes "null", sent by sandboxed frames and file: pages
	}
	if g.origins[norm] {
		return true
	}
	_, hostport, _ := strings.Cut(norm, "://")
	host := hostOnly(hostport)
	if g.hosts[host] || g.loopback && isLoopbackName(host) {
		return true
	}
	return !g.loopback && len(g.hosts) == 0 && strings.EqualFold(hostport, requestHost)
}

// normalizeOrigin lower-cases scheme://host[:port] and refuses anything else
// (paths, user information, "null").
func normalizeOrigin(o string) (string, bool) {
	scheme, hostport, ok := strings.Cut(strings.ToLower(strings.TrimSpace(o)), "://")
	if !ok || scheme != "http" && scheme != "https" || hostport == "" || strings.ContainsAny(hostport, "/?#@ ") {
		return "", false
	}
	return scheme + "://" + hostport, true
}

// hostOnly strips the port from a Host value and the brackets from an IPv6
// literal.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// isLoopbackName reports names that can only mean this machine: localhost
// (and its subdomains, RFC 6761) and loopback IP literals.
func isLoopbackName(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isIPv6(h string) bool {
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.To4() == nil
}
