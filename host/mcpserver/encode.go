package mcpserver

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/easel-mcp/easel/sdk/jsonread"
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
	b = appendString(b, resp.JSONRPC)
	b = append(b, `,"id":`...)
	if err == nil {
		b, err = appendJSON(b, resp.ID)
	}
	b = append(b, `,"result":{`...)
	if res.Meta != nil && err == nil {
		b = append(b, `"_meta":`...)
		b, err = appendJSON(b, res.Meta)
		b = append(b, ',')
	}
	b = append(b, `"content":[`...)
	for i, c := range res.Content {
		if i > 0 {
			b = append(b, ',')
		}
		t := c.(mcp.TextContent)
		b = append(b, `{"type":`...)
		b = appendString(b, t.Type)
		b = append(b, `,"text":`...)
		b = appendString(b, t.Text)
		b = append(b, '}')
	}
	b = append(b, ']')
	if res.IsError {
		b = append(b, `,"isError":true`...)
	}
	if res.ResultType != "" {
		b = append(b, `,"resultType":`...)
		b = appendString(b, string(res.ResultType))
	}
	if len(res.RawStructuredContent) > 0 && err == nil {
		b = append(b, `,"structuredContent":`...)
		b, err = appendRaw(b, res.RawStructuredContent)
	}
	if err != nil {
		return nil, false, err
	}
	return append(b, '}', '}'), true, nil
}

// appendRaw appends json.Marshal(json.RawMessage(raw)): raw compacted
// and HTML-escaped. A plugin's structuredContent is nearly always compact
// already and free of <, >, & and U+2028/U+2029, so when a check of one
// pass finds it valid and so, it is copied as it is; anything else goes
// through encoding/json.
func appendRaw(b, raw []byte) ([]byte, error) {
	r := jsonread.New(raw)
	r.Skip()
	if r.End() != nil || !compactAndHTMLSafe(raw) {
		return appendJSON(b, json.RawMessage(raw))
	}
	return append(b, raw...), nil
}

// compactAndHTMLSafe reports whether valid JSON has no whitespace outside
// its strings and nothing encoding/json escapes when it compacts: <, >, &
// and the first byte of U+2028 and U+2029 (0xE2, conservatively).
func compactAndHTMLSafe(raw []byte) bool {
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '<' || c == '>' || c == '&' || c == 0xE2:
			return false
		case inString && c == '\\':
			i++ // the escaped byte; \uXXXX's digits are plain bytes
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}

// appendString appends s as encoding/json writes a string (HTMLEscape on,
// its default): <, >, & and U+2028/U+2029 escaped, invalid UTF-8 as
// U+FFFD. A copy of encoding/json's appendString, which is not exported.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSON appends json.Marshal(v).
func appendJSON(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	return append(b, j...), err
}
