package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

// ComfyUI is the client for the ComfyUI server the host is configured
// with. Requests go through the host, which owns the server's address,
// credentials, timeout and response size cap; a plugin names only the path.
// Get one from Call.ComfyUI.
//
// Errors say what happened in words an agent can act on, and have types a
// handler can inspect:
//
//   - *UnavailableError: no response at all (unreachable, timed out,
//     response too large, request refused by the host);
//   - *StatusError: ComfyUI answered with a non-2xx status (JSON and bytes
//     helpers only; Do returns every response);
//   - *NotAPIError: a 2xx answer that is not the JSON ComfyUI's API gives,
//     which usually means the configured address is some other server.
type ComfyUI struct {
	host host
	inst *instance
	// backend and job are the routing hints sent with every request; see
	// OnBackend and ForJob.
	backend, job string
}

// ForJob returns a client whose requests concern the job with this prompt
// id. A host with several ComfyUI servers sends them to the server that
// owns the job, wherever it was queued; with one server nothing changes.
// Use it for every request that looks a job up (GET /queue to find its
// position, /history/{id}, POST /interrupt and /queue deletes).
func (c *ComfyUI) ForJob(promptID string) *ComfyUI {
	cc := *c
	cc.job, cc.backend = promptID, ""
	return &cc
}

// OnBackend returns a client whose requests go to the named ComfyUI server
// of a host with several (a name from Response.Backend, a File's backend or
// EachBackend). With one server the name is not checked and nothing changes.
func (c *ComfyUI) OnBackend(name string) *ComfyUI {
	cc := *c
	cc.backend, cc.job = name, ""
	return &cc
}

// ClientID is the client_id to put in POST /prompt bodies. ComfyUI sends a
// prompt's execution events only to the WebSocket of that client id, and
// this is the id of the host's event stream: a prompt queued with it can be
// followed (progress, completion) by the host. Empty when the host has no
// event stream.
func (c *ComfyUI) ClientID() string {
	if c.inst == nil || c.inst.loadConfig() != nil {
		return ""
	}
	return c.inst.cfgClient
}

// Request is one HTTP request to ComfyUI.
type Request struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// Path is the path on the server, starting with "/", each segment
	// already escaped: build it with Path when a segment comes from an
	// argument. The host refuses "..", "?", "#" and backslashes.
	Path string
	// Query holds plain (unescaped) query parameters; the host escapes them.
	Query map[string]string
	// Body is sent as is; ContentType says what it is.
	Body        []byte
	ContentType string
	// Select is a JSON Pointer (RFC 6901; build it with jsonread.Pointer)
	// into a 2xx JSON answer: the response's Body is then only the value
	// it names, or empty with Missing set when the answer has none. The
	// host reads the answer natively, so a plugin that needs a small part
	// of a large answer, such as the status of a job whose history holds
	// its whole workflow, never reads the rest in WebAssembly. The answer
	// is still checked to be one JSON value.
	Select string
	// Omit names values of the answer (of the value Select names, when it
	// is set) that the plugin will not read: JSON Pointers whose token "*"
	// stands for every member or item, as in "/queue_pending/*/2", the
	// workflow of every pending job. The host sends null in their place,
	// so decoders keep working; the rest comes as ComfyUI sent it.
	Omit []string
}

// Response is ComfyUI's answer to a Request.
type Response struct {
	// Status is the HTTP status code; Do never returns 0 (that is an
	// *UnavailableError).
	Status      int
	ContentType string
	// URL is the URL the host requested, without credentials, for error
	// messages.
	URL  string
	Body []byte
	// Backend names the ComfyUI server that answered when the host has
	// several; "" when it has one.
	Backend string
	// Missing says that the answer has no value where the request's
	// Select points; Body is empty.
	Missing bool
}

// Do sends a request and returns the response whatever its status. The
// only error is *UnavailableError (no response), *NotAPIError for a 2xx
// answer to a request with Select or Omit that is not JSON, or a plain error if
// the request cannot be encoded or the host's answer is malformed. Use Do for
// what the helpers do not cover, such as a multipart upload to
// /upload/image.
func (c *ComfyUI) Do(req Request) (*Response, error) {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	msg := encodeRequest(&requestHeader{Method: method, Path: req.Path, Query: req.Query, ContentType: req.ContentType, Backend: c.backend, Job: c.job, Select: req.Select, Omit: req.Omit}, req.Body)
	var h responseHeader
	body, err := decodeResponse(c.host.comfyuiRequest(msg), &h)
	if err != nil {
		return nil, fmt.Errorf("sdk: the host's answer to %s %s is malformed: %v", method, req.Path, err)
	}
	if h.Status == 0 {
		if h.Error == "" {
			h.Error = fmt.Sprintf("ComfyUI request %s %s failed and the host gave no reason", method, req.Path)
		}
		return nil, &UnavailableError{Message: h.Error}
	}
	if h.URL == "" {
		h.URL = req.Path
	}
	resp := &Response{Status: h.Status, ContentType: h.ContentType, URL: h.URL, Body: body, Backend: h.Backend}
	if (req.Select != "" || len(req.Omit) > 0) && resp.Status >= 200 && resp.Status <= 299 {
		return resp, shapeBody(resp, &req, h.Selected)
	}
	return resp, nil
}

// shapeBody leaves resp.Body the value req.Select names, without what
// req.Omit names. A host that selected has done so; an older one sent the
// whole answer, and the shaping is done here instead, slower.
func shapeBody(resp *Response, req *Request, selected bool) error {
	if !selected {
		value, err := jsonread.Shape(resp.Body, req.Select, req.Omit)
		if err != nil {
			return &NotAPIError{URL: resp.URL, ContentType: resp.ContentType, Snippet: excerpt(resp.Body, 200), Err: err}
		}
		resp.Body = value
	}
	if len(resp.Body) == 0 {
		resp.Body, resp.Missing = nil, true
	}
	return nil
}

// GetJSON sends GET path?query and decodes the JSON answer into out
// (which may be nil to only check the status). Numbers decoded into
// interface values arrive as json.Number, so seeds and other 64-bit
// integers keep every digit.
func (c *ComfyUI) GetJSON(path string, query map[string]string, out any) error {
	return c.doJSON(Request{Method: "GET", Path: path, Query: query}, out)
}

// PostJSON sends body encoded as JSON (a json.RawMessage goes as is) with
// POST and decodes the JSON answer into out, like GetJSON. A nil body
// sends an empty body; a nil out only checks the status.
func (c *ComfyUI) PostJSON(path string, body any, out any) error {
	req := Request{Method: "POST", Path: path}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("sdk: encode the body of POST %s: %v", path, err)
		}
		req.Body, req.ContentType = b, "application/json"
	}
	return c.doJSON(req, out)
}

// GetBytes sends GET path?query and returns the body and its content type,
// for binary answers such as /view's images. A non-2xx status is a
// *StatusError.
func (c *ComfyUI) GetBytes(path string, query map[string]string) ([]byte, string, error) {
	resp, err := c.Do(Request{Method: "GET", Path: path, Query: query})
	if err != nil {
		return nil, "", err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, "", newStatusError("GET", resp)
	}
	return resp.Body, resp.ContentType, nil
}

func (c *ComfyUI) doJSON(req Request, out any) error {
	_, err := c.DoJSON(req, out)
	return err
}

// DoJSON sends req and decodes the JSON answer into out, like GetJSON, and
// also returns the response, for its Backend and URL. With req.Select it
// decodes the selected value, and leaves out untouched when the response
// is Missing one.
func (c *ComfyUI) DoJSON(req Request, out any) (*Response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return resp, newStatusError(req.Method, resp)
	}
	if out == nil || resp.Missing {
		return resp, nil // out untouched: nothing where Select points
	}
	return resp, decodeAPIJSON(resp, out)
}

// A WholeValueUnmarshaler is a json.Unmarshaler whose UnmarshalJSON
// itself refuses anything but exactly one JSON value, as one that reads
// its input with a jsonread.Reader to End does. DoJSON hands it the
// answer without first scanning the whole of it for validity, which for
// a hot answer (a job's history, polled) is a second full pass.
type WholeValueUnmarshaler interface {
	json.Unmarshaler
	// UnmarshalsWholeValue marks the promise; it does nothing.
	UnmarshalsWholeValue()
}

// decodeAPIJSON decodes a response that must be exactly one JSON value.
// A type with its own UnmarshalJSON gets the body after one quick
// validity check, without encoding/json's scan of it, so that a plugin
// can decode a hot answer faster than reflection does.
func decodeAPIJSON(resp *Response, out any) error {
	if u, ok := out.(json.Unmarshaler); ok {
		body := bytes.TrimSpace(resp.Body)
		var err error
		if _, whole := out.(WholeValueUnmarshaler); !whole {
			r := jsonread.New(body)
			r.Skip()
			err = r.End()
		}
		if err == nil {
			err = u.UnmarshalJSON(body)
		}
		if err != nil {
			return &NotAPIError{URL: resp.URL, ContentType: resp.ContentType, Snippet: excerpt(resp.Body, 200), Err: err}
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	dec.UseNumber()
	err := dec.Decode(out)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = fmt.Errorf("unexpected data after the JSON value")
		}
	}
	if err != nil {
		return &NotAPIError{URL: resp.URL, ContentType: resp.ContentType, Snippet: excerpt(resp.Body, 200), Err: err}
	}
	return nil
}

// Path joins segments into an escaped absolute path: Path("history", id)
// is "/history/" followed by id escaped like url.PathEscape, so an
// argument can never add a segment, a query or a fragment. Path() is "/".
// The segments "." and ".." are not escaped (they have no escaped form);
// the host refuses paths containing them.
func Path(segments ...string) string {
	if len(segments) == 0 {
		return "/"
	}
	n := 0
	for _, s := range segments {
		n += 1 + len(s)
	}
	var b strings.Builder
	b.Grow(n + n/4) // room for a few escapes: one allocation
	for _, s := range segments {
		b.WriteByte('/')
		for i := 0; i < len(s); i++ {
			c := s[i]
			if keepInSegment(c) {
				b.WriteByte(c)
				continue
			}
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// keepInSegment reports whether url.PathEscape leaves c as is. (The SDK
// does not import net/url, which would add net/netip and more to every
// plugin.)
func keepInSegment(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~$&+:=@", c) >= 0
}

// UnavailableError means the host obtained no response from ComfyUI:
// unreachable, timed out, a response over the size cap, or a request the
// host refused. Message is the host's explanation, which names the URL and
// the cause and is meant for the agent as is; a handler should pass it on,
// not guess.
type UnavailableError struct {
	Message string
}

// Error returns the host's message verbatim, for example "ComfyUI
// unreachable at http://127.0.0.1:8188/queue: connection refused".
func (e *UnavailableError) Error() string { return e.Message }

// StatusError means ComfyUI answered with a status outside 2xx. Body is
// the whole answer: ComfyUI explains a refused workflow in it (POST
// /prompt answers 400 with node_errors), so a handler can decode it for a
// better message than Error's excerpt.
type StatusError struct {
	Method string
	URL    string
	Status int
	Body   []byte
}

func newStatusError(method string, resp *Response) *StatusError {
	return &StatusError{Method: method, URL: resp.URL, Status: resp.Status, Body: resp.Body}
}

// Error reads "ComfyUI answered 400 Bad Request to POST http://…/prompt:
// <the first 300 bytes of the body>".
func (e *StatusError) Error() string {
	status := strconv.Itoa(e.Status)
	if t := statusText(e.Status); t != "" {
		status += " " + t
	}
	msg := fmt.Sprintf("ComfyUI answered %s to %s %s", status, e.Method, e.URL)
	if s := excerpt(e.Body, 300); s != "" {
		msg += ": " + s
	}
	return msg
}

// NotAPIError means a request succeeded but the answer is not what
// ComfyUI's API gives: not JSON, or JSON of another shape. The usual cause
// is a configured address that points at another server (a web page, a
// proxy's login page), so the message says so and shows the start of the
// answer. Err is the decoding error.
type NotAPIError struct {
	URL         string
	ContentType string
	Snippet     string
	Err         error
}

// Error reads "the server at http://…/queue did not answer like ComfyUI
// (text/html): <snippet>".
func (e *NotAPIError) Error() string {
	ct := e.ContentType
	if ct == "" {
		ct = "no content type"
	}
	snippet := e.Snippet
	if snippet == "" {
		snippet = "empty body"
	}
	return fmt.Sprintf("the server at %s did not answer like ComfyUI (%s): %s", e.URL, ct, snippet)
}

// Unwrap returns the decoding error.
func (e *NotAPIError) Unwrap() error { return e.Err }

// excerpt returns the first max bytes of b as readable single-line text:
// whitespace runs collapsed, invalid UTF-8 replaced, never cut inside a
// character, "…" when cut.
func excerpt(b []byte, max int) string {
	cut := len(b) > max
	if cut {
		b = b[:max]
		// Drop the bytes of a character the cut split.
		for i := 0; i < utf8.UTFMax-1 && len(b) > 0; i++ {
			if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "\uFFFD")), " ")
	if cut && s != "" {
		s += "…"
	}
	return s
}

// statusText is the reason phrase of the statuses ComfyUI and proxies in
// front of it answer with. (net/http's table would pull net/http into
// every plugin.)
func statusText(code int) string {
	switch code {
	case 300:
		return "Multiple Choices"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Found"
	case 303:
		return "See Other"
	case 304:
		return "Not Modified"
	case 307:
		return "Temporary Redirect"
	case 308:
		return "Permanent Redirect"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 406:
		return "Not Acceptable"
	case 408:
		return "Request Timeout"
	case 409:
		return "Conflict"
	case 410:
		return "Gone"
	case 413:
		return "Request Entity Too Large"
	case 415:
		return "Unsupported Media Type"
	case 422:
		return "Unprocessable Entity"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return ""
}

// BackendAnswer is one ComfyUI server's part of an EachBackend answer: the
// server as the host sees it, and its own answer to the request.
type BackendAnswer struct {
	Backend string            `json:"backend"`
	Labels  map[string]string `json:"labels,omitempty"`
	Weight  int               `json:"weight"`
	// Healthy servers receive new jobs; Problem says why one does not.
	Healthy     bool   `json:"healthy"`
	Problem     string `json:"problem,omitempty"`
	EventStream bool   `json:"event_stream"`
	// QueueRemaining is the host's latest count of the server's running
	// and pending jobs.
	QueueRemaining int `json:"queue_remaining"`
	// Status is the server's HTTP status; 0 when it could not be asked,
	// and then Error says why.
	Status      int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	URL         string `json:"url,omitempty"`
	// Body is the answer when it is JSON, Text when it is not.
	Body  json.RawMessage `json:"body,omitempty"`
	Text  string          `json:"text,omitempty"`
	Error string          `json:"error,omitempty"`
}

// Decode decodes the server's answer into out, or returns why there is
// none: an *UnavailableError, a *StatusError or a *NotAPIError, as GetJSON
// would.
func (a *BackendAnswer) Decode(out any) error {
	resp := &Response{Status: a.Status, ContentType: a.ContentType, URL: a.URL, Body: a.Body, Backend: a.Backend}
	if a.Text != "" {
		resp.Body = []byte(a.Text)
	}
	switch {
	case a.Status == 0:
		return &UnavailableError{Message: a.Error}
	case a.Status < 200 || a.Status > 299:
		return newStatusError("GET", resp)
	}
	return decodeAPIJSON(resp, out)
}

// EachBackend sends GET path?query to every ComfyUI server of the host at
// once and returns each server's answer, in the host's configuration
// order; a host with one server answers with one. It is how a tool such as
// get_queue shows every server under its name. The error is about the
// request as a whole; a server that failed has its own Error.
func (c *ComfyUI) EachBackend(path string, query map[string]string) ([]BackendAnswer, error) {
	var answers []BackendAnswer
	_, err := c.OnBackend("*").DoJSON(Request{Method: "GET", Path: path, Query: query}, &answers)
	return answers, err
}
