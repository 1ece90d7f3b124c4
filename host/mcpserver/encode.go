package mcpserver

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/easel-mcp/easel/host/internal/jsonenc"
	"github.com/mark3labs/mcp-go/mcp"
)

// encodeMessage is json.Marshal(msg), byte for byte, with a short way for
// the answer to a tools/call. mcp-go's CallToolResult.MarshalJSON builds a
// map of the result's members, which encoding/json then sorts, encodes
// through interfaces and, since it came from a MarshalJSON, scans again to
// compact it: about 4% of easel's CPU per get_job_status call.
// TestEncodeMessageIsJSONMarshal and FuzzEncodeMessage hold the two equal.
func encodeMessage(msg any) ([]byte, error) {
	if resp, ok := msg.(mcp.JSONRPCResponse); ok {
		if res, ok := resp.Result.(*mcp.CallToolResult); ok && res != nil {
			if b, ok, err := appendToolResponse(make([]byte, 0, 256+2*len(res.RawStructuredContent)), resp, res); ok || err != nil {
				return b, err
			}
		}
	}
	return json.Marshal(msg)
}

// appendToolResponse appends a tools/call response whose result holds
// only plain text items, and reports false, having appended nothing of
// use, for any other.
func appendToolResponse(b []byte, resp mcp.JSONRPCResponse, res *mcp.CallToolResult) ([]byte, bool, error) {
	if len(res.InputRequests) > 0 || res.RequestState != "" || (res.StructuredContent != nil && len(res.RawStructuredContent) == 0) {
		return nil, false, nil
	}
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); !ok || t.Annotations != nil || t.Meta != nil {
			return nil, false, nil
		}
	}
	// The members in the order encoding/json sorts the keys of
	// MarshalJSON's map: _meta, content, isError, resultType,
	// structuredContent.
	var err error
	b = append(b, `{"jsonrpc":`...)
	b = jsonenc.AppendString(b, resp.JSONRPC)
	b = append(b, `,"id":`...)
	if err == nil {
		b, err = appendID(b, resp.ID)
	}
	b = append(b, `,"result":{`...)
	if res.Meta != nil && err == nil {
		b = append(b, `"_meta":`...)
		b, err = appendMeta(b, res.Meta)
		b = append(b, ',')
	}
	b = append(b, `"content":[`...)
	for i, c := range res.Content {
		if i > 0 {
			b = append(b, ',')
		}
		t := c.(mcp.TextContent)
		b = append(b, `{"type":`...)
		b = jsonenc.AppendString(b, t.Type)
		b = append(b, `,"text":`...)
		b = jsonenc.AppendString(b, t.Text)
		b = append(b, '}')
	}
	b = append(b, ']')
	if res.IsError {
		b = append(b, `,"isError":true`...)
	}
	if res.ResultType != "" {
		b = append(b, `,"resultType":`...)
		b = jsonenc.AppendString(b, string(res.ResultType))
	}
	if len(res.RawStructuredContent) > 0 && err == nil {
		b = append(b, `,"structuredContent":`...)
		b, err = jsonenc.AppendRaw(b, res.RawStructuredContent)
	}
	if err != nil {
		return nil, false, err
	}
	return append(b, '}', '}'), true, nil
}

// appendID appends json.Marshal(id): a string or a number as
// encoding/json writes them, anything else through it.
func appendID(b []byte, id mcp.RequestId) ([]byte, error) {
	switch v := id.Value().(type) {
	case string:
		return jsonenc.AppendString(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		// encoding/json's own format in this range; it writes larger and
		// smaller magnitudes with an exponent, and refuses NaN and ±Inf.
		if abs := math.Abs(v); v == 0 || abs >= 1e-6 && abs < 1e21 {
			return strconv.AppendFloat(b, v, 'f', -1, 64), nil
		}
	}
	return appendJSON(b, id)
}

// appendMeta appends json.Marshal(m). The _meta of a protocol-2026 result
// is the server's name and version alone (mcp-go's decorateResponse), and
// is written here without the map that Meta.MarshalJSON builds, sorts and
// encodes through interfaces; any other goes through it.
func appendMeta(b []byte, m *mcp.Meta) ([]byte, error) {
	if m.ProgressToken != nil || len(m.AdditionalFields) != 1 {
		return appendJSON(b, m)
	}
	for key, v := range m.AdditionalFields {
		impl, ok := v.(mcp.Implementation)
		if !ok || len(impl.Icons) > 0 {
			return appendJSON(b, m)
		}
		b = append(b, '{')
		b = jsonenc.AppendString(b, key)
		b = append(b, `:{"name":`...)
		b = jsonenc.AppendString(b, impl.Name)
		b = append(b, `,"version":`...)
		b = jsonenc.AppendString(b, impl.Version)
		for _, f := range [...]struct{ key, value string }{{`,"title":`, impl.Title}, {`,"description":`, impl.Description}, {`,"websiteUrl":`, impl.WebsiteURL}} {
			if f.value != "" {
				b = jsonenc.AppendString(append(b, f.key...), f.value)
			}
		}
		b = append(b, '}', '}')
	}
	return b, nil
}

// appendJSON appends json.Marshal(v).
func appendJSON(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	return append(b, j...), err
}
