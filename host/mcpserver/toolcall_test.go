package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/easel-mcp/easel/internal/benchtest"
	"github.com/mark3labs/mcp-go/mcp"
)

// directTools are tools whose answers cover what a result can be: echoed
// arguments, escaping, progress, a tool error, a failed call and output
// that its schema refuses.
func directTools() []Tool {
	echo := newFake("echo", func(_ context.Context, args json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error) {
		if progress != nil {
			progress(plugin.Progress{Progress: 1, Total: 2, Message: "half"})
		}
		if len(args) == 0 {
			args = json.RawMessage(`"none"`)
		}
		text, _ := json.Marshal(string(args))
		return json.RawMessage(`{"content":[{"type":"text","text":` + string(text) + `}],"structuredContent":{"echo":` + string(args) + `}}`), nil
	})
	html := newFake("html", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return json.RawMessage(`{"content":[{"type":"text","text":"<b>&amp;</b> \u2028 é \ud83d\ude00"}],"structuredContent":{"echo":"<&>"}}`), nil
	})
	toolErr := newFake("tool_error", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return json.RawMessage(`{"content":[{"type":"text","text":"no such job"}],"isError":true}`), nil
	})
	fails := newFake("fails", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return nil, errors.New("the plugin trapped")
	})
	badOutput := newFake("bad_output", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return json.RawMessage(`{"content":[],"structuredContent":{"n":"three"}}`), nil
	})
	badOutput.info.OutputSchema = json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`)
	return []Tool{echo, html, toolErr, fails, badOutput}
}

// A plain tools/call served directly gets, byte for byte, the response
// mcp-go's HandleMessage gives the same line.
func TestDirectToolCallsAnswerAsMCPGoDoes(t *testing.T) {
	s, err := New(directTools(), Options{Version: "test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var seen clientContext // shared, as over one stdio connection
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"x":"a"}}}`,
		`{"params":{"arguments":{"x":"a"},"name":"echo"},"method":"tools/call","id":"s-1","jsonrpc":"2.0"}`,
		`{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"echo"}}`,
		`{"jsonrpc":"2.0","id":12345678901234567890,"method":"tools/call","params":{"name":"echo","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{ "x" : [1, 2.50, {"y": null}] }}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"x":"a"},"_meta":{"progressToken":"tok"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":7}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"html","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"tool_error","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"fails","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"bad_output","arguments":{}}}`,
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"x\":\"\\u00e9\\n\"}}}\r\n",
		// Protocol 2026: no handshake, the request's context in _meta.
		`{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"arguments":{"x":"a"},"name":"echo"}}`,
		`{"jsonrpc":"2.0","id":21,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":"p","io.modelcontextprotocol/clientCapabilities":{"sampling":{}},"io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},"io.modelcontextprotocol/logLevel":"debug","io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		`{"jsonrpc":"2.0","id":22,"method":"tools/call","params":{"name":"tool_error","_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		`{"jsonrpc":"2.0","id":23,"method":"tools/call","params":{"name":"fails","_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		`{"jsonrpc":"2.0","id":24,"method":"tools/call","params":{"name":"bad_output","_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		`{"jsonrpc":"2.0","id":25,"method":"tools/call","params":{"name":"html","_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	} {
		tc, ok := parseToolCall([]byte(line), &seen)
		if !ok {
			t.Errorf("%s: not read as a plain tools/call", line)
			continue
		}
		direct, ok := s.serveToolCall(ctx, tc)
		if !ok {
			t.Errorf("%s: not served directly", line)
			continue
		}
		got, err := json.Marshal(direct)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(s.mcp.HandleMessage(ctx, json.RawMessage(line)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s\ndirect:  %s\nmcp-go:  %s", line, got, want)
		}
	}
}

// Whatever is not a plain tools/call of a tool registered for it is left
// to mcp-go.
func TestOnlyPlainToolCallsAreServedDirectly(t *testing.T) {
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"}}`,
		`{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"echo"}}`,
		`{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"echo"}}`,
		`{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"echo"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call"}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":[1]}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":null}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","task":{"ttl":1000}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","requestState":"s"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":1,"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":{"a":1}}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2099-01-01"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2025-06-18"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"extra":true}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}} trailing`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}`,
	} {
		if tc, ok := parseToolCall([]byte(line), nil); ok {
			t.Errorf("%s: read as a plain tools/call %+v", line, tc)
		}
	}
	s, err := New(directTools(), Options{Version: "test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tc, ok := parseToolCall([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}}`), nil)
	if !ok {
		t.Fatal("a call of an unknown tool is a plain tools/call")
	}
	if _, served := s.serveToolCall(context.Background(), tc); served {
		t.Error("a call of an unknown tool was served directly; mcp-go's answer says the tool is not found")
	}
}

// BenchmarkParseToolCall reads a protocol-2026 get_job_status request as
// the direct path does, beside one json.Unmarshal of it into mcp-go's
// request type (reported as unmarshal-ns/op; HandleMessage made four).
func BenchmarkParseToolCall(b *testing.B) {
	line := []byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"roots":{"listChanged":true},"sampling":{}},"io.modelcontextprotocol/clientInfo":{"name":"some-agent","version":"1.4.2"},"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"arguments":{"prompt_id":"f37b4d3d-0c1f-4f14-8aff-9a873f60272e"},"name":"get_job_status"}}`)
	var seen clientContext
	base := benchtest.Measure(time.Second, func() {
		var req struct {
			mcp.CallToolRequest
			ID any `json:"id"`
		}
		if err := json.Unmarshal(line, &req); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := parseToolCall(line, &seen); !ok {
			b.Fatal("not a plain tools/call")
		}
	}
	benchtest.Report(b, base, "unmarshal")
}

// A client's capabilities and info are read once while it sends the same
// bytes, read again when they change, and never kept when they do not
// read.
func TestClientContextReadsOnce(t *testing.T) {
	var seen clientContext
	a, ok := seen.capabilities([]byte(`{"sampling":{}}`))
	if !ok || a.Sampling == nil {
		t.Fatalf("capabilities %+v, %v", a, ok)
	}
	if b, _ := seen.capabilities([]byte(`{"sampling":{}}`)); b != a {
		t.Error("the same capabilities were read again")
	}
	if c, _ := seen.capabilities([]byte(`{"roots":{}}`)); c == a || c.Roots == nil || c.Sampling != nil {
		t.Errorf("changed capabilities read as %+v", c)
	}
	if _, ok := seen.capabilities([]byte(`{"roots":7}`)); ok {
		t.Error("capabilities that do not read were accepted")
	}
	if d, _ := seen.capabilities([]byte(`{"roots":{}}`)); d.Roots == nil {
		t.Error("a failed read replaced the last good one")
	}
	i, ok := seen.implementation([]byte(`{"name":"c","version":"1"}`))
	if j, _ := seen.implementation([]byte(`{"name":"c","version":"1"}`)); !ok || j != i || i.Name != "c" {
		t.Errorf("implementation %+v then %+v", i, j)
	}
	var none *clientContext
	if x, ok := none.implementation([]byte(`{"name":"n","version":"2"}`)); !ok || x.Version != "2" {
		t.Errorf("without a cache: %+v, %v", x, ok)
	}
}

// A notifications/cancelled names a call by the id its request had: the
// same number however written, never the string of that number.
func TestCallKey(t *testing.T) {
	key := func(raw string) string {
		var id any
		if err := json.Unmarshal([]byte(raw), &id); err != nil {
			t.Fatal(err)
		}
		return callKey(id)
	}
	for _, same := range [][2]string{{`1`, `1.0`}, {`1`, `1e0`}, {`10`, `1e1`}, {`"a"`, `"\u0061"`}, {`1e21`, `1000000000000000000000`}, {`1.5`, `15e-1`}} {
		if a, b := key(same[0]), key(same[1]); a != b {
			t.Errorf("%s and %s: keys %q and %q", same[0], same[1], a, b)
		}
	}
	for _, apart := range [][2]string{{`1`, `"1"`}, {`1`, `2`}, {`0.1`, `"n0.1"`}, {`1.5`, `1.50000001`}} {
		if a, b := key(apart[0]), key(apart[1]); a == b {
			t.Errorf("%s and %s: one key %q", apart[0], apart[1], a)
		}
	}
}

// A request's id reads as encoding/json reads it into an any, which is
// what mcp-go answers with; an id it refuses leaves the call to mcp-go.
func TestReadIDIsEncodingJSON(t *testing.T) {
	for _, raw := range []string{`1`, `-0`, `1.5`, `1e2`, `123456789012345678901234567890`, `1e308`, `1e309`, `-1e400`, `0.000001`, `"a"`, `"\u00e9\n"`, `"\ud800"`, `""`} {
		line := `{"jsonrpc":"2.0","id":` + raw + `,"method":"tools/call","params":{"name":"echo"}}`
		tc, ok := parseToolCall([]byte(line), nil)
		var want any
		werr := json.Unmarshal([]byte(raw), &want)
		if ok != (werr == nil) {
			t.Errorf("id %s: read %v, encoding/json's error %v", raw, ok, werr)
			continue
		}
		if ok && !reflect.DeepEqual(tc.id, want) {
			t.Errorf("id %s: read %#v, encoding/json %#v", raw, tc.id, want)
		}
	}
}
