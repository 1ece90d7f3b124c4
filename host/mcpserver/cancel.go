package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/easel-mcp/easel/sdk/jsonread"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Cancellation by the client (MCP basic/utilities/cancellation): a
// notifications/cancelled stops the request, and the request is then not
// answered at all ("receivers SHOULD NOT send a response for the cancelled
// request"); a client that forgot the id would log an answer to an unknown
// request. mcp-go stops the handler but still returns the handler's
// answer, so the transports drop it: each request has a reply (below) that
// the notification marks. A request ended by anything else (a timeout, the
// shutdown drain) is still answered.

// reply is what the transport needs to know about one request's answer
// beyond what mcp-go returns: whether the client cancelled the request,
// and an error to answer instead of mcp-go's internal error.
type reply struct {
	cancelled atomic.Bool
	mu        sync.Mutex
	override  *mcp.JSONRPCErrorDetails
	modern    bool // the request is of protocol 2026, whose HTTP status follows the error
}

type replyKey struct{}

// withReply gives ctx's request rep.
func withReply(ctx context.Context, rep *reply) context.Context {
	return context.WithValue(ctx, replyKey{}, rep)
}

// replyFrom is ctx's request's reply, nil when the transport keeps none.
func replyFrom(ctx context.Context) *reply {
	r, _ := ctx.Value(replyKey{}).(*reply)
	return r
}

// fail makes ctx's request answer with the JSON-RPC error code, message
// and data instead of the internal error (-32603) that mcp-go gives every
// error a handler returns. It reports false when the transport cannot.
func (r *reply) fail(ctx context.Context, code int, message string, data any) bool {
	if r == nil {
		return false
	}
	info := server.RequestProtocolInfoFromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.override = &mcp.JSONRPCErrorDetails{Code: code, Message: message, Data: data}
	r.modern = info != nil && info.Modern
	return true
}

// httpStatus is the HTTP status of an answer that mcp-go gave status,
// once rewritten: protocol 2026 answers a request error (invalid params)
// with 400, as mcp-go does for the errors it makes itself.
func (r *reply) httpStatus(status int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.override != nil && r.modern && r.override.Code == mcp.INVALID_PARAMS {
		return http.StatusBadRequest
	}
	return status
}

func (r *reply) errorOverride() *mcp.JSONRPCErrorDetails {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.override
}

// rewrite is msg with the error override applied, when msg is the
// internal error it replaces.
func (r *reply) rewrite(msg any) any {
	e, ok := msg.(mcp.JSONRPCError)
	if !ok || e.Error.Code != mcp.INTERNAL_ERROR {
		return msg
	}
	if o := r.errorOverride(); o != nil {
		e.Error = *o
		return e
	}
	return msg
}

// rewriteJSON is rewrite for an encoded response; body is returned as it
// is when nothing applies or it does not read.
func (r *reply) rewriteJSON(body []byte) []byte {
	o := r.errorOverride()
	if o == nil {
		return body
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m["error"] == nil {
		return body
	}
	var details struct{ Code int }
	if json.Unmarshal(m["error"], &details) != nil || details.Code != mcp.INTERNAL_ERROR {
		return body
	}
	var err error
	if m["error"], err = json.Marshal(o); err != nil {
		return body
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// replies are the requests of one client (stdio) or of all HTTP sessions
// being served, by key, so that a notifications/cancelled can reach them.
type replies struct {
	mu sync.Mutex
	m  map[string]*tracked
}

// tracked is one request in flight: its reply, and what stops it (nil
// when mcp-go stops it).
type tracked struct {
	rep    *reply
	cancel context.CancelFunc
}

// add tracks a request under key until remove; remove reports whether the
// client cancelled it meanwhile. A key already in flight (a client that
// reuses an id, which JSON-RPC forbids) is taken over by the newer
// request; the older one's remove leaves it be.
func (rs *replies) add(key string, rep *reply, cancel context.CancelFunc) (remove func() (cancelled bool)) {
	t := &tracked{rep: rep, cancel: cancel}
	rs.mu.Lock()
	if rs.m == nil {
		rs.m = map[string]*tracked{}
	}
	rs.m[key] = t
	rs.mu.Unlock()
	return func() bool {
		rs.mu.Lock()
		if rs.m[key] == t {
			delete(rs.m, key)
		}
		rs.mu.Unlock()
		return rep.cancelled.Load()
	}
}

// cancel marks the request under key cancelled by its client and stops
// it; false when no such request is in flight (it has been answered
// already, which a cancellation may cross).
func (rs *replies) cancel(key string) bool {
	rs.mu.Lock()
	t := rs.m[key]
	delete(rs.m, key)
	rs.mu.Unlock()
	if t == nil {
		return false
	}
	t.rep.cancelled.Store(true)
	if t.cancel != nil {
		t.cancel()
	}
	return true
}

// cancelledNotification is the id a notifications/cancelled names, as
// callKey spells it; ok is false for any other message.
func cancelledNotification(msg []byte) (key string, ok bool) {
	if !bytes.Contains(msg, []byte(mcp.MethodNotificationCancelled)) {
		return "", false // most messages, at the cost of a scan
	}
	var n struct {
		Method string `json:"method"`
		ID     any    `json:"id"`
		Params struct {
			RequestID any `json:"requestId"`
		} `json:"params"`
	}
	if json.Unmarshal(msg, &n) != nil || n.Method != string(mcp.MethodNotificationCancelled) || n.ID != nil || n.Params.RequestID == nil {
		return "", false
	}
	switch n.Params.RequestID.(type) {
	case string, float64:
		return callKey(n.Params.RequestID), true
	}
	return "", false
}

// requestKey is a request's raw JSON-RPC id as callKey spells it; ok is
// false for an id that is not a string or a number, which no
// notifications/cancelled can name.
func requestKey(raw json.RawMessage) (key string, ok bool) {
	r := jsonread.New(raw)
	if k := r.Kind(); k != jsonread.String && k != jsonread.Number {
		return "", false
	}
	id, ok := readID(r)
	if !ok {
		return "", false
	}
	return callKey(id), true
}
