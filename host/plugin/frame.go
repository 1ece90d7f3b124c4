package plugin

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/easel-mcp/easel/host/internal/jsonenc"
	"github.com/easel-mcp/easel/sdk/jsonread"
)

// The comfyui_request frames are read and written without encoding/json:
// they cross the boundary twice on every ComfyUI request a plugin makes,
// and encoding/json's reflection and validity scan were most of the host
// function's own cost. Keys are matched exactly, as docs/abi.md specifies.

// unframeRequest splits a comfyui_request message into its header, read
// into h, and its body; a malformed message is an ABI violation.
func unframeRequest(msg []byte, h *requestHeader) []byte {
	head, body, ok := bytes.Cut(msg, []byte{'\n'})
	if !ok {
		violate("comfyui_request: message has no header line")
	}
	if err := h.read(head); err != nil {
		violate("comfyui_request: header is not JSON: %v", err)
	}
	return body
}

// read decodes a header line as encoding/json would into the struct, with
// keys matched exactly: unknown keys and null values are skipped, a value
// of another type is an error.
func (h *requestHeader) read(line []byte) error {
	r := jsonread.New(line)
	if r.Null() {
		return r.End() // nothing, as encoding/json reads it
	}
	if r.Kind() != jsonread.Object {
		return errors.New("the header is not a JSON object")
	}
	var err error
	str := func(key string, dst *string) {
		if r.Kind() != jsonread.String {
			err = fmt.Errorf("%s %.20s is not a string", key, r.Raw())
			return
		}
		*dst = r.String()
	}
	// item reads a string of a list or map, where a null is "", as
	// encoding/json makes it.
	item := func(key string) string {
		var v string
		if err == nil && !r.Null() {
			str(key, &v)
		}
		return v
	}
	r.ObjectBytes(func(key []byte) {
		if err != nil || r.Null() {
			return
		}
		switch string(key) {
		case "method":
			str("method", &h.Method)
		case "path":
			str("path", &h.Path)
		case "content_type":
			str("content_type", &h.ContentType)
		case "backend":
			str("backend", &h.Backend)
		case "job":
			str("job", &h.Job)
		case "select":
			str("select", &h.Select)
		case "omit":
			if r.Kind() != jsonread.Array {
				err = fmt.Errorf("omit %.20s is not an array", r.Raw())
				return
			}
			h.Omit = []string{}
			r.Array(func(int) { h.Omit = append(h.Omit, item("omit item")) })
		case "query":
			if r.Kind() != jsonread.Object {
				err = fmt.Errorf("query %.20s is not an object", r.Raw())
				return
			}
			if h.Query == nil {
				h.Query = map[string]string{}
			}
			r.Object(func(name string) { h.Query[name] = item("query " + strconv.Quote(name)) })
		}
	})
	if rerr := r.End(); rerr != nil {
		return rerr
	}
	return err
}

// frameResponse frames a comfyui_request answer: the header as
// json.Marshal writes it, '\n', the body.
func frameResponse(h responseHeader, body []byte) []byte {
	b := make([]byte, 0, 80+len(h.ContentType)+len(h.URL)+len(h.Backend)+len(h.Error)+len(body))
	b = strconv.AppendInt(append(b, `{"status":`...), int64(h.Status), 10)
	for _, m := range [...]struct{ key, value string }{
		{`,"content_type":`, h.ContentType}, {`,"url":`, h.URL}, {`,"backend":`, h.Backend},
	} {
		if m.value != "" {
			b = jsonenc.AppendString(append(b, m.key...), m.value)
		}
	}
	if h.Selected {
		b = append(b, `,"selected":true`...)
	}
	if h.Error != "" {
		b = jsonenc.AppendString(append(b, `,"error":`...), h.Error)
	}
	b = append(b, '}', '\n')
	return append(b, body...)
}
