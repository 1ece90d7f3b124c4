package sdk

import (
	"fmt"
)

// HTTPRequest is one request to a service outside ComfyUI, such as a
// tagger or a translation API. The host sends it only if the tool's
// tools.yaml entry grants the URL's host and port (permissions.http), and
// only to public addresses unless the grant says private.
type HTTPRequest struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// URL is absolute, http or https, without credentials.
	URL string
	// Headers are sent as given (one value each). The host adds none of
	// its own: ComfyUI's credentials never leave for other hosts.
	Headers map[string]string
	Body    []byte
}

// HTTPResponse is the answer to an HTTPRequest, read in full by the host
// up to its size cap.
type HTTPResponse struct {
	Status int
	// Headers hold the first value of each response header, by canonical
	// name ("Content-Type").
	Headers map[string]string
	// URL is the final URL, after redirects.
	URL  string
	Body []byte
}

// RefusedError is a request the host refused because the tool's grant does
// not cover it. The message names the tools.yaml key that would.
type RefusedError struct{ Message string }

func (e *RefusedError) Error() string { return e.Message }

// httpRequestHeader and httpResponseHeader are the header lines of the
// http_request host function's framed messages (docs/abi.md).
type httpRequestHeader struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
}

type httpResponseHeader struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	URL     string            `json:"url,omitempty"`
	Error   string            `json:"error,omitempty"`
	Refused bool              `json:"refused,omitempty"`
}

// HTTP sends a request outside ComfyUI through the host and returns the
// response whatever its status. Errors are *RefusedError when the grant
// does not allow the request, *UnavailableError when no response came
// (unreachable, timed out, too large), or a plain error when the request
// cannot be encoded.
func (c *Call) HTTP(req HTTPRequest) (*HTTPResponse, error) {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	msg, err := encodeFrame(httpRequestHeader{Method: method, URL: req.URL, Headers: req.Headers}, req.Body)
	if err != nil {
		return nil, fmt.Errorf("sdk: encode request %s %s: %v", method, req.URL, err)
	}
	var h httpResponseHeader
	body, err := decodeFrame(c.inst.host.httpRequest(msg), &h)
	if err != nil {
		return nil, fmt.Errorf("sdk: the host's answer to %s %s is malformed: %v", method, req.URL, err)
	}
	switch {
	case h.Status != 0:
		return &HTTPResponse{Status: h.Status, Headers: h.Headers, URL: h.URL, Body: body}, nil
	case h.Refused:
		return nil, &RefusedError{Message: h.Error}
	case h.Error == "":
		h.Error = fmt.Sprintf("request %s %s failed and the host gave no reason", method, req.URL)
	}
	return nil, &UnavailableError{Message: h.Error}
}
