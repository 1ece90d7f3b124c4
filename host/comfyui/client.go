package comfyui

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/easel-mcp/easel/host/internal/rawio"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultTimeout bounds one request from sending to the last body byte. ComfyUI answers
	// its routes in milliseconds; 30s leaves room for a large /object_info on a busy server.
	DefaultTimeout = 30 * time.Second
	// DefaultConnectTimeout bounds dialling (and the TLS handshake). A local server accepts
	// at once, so a slow connect means the host is down or filtered, and the caller should
	// learn it quickly rather than after DefaultTimeout.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultMaxResponseBytes caps a response body. The full /object_info of a plain install
	// is about 0.3 MB and images are a few MB; 64 MiB protects the host from a misbehaving
	// server without refusing any legitimate answer.
	DefaultMaxResponseBytes = 64 << 20
	// maxIdleConnsPerHost keeps connections to the one ComfyUI server alive for reuse. Plugins
	// poll /queue and /history concurrently; net/http's default of 2 would make most of those
	// polls dial anew.
	maxIdleConnsPerHost = 64
)

// Config describes a connection to one ComfyUI server.
type Config struct {
	// BaseURL is the server's root, e.g. "http://127.0.0.1:8188" or
	// "https://gpu.example/comfy" behind a proxy. Scheme http or https; a trailing slash is
	// ignored. User information ("user:pass@") is sent as basic auth and never shown.
	BaseURL string
	// Header carries extra headers (typically the auth proxy's Authorization) sent on every
	// HTTP request and on the WebSocket handshake. Its values never appear in errors.
	Header http.Header
	// Timeout bounds one request including reading the body. Default DefaultTimeout.
	Timeout time.Duration
	// ConnectTimeout bounds dialling and the TLS handshake. Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxResponseBytes caps a response body. Default DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Observe, if not nil, is told of every request sent: its method, path
	// (as given, below the base URL), the status (0 when no response came)
	// and how long it took, body included. It feeds metrics; it must be fast.
	Observe func(method, path string, status int, d time.Duration)
}

// Client sends requests to one ComfyUI server. It is safe for concurrent use and keeps
// connections alive between requests; create one per server and share it.
type Client struct {
	base           *url.URL // with user information, without trailing slash
	redactedBase   string   // base without user information, for messages
	header         http.Header
	timeout        time.Duration
	connectTimeout time.Duration
	maxBytes       int64
	observe        func(method, path string, status int, d time.Duration)
	http           *http.Client
}

// New checks cfg and returns a client for it. It does not contact the server.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:           base,
		redactedBase:   redact(base),
		header:         cfg.Header.Clone(),
		timeout:        cfg.Timeout,
		connectTimeout: cfg.ConnectTimeout,
		maxBytes:       cfg.MaxResponseBytes,
		observe:        cfg.Observe,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.connectTimeout <= 0 {
		c.connectTimeout = DefaultConnectTimeout
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	dialer := &net.Dialer{Timeout: c.connectTimeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxIdleConnsPerHost,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   c.connectTimeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	var rt http.RoundTripper = transport
	if rawio.Supported {
		// The direct transport needs rawio to notice a kept-alive
		// connection the server closed while it sat idle.
		rt = &directTransport{
			dial:    dialer.DialContext,
			proxy:   transport.Proxy,
			next:    transport,
			maxIdle: maxIdleConnsPerHost,
			idleFor: transport.IdleConnTimeout,
		}
	}
	c.http = &http.Client{
		Transport: rt,
		// ComfyUI never redirects; a redirect would come from a proxy (a login page), and
		// following it would send the credentials elsewhere. Hand the 3xx to the caller.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// parseBaseURL accepts an absolute http(s) URL with a host and no query or fragment.
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("comfyui: BaseURL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the input, which may hold a password.
		return nil, errors.New("comfyui: BaseURL is not a valid URL")
	}
	shown := redact(u)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("comfyui: BaseURL %s must use http or https", shown)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("comfyui: BaseURL %s has no host", shown)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("comfyui: BaseURL %s must not have a query or fragment", shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	if u.Path != "" {
		if err := CheckPath(u.EscapedPath()); err != nil {
			return nil, fmt.Errorf("comfyui: BaseURL %s: %w", shown, err)
		}
	}
	return u, nil
}

// redact prints u without user information.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// BaseURL returns the server's base URL without user information or trailing slash.
func (c *Client) BaseURL() string { return c.redactedBase }

// Header returns the headers to send on the WebSocket handshake: Config.Header, plus basic
// auth from the base URL's user information unless Config.Header sets Authorization.
func (c *Client) Header() http.Header {
	h := c.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if u := c.base.User; u != nil && h.Get("Authorization") == "" {
		pw, _ := u.Password()
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	return h
}

// WebSocketURL returns the URL of ComfyUI's WebSocket (ws:// or wss://, below the base path)
// for a client id, without user information; send Header with the handshake.
func (c *Client) WebSocketURL(clientID string) string {
	u := *c.base
	u.User = nil
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path += "/ws"
	u.RawPath = ""
	if c.base.RawPath != "" {
		u.RawPath = c.base.RawPath + "/ws"
	}
	if clientID != "" {
		u.RawQuery = url.Values{"clientId": {clientID}}.Encode()
	}
	return u.String()
}

// Request is one HTTP request to ComfyUI, relative to the base URL.
type Request struct {
	// Method defaults to GET.
	Method string
	// Path is the route below the base URL, e.g. "/history/<id>". It must pass CheckPath.
	Path string
	// Query is encoded with url.Values.Encode, which escapes every value.
	Query url.Values
	// Body is sent as is; nil sends no body.
	Body []byte
	// ContentType is the body's media type, e.g. "application/json".
	ContentType string
	// Backend and Job are routing hints for a Doer that spreads requests over
	// several servers (package backends): Backend names the server to ask
	// ("*" asks every one), Job says the request concerns that prompt id, so
	// it goes to the server that owns the job. A Client ignores both.
	Backend string
	Job     string
}

// Response is ComfyUI's answer. Any status, including 4xx and 5xx, is a Response, not an
// error: ComfyUI's 400 carries the validation errors the caller needs.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// ContentType is the Content-Type header ("" when absent).
	ContentType string
	// Header holds all response headers (Content-Disposition of /view, for example).
	Header http.Header
	Body   []byte
	// URL is the URL requested, without user information.
	URL string
	// Backend names the server that answered, when a Doer chose among
	// several; empty from a Client.
	Backend string
}

// Do sends req and reads the whole response body. It returns an *Error when there is no
// complete response; see Kind for the cases.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	if c.observe == nil {
		return c.do(ctx, req)
	}
	start := time.Now()
	resp, err := c.do(ctx, req)
	status := 0
	if resp != nil {
		status = resp.Status
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	c.observe(method, req.Path, status, time.Since(start))
	return resp, err
}

func (c *Client) do(ctx context.Context, req Request) (*Response, error) {
	if err := CheckPath(req.Path); err != nil {
		return nil, fmt.Errorf("comfyui: request path: %w", err)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	target := *c.base
	target.Path = c.base.Path + mustUnescape(req.Path)
	target.RawPath = c.base.EscapedPath() + req.Path
	target.RawQuery = req.Query.Encode()
	shown := redact(&target)

	// The per-request timeout is a cause on a derived context, so that expiry can be told
	// apart from the caller's own deadline or cancellation.
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errRequestTimeout)
	defer cancel()

	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = errors.New("invalid URL") // url.Error quotes the URL, user information included
		}
		return nil, fmt.Errorf("comfyui: building %s %s: %w", method, shown, err)
	}
	for k, v := range c.header {
		hreq.Header[k] = append([]string(nil), v...)
	}
	if h := c.header.Get("Host"); h != "" {
		hreq.Host = h
	}
	if req.ContentType != "" {
		hreq.Header.Set("Content-Type", req.ContentType)
	}

	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, c.classify(ctx, shown, err, false)
	}
	defer resp.Body.Close()
	data, err := readBody(resp.Body, resp.ContentLength, c.maxBytes)
	if err != nil {
		return nil, c.classify(ctx, shown, err, true)
	}
	if int64(len(data)) > c.maxBytes {
		return nil, &Error{Kind: TooLarge, URL: shown, SizeLimit: c.maxBytes,
			Err: fmt.Errorf("body exceeds %d bytes", c.maxBytes)}
	}
	return &Response{
		Status:      resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		Header:      resp.Header,
		Body:        data,
		URL:         shown,
	}, nil
}

// readBody reads a response body, up to one byte more than limit so that a
// longer body shows. When the server announced the length (ComfyUI's JSON
// answers), the body lands in one allocation of that size instead of
// io.ReadAll's doubling and copying; the byte to spare makes the read that
// meets the end find it without growing.
func readBody(body io.Reader, announced, limit int64) ([]byte, error) {
	body = io.LimitReader(body, limit+1)
	if announced < 0 || announced > limit {
		return io.ReadAll(body)
	}
	b := make([]byte, 0, announced+1)
	for {
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than announced: grow as ReadAll would
		}
	}
}

// mustUnescape decodes a path that CheckPath accepted (so it is validly escaped).
func mustUnescape(p string) string {
	s, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return s
}

// errRequestTimeout marks the expiry of Config.Timeout on a request's context.
var errRequestTimeout = errors.New("comfyui: request timeout")

// classify turns a transport or body-read error into an *Error. inBody says whether the
// status line had already arrived.
func (c *Client) classify(ctx context.Context, shown string, err error, inBody bool) *Error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if context.Cause(ctx) == errRequestTimeout {
			return &Error{Kind: Timeout, URL: shown, TimeLimit: c.timeout, Err: context.DeadlineExceeded}
		}
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return &Error{Kind: Timeout, URL: shown, Err: ctxErr}
		}
		return &Error{Kind: Cancelled, URL: shown, Err: ctxErr}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error repeats the URL, with the user name
	}
	switch {
	case inBody:
		// The status line arrived, so the server was reached: whatever cut the body short
		// (a reset included) left a truncated response.
		return &Error{Kind: Protocol, URL: shown, Err: err}
	case isDialError(err), isReset(err):
		return &Error{Kind: Unreachable, URL: shown, Err: err}
	case errors.Is(err, io.EOF):
		// Closed before the status line: the server went away (a restart
		// closes every connection), not a malformed answer.
		return &Error{Kind: Unreachable, URL: shown, Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), isMalformed(err):
		return &Error{Kind: Protocol, URL: shown, Err: err}
	default:
		return &Error{Kind: Unreachable, URL: shown, Err: err}
	}
}

// isDialError reports errors that happen before a connection exists: refused, DNS, dial
// timeout, TLS handshake.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var tlsErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	return errors.As(err, &tlsErr) || errors.As(err, &recErr) || errors.Is(err, syscall.ECONNREFUSED)
}

// isReset reports a connection reset or broken pipe: the peer went away.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// isMalformed recognises net/http's complaints about the bytes it received.
func isMalformed(err error) bool {
	msg := err.Error()
	for _, s := range []string{"malformed HTTP", "malformed chunked", "bad status", "invalid Content-Length", "invalid header", "server sent"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// describeCause renders a cause briefly: "connection refused" rather than
// "dial tcp 127.0.0.1:8188: connect: connection refused".
func describeCause(err error) string {
	if err == nil {
		return "unknown error"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fmt.Sprintf("cannot resolve %q: %s", dns.Name, dns.Err)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before the response was complete"
	case errors.Is(err, io.EOF):
		return "the connection closed before ComfyUI answered (is it restarting?)"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "connection attempt timed out"
	}
	return strings.TrimPrefix(err.Error(), "net/http: HTTP/1.x transport connection broken: ")
}
