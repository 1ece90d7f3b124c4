package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// pluginClient is the MCP client of one request, as plugins reach it through the
// client_* host functions (plugin.Client).
type pluginClient struct{ s *Server }

// withClient puts the request's client in ctx for the plugin it runs.
func (s *Server) withClient(ctx context.Context) context.Context {
	return plugin.WithClient(ctx, pluginClient{s})
}

// Log sends notifications/message if the client's level lets it through.
func (c pluginClient) Log(ctx context.Context, m plugin.LogMessage) bool {
	if !c.s.logEnabled(ctx, mcp.LoggingLevel(m.Level)) {
		return false
	}
	params := map[string]any{"level": m.Level, "data": m.Data}
	if m.Logger != "" {
		params["logger"] = m.Logger
	}
	return c.s.notify(ctx, "notifications/message", params)
}

// logEnabled reports whether the client asked for messages of level: per
// request for protocol 2026-07-28, else the session's logging/setLevel.
func (s *Server) logEnabled(ctx context.Context, level mcp.LoggingLevel) bool {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.LogLevel != "" && level.ShouldSendTo(info.LogLevel)
	}
	session, ok := server.ClientSessionFromContext(ctx).(server.SessionWithLogging)
	return ok && level.ShouldSendTo(session.GetLogLevel())
}

// notify sends a notification to the client of ctx's request: through the
// request's outlet (its HTTP stream, or stdout; see stream.go), else
// through mcp-go's session (an in-process client).
func (s *Server) notify(ctx context.Context, method string, params map[string]any) bool {
	if st := streamFrom(ctx); st != nil {
		msg, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
		if err == nil && st.send(msg) {
			return true
		}
	}
	if err := s.mcp.SendNotificationToClient(ctx, method, params); err != nil {
		s.logger.Debug("notification not sent", "method", method, "err", err)
		return false
	}
	return true
}

// CreateMessage runs sampling/createMessage for a plugin.
func (c pluginClient) CreateMessage(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
	if st := streamFrom(ctx); st != nil {
		return c.s.pending.ask(ctx, st, string(mcp.MethodSamplingCreateMessage), params)
	}
	var req mcp.CreateMessageRequest
	if err := json.Unmarshal(params, &req.Params); err != nil {
		return nil, fmt.Errorf("sampling request: %w", err)
	}
	res, err := c.s.mcp.RequestSampling(ctx, req)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// Elicit runs elicitation/create for a plugin.
func (c pluginClient) Elicit(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
	if st := streamFrom(ctx); st != nil {
		return c.s.pending.ask(ctx, st, string(mcp.MethodElicitationCreate), params)
	}
	var req mcp.ElicitationRequest
	if err := json.Unmarshal(params, &req.Params); err != nil {
		return nil, fmt.Errorf("elicitation request: %w", err)
	}
	res, err := c.s.mcp.RequestElicitation(ctx, req)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}
