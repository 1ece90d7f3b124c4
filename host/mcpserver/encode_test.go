package mcpserver

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// toolResponses are tools/call answers of every shape encodeMessage
// takes its short way with, and some it does not.
func toolResponses() []mcp.JSONRPCResponse {
	signed := &mcp.CallToolResult{Content: []mcp.Content{mcp.TextContent{Type: "text", Text: "done"}}, RawStructuredContent: json.RawMessage(`{"a":1}`)}
	signed.SetResultType(mcp.ResultTypeComplete)
	signed.EnsureResultMeta().SetServerInfo(mcp.Implementation{Name: "easel", Version: "dev"})
	withToken := &mcp.CallToolResult{Content: []mcp.Content{}, Result: mcp.Result{Meta: &mcp.Meta{ProgressToken: "p", AdditionalFields: map[string]any{"x": 1}}}}
	annotated := &mcp.CallToolResult{Content: []mcp.Content{mcp.TextContent{Type: "text", Text: "x", Annotated: mcp.Annotated{Annotations: &mcp.Annotations{Priority: new(float64)}}}}}
	image := &mcp.CallToolResult{Content: []mcp.Content{mcp.ImageContent{Type: "image", Data: "AAAA", MIMEType: "image/png"}}}
	mapped := &mcp.CallToolResult{Content: []mcp.Content{}, StructuredContent: map[string]any{"b": 2, "a": 1}}
	results := []*mcp.CallToolResult{
		{Content: []mcp.Content{mcp.TextContent{Type: "text", Text: `{"prompt_id":"p","found":true}`}}, RawStructuredContent: json.RawMessage(`{"prompt_id":"p","found":true}`)},
		{Content: []mcp.Content{mcp.TextContent{Type: "text", Text: "<b>&</b>\u2028\u2029 \x00\x1f\b\f\n\r\t \"\\ é 😀 \xff\xfe"}}},
		{Content: []mcp.Content{mcp.TextContent{Type: "text", Text: "a"}, mcp.TextContent{Type: "text", Text: "b"}}, IsError: true},
		{Content: nil},
		{Content: []mcp.Content{}, RawStructuredContent: json.RawMessage("{ \"h\" : \"<&>\u2028\" ,\n \"n\": [1, 2.50e3, null] }")},
		signed, withToken, annotated, image, mapped,
	}
	titled := &mcp.CallToolResult{Content: []mcp.Content{}}
	titled.EnsureResultMeta().SetServerInfo(mcp.Implementation{Name: "e<a>sel", Version: "1&2", Title: "T\u2028", Description: "d", WebsiteURL: "https://x.test/?a=1&b=2"})
	iconed := &mcp.CallToolResult{Content: []mcp.Content{}}
	iconed.EnsureResultMeta().SetServerInfo(mcp.Implementation{Name: "easel", Version: "dev", Icons: []mcp.Icon{{Src: "data:,"}}})
	otherMeta := &mcp.CallToolResult{Content: []mcp.Content{}, Result: mcp.Result{Meta: &mcp.Meta{AdditionalFields: map[string]any{"k": "v"}}}}
	twoMeta := &mcp.CallToolResult{Content: []mcp.Content{}, Result: mcp.Result{Meta: &mcp.Meta{AdditionalFields: map[string]any{"b": 1, "a": mcp.Implementation{Name: "x"}}}}}
	results = append(results, titled, iconed, otherMeta, twoMeta)
	ids := []mcp.RequestId{mcp.NewRequestId(float64(3)), mcp.NewRequestId("s-1"), mcp.NewRequestId(1.5), mcp.NewRequestId(int64(7)),
		mcp.NewRequestId(1e21), mcp.NewRequestId(1e-7), mcp.NewRequestId(math.Copysign(0, -1)), mcp.NewRequestId(-123456789012.25), mcp.NewRequestId("<&>"),
		mcp.NewRequestId(int64(-9007199254740993)), mcp.NewRequestId(999999999999999900000.0), mcp.NewRequestId(0.000001), mcp.NewRequestId(nil), mcp.NewRequestId(float32(2.5))}
	var out []mcp.JSONRPCResponse
	for i, r := range results {
		out = append(out, mcp.NewJSONRPCResultResponse(ids[i%len(ids)], r))
	}
	return out
}

func TestEncodeMessageIsJSONMarshal(t *testing.T) {
	msgs := []any{mcp.NewJSONRPCResultResponse(mcp.NewRequestId(1), mcp.EmptyResult{}), errorMessage(json.RawMessage("4"), -32600, "no")}
	for _, r := range toolResponses() {
		msgs = append(msgs, r)
	}
	for _, msg := range msgs {
		got, err := encodeMessage(msg)
		want, werr := json.Marshal(msg)
		if err != nil || werr != nil || !bytes.Equal(got, want) {
			t.Errorf("encodeMessage %s, %v\njson.Marshal  %s, %v", got, err, want, werr)
		}
	}
	// The text-only results take the short way (the annotated, image and
	// mapped ones do not).
	for i, r := range toolResponses() {
		_, short, _ := appendToolResponse(nil, r, r.Result.(*mcp.CallToolResult))
		if want := i < 7 || i > 9; short != want {
			t.Errorf("response %d: short way %v, want %v", i, short, want)
		}
	}
	bad := mcp.NewJSONRPCResultResponse(mcp.NewRequestId(1), &mcp.CallToolResult{Content: []mcp.Content{}, RawStructuredContent: json.RawMessage(`{"a":`)})
	if _, err := encodeMessage(bad); err == nil {
		t.Error("a result whose structuredContent is not JSON was encoded")
	}
}

// FuzzEncodeMessage compares the short way with json.Marshal on any text
// and structured content.
func FuzzEncodeMessage(f *testing.F) {
	f.Add("done", []byte(`{"a":1}`), true, 3.0, "easel")
	f.Add("<\u2028\xff", []byte(" { \"x\" : \"<&>\" } "), false, 1e21, "")
	f.Add("a\tb\"c", []byte(`{"s":"x y\"z\\","n":[1,2.5,{}],"e":"\u003c\u2028","u":"\xff"}`), true, 1e-7, "<&>")
	f.Add("", []byte(`{}`), true, math.Copysign(0, -1), "\xff")
	f.Fuzz(func(t *testing.T, text string, structured []byte, isError bool, id float64, name string) {
		res := &mcp.CallToolResult{Content: []mcp.Content{mcp.TextContent{Type: "text", Text: text}}, IsError: isError, RawStructuredContent: structured}
		res.EnsureResultMeta().SetServerInfo(mcp.Implementation{Name: name, Version: text, Title: name})
		msg := mcp.NewJSONRPCResultResponse(mcp.NewRequestId(text), res)
		if isError {
			msg.ID = mcp.NewRequestId(id)
		}
		got, err := encodeMessage(msg)
		want, werr := json.Marshal(msg)
		if (err == nil) != (werr == nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("encodeMessage %s, %v\njson.Marshal  %s, %v", got, err, want, werr)
		}
	})
}

// BenchmarkEncodeMessage writes a get_job_status answer, beside
// json.Marshal of it.
func BenchmarkEncodeMessage(b *testing.B) {
	status := `{"prompt_id":"6677b279-77ba-4d63-a246-cc844d000e79","found":true,"running":false,"pending":false,"done":true,"outcome":"success","status_str":"success","execution_stats":{"start_timestamp":1795794399018,"end_timestamp":1795794399025,"total_duration_ms":7,"cached_nodes":[]}}`
	res := &mcp.CallToolResult{Content: []mcp.Content{mcp.TextContent{Type: "text", Text: status}}, RawStructuredContent: json.RawMessage(status)}
	res.SetResultType(mcp.ResultTypeComplete)
	res.EnsureResultMeta().SetServerInfo(mcp.Implementation{Name: "easel", Version: "dev"})
	msg := mcp.NewJSONRPCResultResponse(mcp.NewRequestId(float64(3)), res)
	b.Run("encodeMessage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeMessage(msg)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(msg)
		}
	})
}

// A request id and protocol 2026's _meta.serverInfo are written without
// encoding/json, which allocates: its encoder state, and the map of
// Meta.MarshalJSON.
func TestIDAndMetaAllocateNothing(t *testing.T) {
	buf := make([]byte, 0, 256)
	meta := (&mcp.CallToolResult{}).EnsureResultMeta()
	meta.SetServerInfo(mcp.Implementation{Name: "easel", Version: "dev", Title: "Easel"})
	cases := map[string]func() ([]byte, error){
		"float id":  func() ([]byte, error) { return appendID(buf[:0], mcp.NewRequestId(float64(42))) },
		"int id":    func() ([]byte, error) { return appendID(buf[:0], mcp.NewRequestId(int64(42))) },
		"string id": func() ([]byte, error) { return appendID(buf[:0], mcp.NewRequestId("call-42")) },
		"meta":      func() ([]byte, error) { return appendMeta(buf[:0], meta) },
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(100, func() { fn() }); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}
