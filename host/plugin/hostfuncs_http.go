package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/easel-mcp/easel/host/egress"
	"github.com/tetratelabs/wazero/api"
)

// httpRequestHeader is the header line of an http_request message.
type httpRequestHeader struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
}

// httpResponseHeader is the header line of an http_request answer. Status
// 0 means no response; Error says why, and Refused says that the grant,
// not the network, stopped it.
type httpResponseHeader struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	URL     string            `json:"url,omitempty"`
	Error   string            `json:"error,omitempty"`
	Refused bool              `json:"refused,omitempty"`
}

func (r *Runtime) hostHTTPRequest(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	msg := read(mod, "http_request", api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	answer := st.inst.plugin.httpRequest(ctx, st, msg)
	stack[0] = writeOrStash(mod, st.inst, "http_request", answer, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
}

// httpRequest performs one outbound request under the tool's
// permissions.http grant (package egress) and frames the answer. Refusals
// and network failures are answers with status 0, never traps.
func (p *Plugin) httpRequest(ctx context.Context, st *callState, msg []byte) []byte {
	var h httpRequestHeader
	body := unframe("http_request", msg, &h)
	fail := func(refused bool, format string, args ...any) []byte {
		return frame(httpResponseHeader{Error: fmt.Sprintf(format, args...), Refused: refused}, nil)
	}
	if st.describe {
		return fail(true, "outbound requests are not allowed while a plugin describes itself")
	}
	if h.Method == "" {
		h.Method = "GET"
	}
	if !validMethod(h.Method) {
		return fail(true, "request refused: %q is not an HTTP method easel forwards", h.Method)
	}
	req, err := http.NewRequest(h.Method, h.URL, bytes.NewReader(body))
	if err != nil {
		return fail(true, "request refused: %v", err)
	}
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	resp, err := p.egress.Do(ctx, req)
	if err != nil {
		var refused *egress.RefusedError
		if errors.As(err, &refused) {
			p.logger.Warn("plugin request refused", "url", req.URL.Redacted(), "err", err)
			return fail(true, "%v", err)
		}
		return fail(false, "%v", err)
	}
	headers := make(map[string]string, len(resp.Header))
	for k, v := range resp.Header {
		if len(v) > 0 {
			headers[k] = v[0]
		}
	}
	return frame(httpResponseHeader{Status: resp.Status, Headers: headers, URL: resp.URL}, resp.Body)
}
