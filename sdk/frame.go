package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
}

// responseHeader is the header of a comfyui_request response. Status 0
// means there was no response, and Error says why.
type responseHeader struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	URL         string `json:"url,omitempty"`
	Backend     string `json:"backend,omitempty"`
	Error       string `json:"error,omitempty"`
}

// encodeFrame builds a framed message from a header value and a body.
func encodeFrame(header any, body []byte) ([]byte, error) {
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
	if err := json.Unmarshal(msg[:i], header); err != nil {
		return nil, fmt.Errorf("framed message header: %v", err)
	}
	return msg[i+1:], nil
}
