package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/easel-mcp/easel/sdk/jsonread"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// A tools/call is most of what an agent sends, and most of what mcp-go's
// HandleMessage does with one is generic: it decodes the line four times
// (the envelope, the protocol era, the trace context, the request), opens
// a span and a log scope, and decodes the arguments into a map easel never
// reads. So over stdio a plain tools/call, the shape clients send, is
// served directly: read once, the registered tool's handler called with
// the same request and context, and answered with the response mcp-go
// would give, decorated as it decorates one for protocol 2026-07-28
// (TestDirectToolCallsAnswerAsMCPGoDoes compares the two byte for byte).
// Anything else (another method, a task-augmented call, _meta keys easel
// does not know, an unsupported protocol version, an unknown tool, an odd
// shape) goes through HandleMessage as before.
//
// mcp-go's hooks, tool middlewares and tracing do not run for a direct
// call: New registers none. Whoever adds one must route tools/call
// through HandleMessage again, or the hook silently misses most calls.

// toolCall is a plain tools/call request.
type toolCall struct {
	id   any // as mcp-go decodes it: a string or a float64
	name string
	args json.RawMessage // the arguments object; nil when absent
	meta *mcp.Meta       // nil when absent

	// modern is the protocol-2026 request's own protocol version, client
	// capabilities, client info and log level (SEP-2575); nil for a
	// request of the initialize era.
	modern *server.RequestProtocolInfo
}

// parseToolCall reads line as a plain tools/call: jsonrpc "2.0", a string
// or number id, and params with a name, an arguments object and a _meta
// (see readMeta), each optional but the name. ok is false for any other
// message. seen keeps the client's capabilities and info from one request
// to the next; nil reads them every time.
func parseToolCall(line []byte, seen *clientContext) (tc toolCall, ok bool) {
	var version, method string
	plain := true
	r := jsonread.New(line)
	r.ObjectBytes(func(key []byte) {
		switch {
		case !plain:
		case string(key) == "jsonrpc" && r.Kind() == jsonread.String:
			version = r.String()
		case string(key) == "method" && r.Kind() == jsonread.String:
			method = r.String()
		case string(key) == "id" && (r.Kind() == jsonread.String || r.Kind() == jsonread.Number):
			tc.id, plain = readID(r)
		case string(key) == "params" && r.Kind() == jsonread.Object:
			plain = readToolCallParams(r, &tc, seen)
		default:
			plain = false
		}
	})
	ok = r.End() == nil && plain && version == mcp.JSONRPC_VERSION && method == string(mcp.MethodToolsCall) &&
		tc.id != nil && tc.name != ""
	return tc, ok
}

// readID reads a request id as encoding/json decodes it into an any: a
// string, or a number as a float64 (false when out of its range).
func readID(r *jsonread.Reader) (any, bool) {
	if r.Kind() == jsonread.String {
		id := r.String()
		return id, r.Err() == nil
	}
	id, err := strconv.ParseFloat(string(r.NumberBytes()), 64)
	return id, err == nil && r.Err() == nil
}

// readToolCallParams reads a tools/call's params; false for a member a
// plain call does not have.
func readToolCallParams(r *jsonread.Reader, tc *toolCall, seen *clientContext) bool {
	plain := true
	r.ObjectBytes(func(key []byte) {
		switch {
		case !plain:
		case string(key) == "name" && r.Kind() == jsonread.String:
			tc.name = r.String()
		case string(key) == "arguments" && r.Kind() == jsonread.Object:
			tc.args = slices.Clone(r.Raw())
		case string(key) == "_meta" && r.Kind() == jsonread.Object:
			tc.meta, tc.modern, plain = readMeta(r, seen)
		default:
			plain = false
		}
	})
	return plain
}

// readMeta reads a tools/call's _meta: a progress token, and protocol
// 2026's request context (version, client capabilities, client info, log
// level), read as mcp-go reads them. plain is false for any other key or
// type, and for a context mcp-go would refuse (it answers those). The
// Meta given to the handler carries the progress token only: easel's
// handler reads nothing else of it, and building mcp-go's map of every
// member cost two thirds of reading the whole request.
func readMeta(r *jsonread.Reader, seen *clientContext) (meta *mcp.Meta, modern *server.RequestProtocolInfo, plain bool) {
	meta, plain = &mcp.Meta{}, true
	info := &server.RequestProtocolInfo{}
	hasContext := false
	r.ObjectBytes(func(key []byte) {
		if !plain {
			return
		}
		switch k := r.Kind(); {
		case string(key) == "progressToken" && (k == jsonread.String || k == jsonread.Number):
			plain = json.Unmarshal(r.Raw(), &meta.ProgressToken) == nil
		case string(key) == mcp.MetaKeyProtocolVersion && k == jsonread.String:
			info.ProtocolVersion, hasContext = r.String(), true
		case string(key) == mcp.MetaKeyLogLevel && k == jsonread.String:
			info.LogLevel, hasContext = mcp.LoggingLevel(r.String()), true
		case string(key) == mcp.MetaKeyClientCapabilities && k == jsonread.Object:
			info.ClientCapabilities, plain = seen.capabilities(r.Raw())
			hasContext = true
		case string(key) == mcp.MetaKeyClientInfo && k == jsonread.Object:
			info.ClientInfo, plain = seen.implementation(r.Raw())
			hasContext = true
		default:
			plain = false
		}
	})
	switch {
	case !plain:
		return nil, nil, false
	case !hasContext:
		return meta, nil, true
	case !mcp.IsModernProtocol(info.ProtocolVersion) || !mcp.IsValidProtocolVersion(info.ProtocolVersion) || info.ClientCapabilities == nil:
		return nil, nil, false // another era's _meta, or one mcp-go refuses
	}
	info.Modern = true
	return meta, info, true
}

// clientContext keeps what a protocol-2026 client last sent as its
// capabilities and its info, as read. A client sends the same bytes with
// every request, and reading them with encoding/json was more than half
// of reading a tools/call. The values are shared by the requests that
// sent the same bytes, so nothing may change them; mcp-go and easel only
// read them. A nil *clientContext keeps nothing. Safe for concurrent use.
type clientContext struct {
	caps atomic.Pointer[readAs[mcp.ClientCapabilities]]
	info atomic.Pointer[readAs[mcp.Implementation]]
}

// readAs is a JSON value and what it reads as.
type readAs[T any] struct {
	raw   []byte
	value *T
}

func (c *clientContext) capabilities(raw []byte) (*mcp.ClientCapabilities, bool) {
	if c == nil {
		return unmarshalNew[mcp.ClientCapabilities](raw)
	}
	return readOnce(&c.caps, raw)
}

func (c *clientContext) implementation(raw []byte) (*mcp.Implementation, bool) {
	if c == nil {
		return unmarshalNew[mcp.Implementation](raw)
	}
	return readOnce(&c.info, raw)
}

// readOnce reads raw as a T, or returns what last is when it holds the
// same bytes.
func readOnce[T any](last *atomic.Pointer[readAs[T]], raw []byte) (*T, bool) {
	if l := last.Load(); l != nil && bytes.Equal(l.raw, raw) {
		return l.value, true
	}
	v, ok := unmarshalNew[T](raw)
	if ok {
		last.Store(&readAs[T]{raw: bytes.Clone(raw), value: v})
	}
	return v, ok
}

func unmarshalNew[T any](raw []byte) (*T, bool) {
	v := new(T)
	return v, json.Unmarshal(raw, v) == nil
}

// serveToolCall runs tc on its tool's handler, the one mcp-go would call,
// with the context mcp-go would give it: the request's protocol era, the
// session it synthesises for protocol 2026. ctx is the request's own, which
// notifications/cancelled ends (stdio.go). ok is false, and nothing has run, when the
// tool is not one to serve directly.
func (s *Server) serveToolCall(ctx context.Context, tc toolCall) (resp mcp.JSONRPCMessage, ok bool) {
	tool := s.mcp.GetTool(tc.name)
	if tool == nil || tool.Tool.Execution != nil {
		return nil, false // mcp-go says why, or runs it as a task
	}
	info := tc.modern
	if info == nil {
		info = &server.RequestProtocolInfo{}
	} else if session := server.ClientSessionFromContext(ctx); session != nil {
		// What mcp-go synthesises for a request without a handshake.
		if withInfo, ok := session.(server.SessionWithClientInfo); ok {
			if info.ClientInfo != nil {
				withInfo.SetClientInfo(*info.ClientInfo)
			}
			withInfo.SetClientCapabilities(*info.ClientCapabilities)
		}
		if !session.Initialized() {
			session.Initialize()
		}
	}
	ctx = server.WithRequestProtocolInfo(ctx, info)
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
	if info.Modern {
		// Protocol 2026 wants every result typed and signed (mcp-go's
		// decorateResponse).
		if res.GetResultType() == "" {
			res.SetResultType(mcp.ResultTypeComplete)
		}
		if meta := res.EnsureResultMeta(); meta != nil && meta.ServerInfo() == nil {
			meta.SetServerInfo(s.implementation)
		}
	}
	return mcp.NewJSONRPCResultResponse(id, res), true
}

// callKey tells a request id apart: 1 and 1.0 are one id, "1" another.
// Ids arrive as encoding/json decodes them into an any: a string or a
// float64.
func callKey(id any) string {
	switch v := id.(type) {
	case string:
		return "s" + v
	case float64:
		return "n" + strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprintf("n%v", id)
}
