// Package policy decides what a plugin may do. A plugin is untrusted code, so
// it starts with nothing: no ComfyUI route, no job waiting, no outbound host,
// no client features. tools.yaml grants each tool what it needs under its
// permissions key, and the host functions ask the tool's Permissions before
// acting. A refusal names the grant that would allow the request, so the
// operator reading the plugin's error knows the exact line to add.
package policy

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Permissions are the grants of one tool (tools.yaml: permissions). The zero
// value and nil grant nothing.
type Permissions struct {
	// ComfyUI lists the requests the plugin may make to ComfyUI.
	ComfyUI []Route
	// Jobs lets the plugin ask the host to wait for ComfyUI jobs (the ABI's
	// await outcome).
	Jobs bool
	// HTTP lists the hosts outside ComfyUI the plugin may call.
	HTTP []Endpoint
	// Sampling lets the plugin ask the MCP client's model for a completion
	// (sampling/createMessage).
	Sampling bool
	// Elicitation lets the plugin ask the MCP client's user for input
	// (elicitation/create).
	Elicitation bool
}

// All grants every ComfyUI route and job waiting, nothing outside ComfyUI and
// no client features. It is what test harnesses hand a plugin whose
// behaviour, not whose grant, is under test.
func All() *Permissions {
	return &Permissions{ComfyUI: []Route{{Method: "*", segments: []string{"**"}}}, Jobs: true}
}

// AllowsComfyUI reports whether a request to ComfyUI is granted. path is the
// request path as sent, already checked by comfyui.CheckPath; it is matched
// decoded, as ComfyUI routes it, and the "/api" prefix ComfyUI accepts on
// every route is ignored, so "GET /queue" also grants GET /api/queue.
func (p *Permissions) AllowsComfyUI(method, path string) bool {
	if p == nil {
		return false
	}
	segs := pathSegments(path)
	for _, r := range p.ComfyUI {
		if r.matches(method, segs) {
			return true
		}
	}
	return false
}

// Route is one granted ComfyUI request: a method (or * for any) and a path
// pattern whose segments match literally, except * (any one segment) and a
// final ** (any number of segments, including none).
type Route struct {
	Method   string
	segments []string
}

// ParseRoute reads a route grant such as "GET /history/*" or "POST /prompt".
func ParseRoute(s string) (Route, error) {
	method, path, ok := strings.Cut(strings.TrimSpace(s), " ")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return Route{}, fmt.Errorf("%q is not a route: write METHOD /path, e.g. \"GET /history/*\"", s)
	}
	if !validMethod(method) {
		return Route{}, fmt.Errorf("%q: %q is not an HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD or *)", s, method)
	}
	if path[0] != '/' {
		return Route{}, fmt.Errorf("%q: the path must start with /", s)
	}
	segs := pathSegments(path)
	for i, seg := range segs {
		switch {
		case seg == "":
			return Route{}, fmt.Errorf("%q: empty path segment", s)
		case seg == "**" && i != len(segs)-1:
			return Route{}, fmt.Errorf("%q: ** may only end the pattern", s)
		case seg != "*" && seg != "**" && strings.Contains(seg, "*"):
			return Route{}, fmt.Errorf("%q: * must be a whole segment", s)
		case seg == "." || seg == "..":
			return Route{}, fmt.Errorf("%q: %q segments are not allowed", s, seg)
		}
	}
	return Route{Method: method, segments: segs}, nil
}

// String returns the route as written in tools.yaml, normalised.
func (r Route) String() string {
	return r.Method + " /" + strings.Join(r.segments, "/")
}

func (r Route) matches(method string, segs []string) bool {
	if r.Method != "*" && r.Method != method {
		return false
	}
	for i, want := range r.segments {
		if want == "**" {
			return true
		}
		if i >= len(segs) || (want != "*" && want != segs[i]) {
			return false
		}
	}
	return len(segs) == len(r.segments)
}

// pathSegments splits a path into decoded segments, dropping ComfyUI's
// optional "/api" prefix. It splits before decoding, as ComfyUI's router
// (aiohttp, matching on the still-escaped path) does: "%2F" stays inside its
// segment, so /object_info/Foo%2FBar is one class name for "GET
// /object_info/*". A segment that does not decode is compared as written;
// CheckPath refuses such paths anyway.
func pathSegments(path string) []string {
	path = strings.TrimPrefix(path, "/")
	if rest, ok := strings.CutPrefix(path, "api/"); ok {
		path = rest
	} else if path == "api" {
		path = ""
	}
	if path == "" {
		return nil
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if dec, err := url.PathUnescape(s); err == nil {
			segs[i] = dec
		}
	}
	return segs
}

func validMethod(m string) bool {
	return slices.Contains([]string{"*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}, m)
}

// Endpoint is one granted outbound host: a host name or IP address and a
// port. Addresses in loopback, private, link-local (cloud metadata) and
// other non-public ranges are refused even when a granted name resolves to
// them, unless Private is set — or the grant names such an address itself.
type Endpoint struct {
	Host    string // lower case; an IP address without brackets, or a DNS name
	Port    int
	Private bool
}

// ParseEndpoint reads an outbound grant: "host:port", with the suffix
// " private" to allow non-public addresses ("db.internal:5432 private").
// An IP literal or "localhost" in a non-public range is private by naming it.
func ParseEndpoint(s string) (Endpoint, error) {
	hostport, flag, _ := strings.Cut(strings.TrimSpace(s), " ")
	var e Endpoint
	switch strings.TrimSpace(flag) {
	case "":
	case "private":
		e.Private = true
	default:
		return Endpoint{}, fmt.Errorf("%q: unknown flag %q (the only one is private)", s, flag)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%q is not host:port, e.g. \"api.example.com:443\"", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return Endpoint{}, fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, port)
	}
	host = strings.ToLower(host)
	if host == "" || strings.ContainsAny(host, "/*@ ") {
		return Endpoint{}, fmt.Errorf("%q: %q is not a host name or IP address", s, host)
	}
	if ip := net.ParseIP(host); (ip != nil && !Public(ip)) || host == "localhost" {
		e.Private = true
	}
	e.Host, e.Port = host, n
	return e, nil
}

// String returns the grant as written in tools.yaml.
func (e Endpoint) String() string {
	s := net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
	if e.Private {
		s += " private"
	}
	return s
}

// AllowsHTTP returns the grant covering host and port (host as in a URL, IP
// literals without brackets), if any. Callers must still check every address
// the host resolves to with [Endpoint.AllowsAddr].
func (p *Permissions) AllowsHTTP(host string, port int) (Endpoint, bool) {
	if p == nil {
		return Endpoint{}, false
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, e := range p.HTTP {
		if e.Host == host && e.Port == port {
			return e, true
		}
	}
	return Endpoint{}, false
}

// AllowsAddr reports whether a connection to ip is allowed under e: any
// public address, and a non-public one only when e is Private. This check
// runs on the resolved address at dial time, so a name that resolves (or is
// rebound) to 169.254.169.254 or 127.0.0.1 is still refused.
func (e Endpoint) AllowsAddr(ip net.IP) bool {
	return e.Private || Public(ip)
}

// Public reports whether ip is a globally routable unicast address: not
// loopback, private (RFC 1918, fc00::/7), link-local (which holds cloud
// metadata services at 169.254.169.254), carrier-grade NAT, unspecified,
// multicast, or an IPv4-mapped form of one of those.
func Public(ip net.IP) bool {
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, n := range nonPublic {
		if n.Contains(ip) {
			return false
		}
	}
	return true
}

// nonPublic are the special-purpose ranges net.IP's predicates miss.
var nonPublic = func() []*net.IPNet {
	var nets []*net.IPNet
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"100.64.0.0/10",   // carrier-grade NAT
		"192.0.0.0/24",    // IETF protocol assignments
		"198.18.0.0/15",   // benchmarking
		"240.0.0.0/4",     // reserved, and broadcast
		"64:ff9b::/96",    // NAT64 of any IPv4, private ones included
		"2001:db8::/32",   // documentation
		"100::/64",        // discard
		"fec0::/10",       // deprecated site-local
		"2002::/16",       // 6to4, which embeds any IPv4
		"192.0.2.0/24",    // documentation
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
	} {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			panic(err)
		}
		nets = append(nets, n)
	}
	return nets
}()
