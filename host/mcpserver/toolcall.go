package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/easel-mcp/easel/sdk/jsonread"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// A tools/call is most of what an agent sends, and most of what mcp-go's
// HandleMessage does with one is generic: it decodes the line four times
// (the envelope, the protocol era, the trace context, the request), opens
// a span and a log scope, and decodes the arguments into a map easel never
// reads. Over stdio that was about a tenth of easel's CPU per
// get_job_status call. So a plain tools/call, the shape every client sends,
// is served directly: read once, the registered tool's handler called with
// the same request, and answered with the same response mcp-go would give
// (TestDirectToolCallsAnswerAsMCPGoDoes compares the two). Anything else
// (another method, a task-augmented call, protocol-2026 _meta, an unknown
// tool, an odd shape) goes through HandleMessage as before.

// toolCall is a plain tools/call request.
type toolCall struct {
	id   any // as mcp-go decodes it: a string or a float64
	name string
	args json.RawMessage // the arguments object; nil when absent
	meta *mcp.Meta       // only a progressToken; nil when absent
}

// parseToolCall reads line as a plain tools/call: jsonrpc "2.0", a string
// or number id, and params with a name, an arguments object and a _meta
// with nothing but a progressToken, each optional but the name. ok is
// false for any other message.
func parseToolCall(line []byte) (tc toolCall, ok bool) {
	var version, method string
	plain := true
	r := jsonread.New(line)
	r.Object(func(key string) {
		switch {
		case !plain:
		case key == "jsonrpc" && r.Kind() == jsonread.String:
			version = r.String()
		case key == "method" && r.Kind() == jsonread.String:
			method = r.String()
		case key == "id" && (r.Kind() == jsonread.String || r.Kind() == jsonread.Number):
			plain = json.Unmarshal(r.Raw(), &tc.id) == nil
		case key == "params" && r.Kind() == jsonread.Object:
			plain = readToolCallParams(r, &tc)
		default:
			plain = false
		}
	})
	ok = r.End() == nil && plain && version == mcp.JSONRPC_VERSION && method == string(mcp.MethodToolsCall) &&
		tc.id != nil && tc.name != ""
	return tc, ok
}

// readToolCallParams reads a tools/call's params; false for a member a
// plain call does not have.
func readToolCallParams(r *jsonread.Reader, tc *toolCall) bool {
	plain := true
	r.Object(func(key string) {
		switch {
		case !plain:
		case key == "name" && r.Kind() == jsonread.String:
			tc.name = r.String()
		case key == "arguments" && r.Kind() == jsonread.Object:
			tc.args = slices.Clone(r.Raw())
		case key == "_meta" && r.Kind() == jsonread.Object:
			tc.meta, plain = readProgressMeta(r)
		default:
			plain = false
		}
	})
	return plain
}

// readProgressMeta reads a _meta that holds a progressToken (a string or
// a number) and nothing else.
func readProgressMeta(r *jsonread.Reader) (*mcp.Meta, bool) {
	meta, plain := &mcp.Meta{}, true
	r.Object(func(key string) {
		switch {
		case !plain:
		case key == "progressToken" && (r.Kind() == jsonread.String || r.Kind() == jsonread.Number):
			plain = json.Unmarshal(r.Raw(), &meta.ProgressToken) == nil
		default:
			plain = false
		}
	})
	if meta.ProgressToken == nil {
		return nil, plain
	}
	return meta, plain
}

// serveToolCall runs tc on its tool's handler, the one mcp-go would call,
// with the context mcp-go would give it (a legacy-era request that
// notifications/cancelled can end). ok is false, and nothing has run,
// when the tool is not one to serve directly.
func (s *Server) serveToolCall(ctx context.Context, calls *directCalls, tc toolCall) (resp mcp.JSONRPCMessage, ok bool) {
	tool := s.mcp.GetTool(tc.name)
	if tool == nil || tool.Tool.Execution != nil {
		return nil, false // mcp-go says why, or runs it as a task
	}
	ctx, done := calls.begin(ctx, tc.id)
	defer done()
	ctx = server.WithRequestProtocolInfo(ctx, &server.RequestProtocolInfo{})
	req := mcp.CallToolRequest{Request: mcp.Request{Method: string(mcp.MethodToolsCall)}}
	req.Params.Name, req.Params.RawArguments, req.Params.Meta = tc.name, tc.args, tc.meta
	res, err := tool.Handler(ctx, req)
	id := mcp.NewRequestId(tc.id)
	switch {
	case err != nil:
		return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: id, Error: mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, err.Error(), nil)}, true
	case res == nil:
		return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: id, Error: mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, fmt.Sprintf("tool %q returned no result", tc.name), nil)}, true
	}
	return mcp.NewJSONRPCResultResponse(id, res), true
}

// directCalls are the tool calls of one stdio client being served
// directly, so that its notifications/cancelled reach them: mcp-go's own
// table of requests in flight only knows those HandleMessage serves.
type directCalls struct {
	mu     sync.Mutex
	cancel map[string]context.CancelFunc // by callKey
}

// callKey tells a request id apart: 1 and 1.0 are one id, "1" another.
func callKey(id any) string {
	if s, ok := id.(string); ok {
		return "s" + s
	}
	return fmt.Sprintf("n%v", id)
}

// begin gives a call its cancellable context; done forgets it.
func (d *directCalls) begin(ctx context.Context, id any) (_ context.Context, done func()) {
	ctx, cancel := context.WithCancel(ctx)
	key := callKey(id)
	d.mu.Lock()
	if d.cancel == nil {
		d.cancel = map[string]context.CancelFunc{}
	}
	d.cancel[key] = cancel
	d.mu.Unlock()
	return ctx, func() {
		d.mu.Lock()
		delete(d.cancel, key)
		d.mu.Unlock()
		cancel()
	}
}

// cancelled ends the call that a notifications/cancelled line names, if
// it is one of these; the notification still goes to mcp-go for the rest.
func (d *directCalls) cancelled(line []byte) {
	var n struct {
		Method string `json:"method"`
		Params struct {
			RequestID any `json:"requestId"`
		} `json:"params"`
	}
	if json.Unmarshal(line, &n) != nil || n.Method != string(mcp.MethodNotificationCancelled) || n.Params.RequestID == nil {
		return
	}
	key := callKey(n.Params.RequestID)
	d.mu.Lock()
	cancel := d.cancel[key]
	delete(d.cancel, key)
	d.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
