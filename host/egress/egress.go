// Package egress is the outbound HTTP a plugin may be granted besides
// ComfyUI: a client that connects only to the hosts and ports of the tool's
// permissions.http grant, checks every address it dials (so a granted name
// that resolves, or is rebound, to a loopback, private or cloud-metadata
// address is refused), re-checks each redirect against the grant, sends no
// proxy settings, cookies or credentials of the host, and caps what it
// reads.
package egress

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/easel-mcp/easel/host/policy"
)

// Defaults of [Config].
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 16 << 20
	maxRedirects            = 5
)

// Config configures a Client.
type Config struct {
	// Permissions hold the grant; nil or an empty HTTP list refuses
	// everything.
	Permissions *policy.Permissions
	// Tool names the grantee in refusals.
	Tool string
	// Timeout bounds one request, redirects and body included. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes caps a response body. Zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// LookupIP resolves a host name; nil means net.DefaultResolver's. Tests
	// use it to point a granted name at a forbidden address.
	LookupIP func(ctx context.Context, host string) ([]net.IP, error)
}

// Client performs a plugin's outbound requests. It is safe for concurrent
// use and keeps connections alive between calls.
type Client struct {
	cfg  Config
	http *http.Client
}

// RefusedError is a request the grant does not allow. It is not a network
// failure: the message says which grant would allow it.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return "request refused: " + e.Msg }

// New returns a client for one tool's grant.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.LookupIP == nil {
		cfg.LookupIP = func(ctx context.Context, host string) ([]net.IP, error) {
			return net.DefaultResolver.LookupIP(ctx, "ip", host)
		}
	}
	c := &Client{cfg: cfg}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           c.dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	c.http = &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return c.checkURL(req.URL)
		},
	}
	return c
}

// Close releases the client's idle connections. Requests may still be
// made afterwards; they open new ones.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Response is an answer read in full.
type Response struct {
	Status int
	Header http.Header
	URL    string // the final URL, after redirects
	Body   []byte
}

// Do sends req if the grant allows its URL, follows allowed redirects, and
// reads the body up to the cap. A refused request is a *RefusedError.
func (c *Client) Do(ctx context.Context, req *http.Request) (*Response, error) {
	if err := c.checkURL(req.URL); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		var refused *RefusedError
		if errors.As(err, &refused) {
			return nil, refused
		}
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the response: %w", req.Method, req.URL.Redacted(), err)
	}
	if int64(len(body)) > c.cfg.MaxResponseBytes {
		return nil, fmt.Errorf("%s %s: the response is larger than the %d-byte cap", req.Method, req.URL.Redacted(), c.cfg.MaxResponseBytes)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, URL: resp.Request.URL.Redacted(), Body: body}, nil
}

// checkURL refuses URLs outside the grant: other schemes, user info, and
// host:port pairs not listed.
func (c *Client) checkURL(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return &RefusedError{fmt.Sprintf("%q: only http and https URLs can be granted", u.Redacted())}
	case u.User != nil:
		return &RefusedError{fmt.Sprintf("%s: URLs with credentials are not allowed; send them in a header", u.Redacted())}
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, _ := strconv.Atoi(port)
	if _, ok := c.cfg.Permissions.AllowsHTTP(u.Hostname(), n); !ok {
		return &RefusedError{fmt.Sprintf("%s is not granted to tool %s (tools.yaml: add %q to permissions.http)",
			net.JoinHostPort(u.Hostname(), port), c.cfg.Tool, net.JoinHostPort(u.Hostname(), port))}
	}
	return nil
}

// dial connects to a granted host:port. It resolves the name itself and
// dials the checked addresses, never the name, so what is checked is what
// is connected to: this is what stops DNS rebinding to internal addresses.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(portStr)
	grant, ok := c.cfg.Permissions.AllowsHTTP(host, port)
	if !ok {
		return nil, &RefusedError{fmt.Sprintf("%s is not granted to tool %s", addr, c.cfg.Tool)}
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		if ips, err = c.cfg.LookupIP(ctx, host); err != nil {
			return nil, err
		}
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	var firstErr error
	for _, ip := range ips {
		if !grant.AllowsAddr(ip) {
			firstErr = cmp.Or(firstErr, error(&RefusedError{fmt.Sprintf("%s resolves to %s, a non-public address (tools.yaml: grant %q to allow it)",
				host, ip, net.JoinHostPort(grant.Host, portStr)+" private")}))
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), portStr))
		if err == nil {
			return conn, nil
		}
		firstErr = cmp.Or(firstErr, err)
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%s has no addresses", host)
	}
	return nil, firstErr
}

// unwrapURLError drops *url.Error's repetition of the method and URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
