package sdk

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Result is an MCP CallToolResult: what the agent sees when the tool
// returns. Most handlers never build one, because a handler that returns a
// struct gets its result (and an outputSchema) for free. Return *Result from
// a handler when the answer is not one JSON object: an image, text meant
// for reading, links to files.
//
// Build one with Text, Textf, JSON, Error or Errorf and add items with the
// With methods, which change the Result and return it for chaining:
//
//	return sdk.Textf("saved %d images", n).WithImage(png, "image/png"), nil
type Result struct {
	// Content is the list of items the agent reads, in order. MCP requires
	// the list; an empty one is sent as [].
	Content []Content

	// await, when set, is not a result at all: the handler asked the host
	// to wait for a job (AwaitJob).
	await *awaitRequest

	// compact says StructuredContent came from json.Marshal of a struct
	// or map, so it is already a compact JSON object and is written as is.
	compact bool

	// StructuredContent, when set, is a JSON object that machines can use
	// instead of parsing the text. It must be a JSON object (MCP's rule);
	// anything else makes the call fail.
	StructuredContent json.RawMessage

	// IsError marks a tool-level failure that the agent should read and
	// act on (a bad argument, ComfyUI refusing a workflow), as opposed to a
	// plugin failure, which is a panic.
	IsError bool
}

// Content is one item of a Result, in the shapes MCP defines. Which fields
// are used depends on Type:
//
//	"text"           Text
//	"image", "audio" Data (raw bytes; base64 on the wire), MimeType
//	"resource_link"  URI, Name, MimeType (optional)
//	"resource"       an embedded resource: URI, MimeType (optional), and
//	                 Text, or Data when Data is not nil
//
// A Content with another Type makes the call fail when it is sent.
type Content struct {
	Type     string
	Text     string
	Data     []byte
	MimeType string
	URI      string
	Name     string
}

// Text returns a successful result with one text item. It is the usual
// answer of a tool whose output is meant to be read rather than parsed.
func Text(s string) *Result {
	return &Result{Content: []Content{{Type: "text", Text: s}}}
}

// Textf is Text with fmt.Sprintf formatting.
func Textf(format string, args ...any) *Result {
	return Text(fmt.Sprintf(format, args...))
}

// JSON returns a successful result whose structuredContent is v and whose
// text item is v's compact JSON, so that clients that read only text see
// the same data. It is what a handler returning a struct gets
// automatically; use it when the handler must return *Result for another
// reason, such as attaching an image.
//
// # Notes
//
//   - If v does not encode as a JSON object (MCP requires structured
//     content to be one), the result carries the text item only.
//   - If v cannot be encoded at all (a channel, a NaN float), the result is
//     an error result that says so, because the tool has no answer to give.
func JSON(v any) *Result {
	b, err := json.Marshal(v)
	if err != nil {
		return Errorf("the tool's answer could not be encoded as JSON: %v", err)
	}
	r := Text(string(b))
	if len(b) > 0 && b[0] == '{' {
		r.StructuredContent = b
	}
	return r
}

// Error returns a tool error result: isError set and one text item with
// msg. The agent reads msg to decide what to do next, so say what failed,
// on what, and what would fix it. Returning a non-nil error from a handler
// produces the same result with the error's message.
func Error(msg string) *Result {
	r := Text(msg)
	r.IsError = true
	return r
}

// Errorf is Error with fmt.Sprintf formatting.
func Errorf(format string, args ...any) *Result {
	return Error(fmt.Sprintf(format, args...))
}

// WithText appends a text item.
func (r *Result) WithText(s string) *Result {
	r.Content = append(r.Content, Content{Type: "text", Text: s})
	return r
}

// WithImage appends an image item: data is the raw image (the SDK encodes
// it as base64) and mimeType its type, such as "image/png". Agents that can
// see images see it inline, so prefer it to a link for small previews.
func (r *Result) WithImage(data []byte, mimeType string) *Result {
	r.Content = append(r.Content, Content{Type: "image", Data: data, MimeType: mimeType})
	return r
}

// WithAudio appends an audio item: data is the raw audio and mimeType its
// type, such as "audio/wav".
func (r *Result) WithAudio(data []byte, mimeType string) *Result {
	r.Content = append(r.Content, Content{Type: "audio", Data: data, MimeType: mimeType})
	return r
}

// WithResourceLink appends a resource_link item: a pointer to something
// the client can fetch (for example an output image's URL) without the
// bytes travelling in the result. mimeType may be empty.
func (r *Result) WithResourceLink(uri, name, mimeType string) *Result {
	r.Content = append(r.Content, Content{Type: "resource_link", URI: uri, Name: name, MimeType: mimeType})
	return r
}

// WithResourceText appends an embedded text resource: a document the
// result carries whole, identified by uri. mimeType may be empty.
func (r *Result) WithResourceText(uri, mimeType, text string) *Result {
	r.Content = append(r.Content, Content{Type: "resource", URI: uri, MimeType: mimeType, Text: text})
	return r
}

// WithResourceBlob appends an embedded binary resource (base64 on the
// wire), identified by uri. mimeType may be empty.
func (r *Result) WithResourceBlob(uri, mimeType string, data []byte) *Result {
	if data == nil {
		data = []byte{}
	}
	r.Content = append(r.Content, Content{Type: "resource", URI: uri, MimeType: mimeType, Data: data})
	return r
}

// MarshalJSON encodes the result as an MCP CallToolResult, the form the
// host passes to the client unchanged.
func (r Result) MarshalJSON() ([]byte, error) {
	return r.appendJSON(nil)
}

// appendJSON writes the result without reflection: it runs on every call,
// in WebAssembly, where encoding/json costs about ten times what it does
// natively.
func (r *Result) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"content":[`...)
	for i, c := range r.Content {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = c.appendJSON(b); err != nil {
			return nil, err
		}
	}
	b = append(b, ']')
	switch {
	case r.compact && len(r.StructuredContent) > 0 && r.StructuredContent[0] == '{':
		b = append(b, `,"structuredContent":`...)
		b = append(b, r.StructuredContent...)
	case len(r.StructuredContent) > 0:
		b = append(b, `,"structuredContent":`...)
		start := len(b)
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, r.StructuredContent); err != nil {
			return nil, fmt.Errorf("sdk: Result.StructuredContent is not valid JSON: %v", err)
		}
		b = buf.Bytes()
		if b[start] != '{' {
			return nil, fmt.Errorf("sdk: Result.StructuredContent must be a JSON object, not %.20s", b[start:])
		}
	}
	if r.IsError {
		b = append(b, `,"isError":true`...)
	}
	return append(b, '}'), nil
}

// appendOutcome writes r as the result of an easel_call outcome. A result
// whose one item is its structuredContent as text (what a handler returning
// a struct makes) leaves the item out: the host makes it from the
// structuredContent (docs/abi.md), so the plugin neither escapes the JSON a
// second time nor passes it twice.
func (r *Result) appendOutcome(b []byte) ([]byte, error) {
	if r.compact && len(r.Content) == 1 && r.Content[0].Type == "text" && len(r.StructuredContent) > 0 &&
		r.StructuredContent[0] == '{' && r.Content[0].Text == string(r.StructuredContent) {
		b = append(b, `{"structuredContent":`...)
		b = append(b, r.StructuredContent...)
		if r.IsError {
			b = append(b, `,"isError":true`...)
		}
		return append(b, '}'), nil
	}
	return r.appendJSON(b)
}

// sizeHint is about the length of r's JSON, a little more when its text
// needs escapes (a JSON text item escapes every quote): the call's output
// is written into one buffer of this size instead of growing one from
// empty, which copied it five times.
func (r *Result) sizeHint() int {
	n := 64 + len(r.StructuredContent)
	for i := range r.Content {
		c := &r.Content[i]
		n += 64 + len(c.URI) + len(c.Name) + len(c.MimeType) + len(c.Text) + len(c.Text)/4 + base64.StdEncoding.EncodedLen(len(c.Data))
	}
	return n
}

func (c *Content) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, c.Type)
	switch c.Type {
	case "text":
		b = append(b, `,"text":`...)
		b = appendJSONString(b, c.Text)
	case "image", "audio":
		b = append(b, `,"data":"`...)
		b = base64.StdEncoding.AppendEncode(b, c.Data)
		b = append(b, `","mimeType":`...)
		b = appendJSONString(b, c.MimeType)
	case "resource_link":
		b = append(b, `,"uri":`...)
		b = appendJSONString(b, c.URI)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, c.Name)
		if c.MimeType != "" {
			b = append(b, `,"mimeType":`...)
			b = appendJSONString(b, c.MimeType)
		}
	case "resource":
		b = append(b, `,"resource":{"uri":`...)
		b = appendJSONString(b, c.URI)
		if c.MimeType != "" {
			b = append(b, `,"mimeType":`...)
			b = appendJSONString(b, c.MimeType)
		}
		if c.Data != nil {
			b = append(b, `,"blob":"`...)
			b = base64.StdEncoding.AppendEncode(b, c.Data)
			b = append(b, '"')
		} else {
			b = append(b, `,"text":`...)
			b = appendJSONString(b, c.Text)
		}
		b = append(b, '}')
	default:
		return nil, fmt.Errorf("sdk: content item of unknown type %q", c.Type)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does, so the output is always valid JSON.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
