package mcpserver

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestDecodeResult checks decodeResult against mcp-go's own decoding of
// the same results, and what it refuses.
func TestDecodeResult(t *testing.T) {
	good := []string{
		`{"content":[{"type":"text","text":"{\"done\":true}"}],"structuredContent":{"done":true,"n":[1,2]}}`,
		`{"content":[{"type":"text","text":"a\nb é"},{"type":"image","data":"iVBORw0=","mimeType":"image/png"}],"isError":true}`,
		`{"content":[{"type":"text","text":"x","annotations":{"priority":1}}],"_meta":{"k":"v"}}`,
		`{"content":[{"type":"resource_link","uri":"comfyui://output/a.png","name":"a.png"}],"structuredContent":null}`,
		`{"content":[]}`,
		`{"content":null}`,
	}
	for _, raw := range good {
		got, err := decodeResult([]byte(raw))
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		var want mcp.CallToolResult
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatal(err)
		}
		if string(want.RawStructuredContent) == "null" {
			want.RawStructuredContent, want.StructuredContent = nil, nil // absent, which decodeResult makes it
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		var g, w any
		json.Unmarshal(gotJSON, &g)
		json.Unmarshal(wantJSON, &w)
		if !reflect.DeepEqual(g, w) && !(strings.Contains(raw, `"content":null`) && strings.Contains(string(gotJSON), `"content":[]`)) {
			t.Errorf("%s:\n got %s\nwant %s", raw, gotJSON, wantJSON)
		}
	}
	bad := map[string]string{
		`[]`:                                     "not a JSON object",
		`{"content":[],"structuredContent":[1]}`: "structuredContent must be a JSON object",
		`{"content":[],"isError":"yes"}`:         "isError",
		`{"content":{}}`:                         "content is not an array",
		`{"content":[{"type":"nope"}]}`:          "content[0]",
		`{"content":[]`:                          "unexpected end",
	}
	for raw, want := range bad {
		if _, err := decodeResult([]byte(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", raw, err, want)
		}
	}
}

// TestDecodeResultMakesTheTextItem checks the ABI's shorthand: a result
// with structuredContent and no content gets one text item holding that
// JSON as the plugin wrote it (structuredContent itself goes out compact,
// as json.Marshal writes it); a content member, even empty, is kept.
func TestDecodeResultMakesTheTextItem(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`{"structuredContent":{"done":true,"s":"<é>"}}`, `{"content":[{"type":"text","text":"{\"done\":true,\"s\":\"\u003cé\u003e\"}"}],"structuredContent":{"done":true,"s":"\u003cé\u003e"}}`},
		{`{"structuredContent": {"n": 1} ,"isError":true}`, `{"content":[{"type":"text","text":"{\"n\": 1}"}],"isError":true,"structuredContent":{"n":1}}`},
		{`{"content":[],"structuredContent":{"n":1}}`, `{"content":[],"structuredContent":{"n":1}}`},
		{`{"content":null,"structuredContent":{"n":1}}`, `{"content":[{"type":"text","text":"{\"n\":1}"}],"structuredContent":{"n":1}}`},
		{`{}`, `{"content":[]}`},
	}
	for _, tt := range tests {
		res, err := decodeResult([]byte(tt.raw))
		if err != nil {
			t.Fatalf("%s: %v", tt.raw, err)
		}
		got, err := encodeMessage(mcp.JSONRPCResponse{JSONRPC: "2.0", ID: mcp.NewRequestId(1), Result: res})
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"jsonrpc":"2.0","id":1,"result":` + tt.want + `}`; string(got) != want {
			t.Errorf("%s:\n got %s\nwant %s", tt.raw, got, want)
		}
	}
}
