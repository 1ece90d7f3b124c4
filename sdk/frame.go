package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

// A framed message is how the ABI carries JSON plus raw bytes (HTTP
// bodies) without base64: one line of compact JSON, '\n', then the raw
// bytes. The header cannot contain a raw newline, because JSON escapes
// newlines inside strings and compact JSON has none between tokens.

// requestHeader is the header of a comfyui_request request.
type requestHeader struct {
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Query       map[string]string `json:"query,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Backend     string            `json:"backend,omitempty"`
	Job         string            `json:"job,omitempty"`
	Select      string            `json:"select,omitempty"`
	Omit        []string          `json:"omit,omitempty"`
}

// responseHeader is the header of a comfyui_request response. Status 0
// means there was no response, and Error says why.
type responseHeader struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	URL         string `json:"url,omitempty"`
	Backend     string `json:"backend,omitempty"`
	Selected    bool   `json:"selected,omitempty"`
	Error       string `json:"error,omitempty"`
}

// appendJSON writes the header as compact JSON without reflection: it is
// sent on every ComfyUI request, and encoding/json costs several times
// more in WebAssembly. The keys and omissions are those of the struct tags.
func (h *requestHeader) appendJSON(b []byte) []byte {
	b = append(b, `{"method":`...)
	b = appendJSONString(b, h.Method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, h.Path)
	if len(h.Query) > 0 {
		b = append(b, `,"query":{`...)
		for i, k := range slices.Sorted(maps.Keys(h.Query)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, h.Query[k])
		}
		b = append(b, '}')
	}
	for _, f := range [...]struct{ key, value string }{
		{`,"content_type":`, h.ContentType}, {`,"backend":`, h.Backend}, {`,"job":`, h.Job}, {`,"select":`, h.Select},
	} {
		if f.value != "" {
			b = append(b, f.key...)
			b = appendJSONString(b, f.value)
		}
	}
	if len(h.Omit) > 0 {
		b = append(b, `,"omit":[`...)
		for i, p := range h.Omit {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, p)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// UnmarshalJSON reads the header in one pass without reflection, for the
// same reason as requestHeader.appendJSON. Members of the wrong type are
// an error, as with encoding/json.
func (h *responseHeader) UnmarshalJSON(data []byte) error {
	r := jsonread.New(data)
	if r.Kind() != jsonread.Object {
		return errors.New("the header is not a JSON object")
	}
	*h = responseHeader{}
	var err error
	r.ObjectBytes(func(key []byte) {
		if err != nil || r.Null() {
			return
		}
		switch string(key) {
		case "status":
			if r.Kind() != jsonread.Number {
				err = fmt.Errorf("status %s is not an integer", r.Raw())
				return
			}
			n := r.NumberBytes()
			status, ok := smallInt(n)
			if !ok {
				err = fmt.Errorf("status %s is not an integer", n)
			}
			h.Status = status
		case "content_type":
			if r.Kind() == jsonread.String {
				// Nearly every answer's: no copy.
				if b := r.StringBytes(); string(b) == "application/json" {
					h.ContentType = "application/json"
				} else {
					h.ContentType = string(b)
				}
				return
			}
			err = stringMember(r, "content_type", &h.ContentType)
		case "url":
			err = stringMember(r, "url", &h.URL)
		case "backend":
			err = stringMember(r, "backend", &h.Backend)
		case "selected":
			if r.Kind() != jsonread.Bool {
				err = fmt.Errorf("selected %s is not a boolean", r.Raw())
				return
			}
			h.Selected = r.Bool()
		case "error":
			err = stringMember(r, "error", &h.Error)
		}
	})
	if rerr := r.End(); rerr != nil {
		return rerr
	}
	return err
}

// stringMember sets *dst to a JSON string, refusing other types.
func stringMember(r *jsonread.Reader, key string, dst *string) error {
	if r.Kind() != jsonread.String {
		return fmt.Errorf("%s %s is not a string", key, r.Raw())
	}
	*dst = r.String()
	return nil
}

// encodeRequest frames a ComfyUI request: one allocation, the message.
func encodeRequest(h *requestHeader, body []byte) []byte {
	msg := h.appendJSON(make([]byte, 0, 128+len(h.Path)+len(body)))
	msg = append(msg, '\n')
	return append(msg, body...)
}

// decodeResponse reads a framed ComfyUI answer into h, without the
// interface conversion that would move h to the heap.
func decodeResponse(msg []byte, h *responseHeader) (body []byte, err error) {
	i := bytes.IndexByte(msg, '\n')
	if i < 0 {
		return nil, errors.New("framed message has no header line")
	}
	if err := h.UnmarshalJSON(msg[:i]); err != nil {
		return nil, fmt.Errorf("framed message header: %v", err)
	}
	return msg[i+1:], nil
}

// encodeFrame builds a framed message from a header value and a body.
func encodeFrame(header any, body []byte) ([]byte, error) {
	if rh, ok := header.(requestHeader); ok {
		return encodeRequest(&rh, body), nil
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, 0, len(h)+1+len(body))
	msg = append(msg, h...)
	msg = append(msg, '\n')
	return append(msg, body...), nil
}

// decodeFrame splits a framed message and decodes its header into header.
// The body aliases msg.
func decodeFrame(msg []byte, header any) (body []byte, err error) {
	i := bytes.IndexByte(msg, '\n')
	if i < 0 {
		return nil, errors.New("framed message has no header line")
	}
	if err := unmarshalHeader(msg[:i], header); err != nil {
		return nil, fmt.Errorf("framed message header: %v", err)
	}
	return msg[i+1:], nil
}

// unmarshalHeader decodes a header line, without encoding/json's scan
// when the header type reads itself.
func unmarshalHeader(line []byte, header any) error {
	u, ok := header.(json.Unmarshaler)
	if !ok {
		return json.Unmarshal(line, header)
	}
	return u.UnmarshalJSON(line)
}

// smallInt parses the digits of a non-negative integer below 10⁹ (an HTTP
// status, or 0 for none) without making a string of them.
func smallInt(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
