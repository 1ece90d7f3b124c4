package plugin

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// This file holds the host functions through which a plugin reaches the MCP
// client of the current request: log messages (notifications/message),
// sampling (sampling/createMessage) and elicitation (elicitation/create).
// Progress has its own older function in hostfuncs.go.

// Capability is a feature of the MCP client a plugin may use through a host
// function. Each use is checked at exactly one place, Plugin.permit.
type Capability string

// The capabilities the client_* host functions need.
const (
	CapabilityLogging     Capability = "logging"
	CapabilitySampling    Capability = "sampling"
	CapabilityElicitation Capability = "elicitation"
)

// permit is the one check point of every capability use, against the
// tool's grants (tools.yaml: permissions). Log messages need no grant:
// like progress they only report on the call, and the client filters them
// by level; sampling and elicitation reach the user's model and the user.
func (p *Plugin) permit(c Capability) error {
	var granted bool
	switch c {
	case CapabilityLogging:
		return nil
	case CapabilitySampling:
		granted = p.perms != nil && p.perms.Sampling
	case CapabilityElicitation:
		granted = p.perms != nil && p.perms.Elicitation
	}
	if !granted {
		return fmt.Errorf("%s is not granted to tool %s (tools.yaml: permissions.%s: true)", c, p.name, c)
	}
	return nil
}

// Client is the MCP client a request came from, as far as plugins may reach
// it. The MCP server implements it per request and puts it in the request's
// context with WithClient; a call without one (a test, a describe) gets "no
// client" answers.
type Client interface {
	// Log sends notifications/message when msg.Level is at or above the
	// level the client asked for with logging/setLevel, and reports
	// whether it did.
	Log(ctx context.Context, msg LogMessage) bool
	// CreateMessage sends sampling/createMessage with params and returns
	// the client's CreateMessageResult.
	CreateMessage(ctx context.Context, params json.RawMessage) (json.RawMessage, error)
	// Elicit sends elicitation/create with params and returns the client's
	// ElicitResult.
	Elicit(ctx context.Context, params json.RawMessage) (json.RawMessage, error)
}

// LogMessage is the client_log message: MCP's notifications/message params.
type LogMessage struct {
	Level  string          `json:"level"`
	Logger string          `json:"logger,omitempty"`
	Data   json.RawMessage `json:"data"`
}

// LogLevels are MCP's log levels (RFC 5424 severities), least severe first.
var LogLevels = []string{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

// LogLevelRank is the position of level in LogLevels, or -1.
func LogLevelRank(level string) int {
	for i, l := range LogLevels {
		if l == level {
			return i
		}
	}
	return -1
}

type clientKey struct{}

// WithClient returns a context whose plugin calls reach c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client WithClient put in ctx, or nil.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// Bounds of client messages: a log record or a request to the client is
// small; a plugin that sends megabytes is broken.
const (
	maxClientLogBytes     = 64 << 10
	maxClientRequestBytes = 4 << 20
)

func exportClientFuncs(fn func(string, api.GoModuleFunc, []api.ValueType, []api.ValueType)) {
	fn("client_log", hostClientLog, []api.ValueType{i32, i32}, []api.ValueType{i32})
	fn("client_sample", hostClientSample, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	fn("client_elicit", hostClientElicit, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
}

// hostClientLog answers client_log: 1 when the message went to the client,
// 0 when it did not (below the client's level, no client, not permitted).
func hostClientLog(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	n := api.DecodeU32(stack[1])
	if n > maxClientLogBytes {
		violate("client_log: message of %d bytes is over the %d-byte limit", n, maxClientLogBytes)
	}
	msg := read(mod, "client_log", api.DecodeU32(stack[0]), n)
	var m LogMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		violate("client_log: message is not JSON: %v", err)
	}
	if LogLevelRank(m.Level) < 0 {
		violate("client_log: level %q is not one of %v", m.Level, LogLevels)
	}
	if len(m.Data) == 0 {
		m.Data = json.RawMessage("null")
	}
	stack[0] = 0
	c := ClientFrom(ctx)
	if st.describe || c == nil || st.inst.plugin.permit(CapabilityLogging) != nil {
		return
	}
	if c.Log(ctx, m) {
		stack[0] = 1
	}
}

func hostClientSample(ctx context.Context, mod api.Module, stack []uint64) {
	clientRequest(ctx, mod, stack, "client_sample", CapabilitySampling, Client.CreateMessage)
}

func hostClientElicit(ctx context.Context, mod api.Module, stack []uint64) {
	clientRequest(ctx, mod, stack, "client_elicit", CapabilityElicitation, Client.Elicit)
}

// clientRequest runs a request to the client for the guest: the request is
// JSON params, the answer (write or stash) {"result": ...} or {"error":
// "..."}. It blocks the plugin until the client answers or ctx ends.
func clientRequest(ctx context.Context, mod api.Module, stack []uint64, fn string, capability Capability,
	send func(Client, context.Context, json.RawMessage) (json.RawMessage, error)) {
	st := stateFrom(ctx)
	n := api.DecodeU32(stack[1])
	if n > maxClientRequestBytes {
		violate("%s: request of %d bytes is over the %d-byte limit", fn, n, maxClientRequestBytes)
	}
	params := read(mod, fn, api.DecodeU32(stack[0]), n)
	if !json.Valid(params) {
		violate("%s: request is not JSON", fn)
	}
	answer := st.inst.plugin.askClient(ctx, st, capability, params, send)
	stack[0] = writeOrStash(mod, st.inst, fn, answer, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
}

func (p *Plugin) askClient(ctx context.Context, st *callState, capability Capability, params json.RawMessage,
	send func(Client, context.Context, json.RawMessage) (json.RawMessage, error)) []byte {
	fail := func(format string, args ...any) []byte {
		b, _ := json.Marshal(map[string]string{"error": fmt.Sprintf(format, args...)})
		return b
	}
	c := ClientFrom(ctx)
	switch {
	case st.describe:
		return fail("%s is not available while a plugin describes itself", capability)
	case c == nil:
		return fail("%s is not available: this call has no MCP client", capability)
	}
	if err := p.permit(capability); err != nil {
		p.logger.Warn("plugin used a capability it was not granted", "capability", capability, "err", err)
		return fail("%v", err)
	}
	result, err := send(c, ctx, params)
	if err != nil {
		return fail("%s failed: %v", capability, err)
	}
	b, err := json.Marshal(map[string]json.RawMessage{"result": result})
	if err != nil {
		return fail("%s: the client's answer is not JSON: %v", capability, err)
	}
	return b
}
