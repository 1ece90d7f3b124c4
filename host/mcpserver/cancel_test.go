package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/plugin"
	"github.com/mark3labs/mcp-go/mcp"
)

func TestCancelledNotification(t *testing.T) {
	for _, tt := range []struct {
		line string
		key  string // "" means not a cancellation
	}{
		{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":13,"reason":"user"}}`, "n13"},
		{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1.0}}`, "n1"},
		{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"a"}}`, "sa"},
		{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{}}`, ""},
		{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"x":1}}}`, ""},
		{`{"jsonrpc":"2.0","id":1,"method":"notifications/cancelled","params":{"requestId":2}}`, ""},
		{`{"jsonrpc":"2.0","method":"notifications/progress","params":{"requestId":1,"note":"notifications/cancelled"}}`, ""},
		{`not json notifications/cancelled`, ""},
	} {
		key, ok := cancelledNotification([]byte(tt.line))
		if ok != (tt.key != "") || key != tt.key {
			t.Errorf("%s: key %q, %v; want %q", tt.line, key, ok, tt.key)
		}
	}
}

func TestRequestKey(t *testing.T) {
	for _, tt := range []struct{ raw, key string }{
		{`13`, "n13"}, {`1e1`, "n10"}, {`"13"`, "s13"}, {`null`, ""}, {`{}`, ""}, {`[1]`, ""},
	} {
		key, ok := requestKey(json.RawMessage(tt.raw))
		if ok != (tt.key != "") || key != tt.key {
			t.Errorf("%s: key %q, %v; want %q", tt.raw, key, ok, tt.key)
		}
	}
}

// A cancellation marks and stops the request in flight under its key, and
// only it; once the request is forgotten a late cancellation finds nothing.
func TestRepliesCancelByKey(t *testing.T) {
	var rs replies
	one, other := &reply{}, &reply{}
	ctx, cancel := context.WithCancel(context.Background())
	removeOne := rs.add("n1", one, cancel)
	removeOther := rs.add("s1", other, nil)
	if !rs.cancel("n1") || ctx.Err() == nil {
		t.Fatal("request 1 was not cancelled")
	}
	if !removeOne() || other.cancelled.Load() {
		t.Error("the cancellation reached the wrong request")
	}
	if rs.cancel("s1"); !removeOther() {
		t.Error(`request "1" was not marked`)
	}
	if rs.cancel("s1") {
		t.Error("a forgotten request was cancelled")
	}
}

// An internal error is replaced by the override; anything else is kept.
func TestReplyRewrite(t *testing.T) {
	var rep reply
	internal := mcp.JSONRPCError{JSONRPC: "2.0", ID: mcp.NewRequestId(1), Error: mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, "boom", nil)}
	if got := rep.rewrite(internal); got.(mcp.JSONRPCError).Error.Code != mcp.INTERNAL_ERROR {
		t.Fatalf("without an override: %+v", got)
	}
	rep.fail(context.Background(), mcp.RESOURCE_NOT_FOUND, "Resource not found", map[string]string{"uri": "u"})
	if got := rep.rewrite(internal).(mcp.JSONRPCError); got.Error.Code != mcp.RESOURCE_NOT_FOUND || got.ID != internal.ID {
		t.Errorf("rewritten: %+v", got)
	}
	other := mcp.JSONRPCError{JSONRPC: "2.0", ID: mcp.NewRequestId(1), Error: mcp.NewJSONRPCErrorDetails(mcp.INVALID_PARAMS, "bad", nil)}
	if got := rep.rewrite(other).(mcp.JSONRPCError); got.Error.Code != mcp.INVALID_PARAMS {
		t.Errorf("another error was rewritten: %+v", got)
	}
	for _, tt := range []struct{ in, want string }{
		{`{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"boom"}}`, `{"error":{"code":-32002,"message":"Resource not found","data":{"uri":"u"}},"id":1,"jsonrpc":"2.0"}`},
		{`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}`, `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}`},
		{`{"jsonrpc":"2.0","id":1,"result":{}}`, `{"jsonrpc":"2.0","id":1,"result":{}}`},
	} {
		if got := string(rep.rewriteJSON([]byte(tt.in))); got != tt.want {
			t.Errorf("rewriteJSON(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// spinTool waits for its context to end, then fails as a cancelled plugin
// call does; started is closed when it runs.
func spinTool(started chan struct{}) *fakeTool {
	return newFake("spin", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		close(started)
		<-ctx.Done()
		return nil, errors.New("plugin spin failed: cancelled")
	})
}

const rawInitialize = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// A request the client cancels is not answered over stdio: after the
// cancellation the next line is the answer to the ping that follows it.
// Both ways of serving a request are covered: a plain tools/call (served
// directly) and one that goes through mcp-go (an unknown _meta key).
func TestStdioCancelledRequestIsNotAnswered(t *testing.T) {
	for _, tt := range []struct{ name, call string }{
		{"direct", `{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"spin","arguments":{}}}`},
		{"mcp-go", `{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"spin","arguments":{},"_meta":{"other":1}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			started := make(chan struct{})
			r := newRawStdio(t, spinTool(started))
			r.send(t, rawInitialize)
			r.next(t)
			r.send(t, tt.call)
			<-started
			r.send(t, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":13,"reason":"user"}}`)
			time.Sleep(50 * time.Millisecond) // let the call end and (wrongly) answer first
			r.send(t, `{"jsonrpc":"2.0","id":"fence","method":"ping"}`)
			if got := r.next(t); got != `{"jsonrpc":"2.0","id":"fence","result":{}}` {
				t.Fatalf("after the cancellation came %s, want only the ping's answer", got)
			}
		})
	}
}

// A request that ends for another reason than the client's cancellation
// (here the tool gives up by itself) is answered, and a cancellation that
// names no request in flight changes nothing.
func TestStdioOtherCancellationsAreAnswered(t *testing.T) {
	tool := newFake("gives_up", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		<-ctx.Done()
		return nil, fmt.Errorf("plugin gives_up failed: %w", ctx.Err())
	})
	r := newRawStdio(t, tool)
	r.send(t, rawInitialize)
	r.next(t)
	r.send(t, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}`)
	r.send(t, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"gives_up","arguments":{}}}`)
	if got := r.next(t); !strings.Contains(got, `"id":7`) || !strings.Contains(got, "deadline exceeded") {
		t.Fatalf("answer %s, want the timed-out call's error result", got)
	}
}

// Over HTTP, a cancelled request's stream ends without its answer when the
// client accepts SSE; a JSON-only client still gets a body, the answer.
func TestHTTPCancelledRequestIsNotAnswered(t *testing.T) {
	for _, tt := range []struct {
		accept   string
		answered bool
	}{
		{"application/json, text/event-stream", false},
		{"application/json", true},
	} {
		t.Run(tt.accept, func(t *testing.T) {
			started := make(chan struct{})
			c := newRawClient(t, httpServer(t, HTTPOptions{}, spinTool(started)))
			c.initialize()
			c.accept = tt.accept
			done := make(chan []message, 1)
			go func() {
				resp, msgs := c.post(map[string]any{"jsonrpc": "2.0", "id": 13, "method": "tools/call", "params": map[string]any{"name": "spin", "arguments": map[string]any{}}})
				if resp.StatusCode != http.StatusOK {
					t.Errorf("HTTP %d", resp.StatusCode)
				}
				done <- msgs
			}()
			<-started
			c.post(map[string]any{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": map[string]any{"requestId": 13, "reason": "user"}})
			var msgs []message
			select {
			case msgs = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the cancelled request's response did not end")
			}
			if answered := len(msgs) == 1 && msgs[0].ID == float64(13); answered != tt.answered || len(msgs) > 1 {
				t.Errorf("messages %+v; want answered=%v", msgs, tt.answered)
			}
		})
	}
}

// A cancellation in another session reaches nothing.
func TestHTTPCancellationIsPerSession(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	tool := newFake("spin", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		close(started)
		<-release
		return okResult, nil
	})
	h := httpServer(t, HTTPOptions{}, tool)
	a, b := newRawClient(t, h), newRawClient(t, h)
	a.initialize()
	b.url = a.url
	b.initialize()
	done := make(chan []message, 1)
	go func() { done <- a.call(13, "spin", nil) }()
	<-started
	b.post(map[string]any{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": map[string]any{"requestId": 13}})
	close(release)
	if msgs := <-done; len(msgs) != 1 || msgs[0].Result == nil {
		t.Fatalf("a's call: %+v, want its result", msgs)
	}
}

// missingFiles has no file, and cannot reach ComfyUI for one URI.
type missingFiles struct{}

func (missingFiles) ReadFile(ctx context.Context, uri string) ([]byte, string, error) {
	if _, err := comfyui.ParseFileURI(uri); err != nil {
		return nil, "", err
	}
	if strings.Contains(uri, "unreachable") {
		return nil, "", errors.New(`GET http://127.0.0.1:1/view: connection refused`)
	}
	return nil, "", fmt.Errorf("ComfyUI has no output file %q (404 from http://127.0.0.1:8188/view): %w", uri, fs.ErrNotExist)
}

// readErrorCase is the error a resources/read of uri should get.
type readErrorCase struct {
	uri, wantCode, wantIn string
}

var readErrorCases = []readErrorCase{
	{"comfyui://output/missing.png", `"code":-32002`, `"data":{"uri":"comfyui://output/missing.png"}`},
	{"comfyui://output/unreachable.png", `"code":-32603`, `http://127.0.0.1:1/view: connection refused`},
	{"comfyui://bogus/x.png", `"code":-32602`, `is not output, input or temp","data":{"uri":"comfyui://bogus/x.png"}`},
}

// resources/read of a file that does not exist answers -32002 "Resource
// not found" with data {uri}; other failures stay internal errors that say
// why.
func TestStdioMissingFileIsResourceNotFound(t *testing.T) {
	r := newRawStdioWith(t, Options{Version: "test", Files: missingFiles{}})
	r.send(t, rawInitialize)
	r.next(t)
	for _, tt := range readErrorCases {
		r.send(t, `{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"`+tt.uri+`"}}`)
		if got := r.next(t); !strings.Contains(got, tt.wantCode) || !strings.Contains(got, tt.wantIn) {
			t.Errorf("%s: %s, want %s and %s", tt.uri, got, tt.wantCode, tt.wantIn)
		}
	}
}

func TestHTTPMissingFileIsResourceNotFound(t *testing.T) {
	s, err := New(nil, Options{Version: "test", Files: missingFiles{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, accept := range []string{"application/json, text/event-stream", "application/json"} {
		c := newRawClient(t, s.HTTPHandler(HTTPOptions{}))
		c.initialize()
		c.accept = accept
		for _, tt := range readErrorCases {
			resp, msgs := c.post(map[string]any{"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": map[string]any{"uri": tt.uri}})
			if resp.StatusCode != http.StatusOK || len(msgs) != 1 {
				t.Fatalf("%s (%s): HTTP %d, %+v", tt.uri, accept, resp.StatusCode, msgs)
			}
			data, _ := json.Marshal(msgs[0].Error)
			got := string(data) + fmt.Sprint(msgs[0].ID)
			if !strings.Contains(got, tt.wantCode) || !strings.Contains(got, tt.wantIn) || !strings.HasSuffix(got, "5") {
				t.Errorf("%s (%s): error %s, want %s and %s", tt.uri, accept, got, tt.wantCode, tt.wantIn)
			}
		}
	}
}

// Stateful HTTP: a request without a session id gets 400, one with an
// unknown id 404; initialize needs none.
func TestHTTPRequestWithoutSessionIsBadRequest(t *testing.T) {
	c := newRawClient(t, httpServer(t, HTTPOptions{}))
	c.initialize()
	live := c.session
	ping := map[string]any{"jsonrpc": "2.0", "id": 1, "method": "ping"}
	for _, tt := range []struct {
		method, session string
		want            int
	}{
		{"POST", "", http.StatusBadRequest},
		{"POST", "easel-unknown", http.StatusNotFound},
		{"POST", live, http.StatusOK},
		{"GET", "", http.StatusBadRequest},
		{"DELETE", "", http.StatusBadRequest},
	} {
		c.session = tt.session
		var code int
		if tt.method == "POST" {
			resp, _ := c.post(ping)
			code = resp.StatusCode
		} else {
			req, _ := http.NewRequest(tt.method, c.url, nil)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			code = resp.StatusCode
		}
		if code != tt.want {
			t.Errorf("%s with session %q: HTTP %d, want %d", tt.method, tt.session, code, tt.want)
		}
	}
	sl := newRawClient(t, httpServer(t, HTTPOptions{Stateless: true}))
	if resp, _ := sl.post(ping); resp.StatusCode != http.StatusOK {
		t.Errorf("stateless ping without a session: HTTP %d", resp.StatusCode)
	}
}

// completion/complete on the comfyui:// template completes type by prefix.
func TestFileTemplateCompletion(t *testing.T) {
	s, err := New(nil, Options{Version: "test", Files: missingFiles{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		arg, value string
		want       []string
	}{
		{"type", "o", []string{"output"}},
		{"type", "", []string{"input", "output", "temp"}},
		{"type", "t", []string{"temp"}},
		{"type", "x", []string{}},
		{"path", "a", []string{}},
	} {
		line := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":%q},"argument":{"name":%q,"value":%q}}}`, FileTemplate, tt.arg, tt.value)
		resp, ok := s.mcp.HandleMessage(context.Background(), json.RawMessage(line)).(mcp.JSONRPCResponse)
		if !ok {
			t.Fatalf("%s=%q: not a result", tt.arg, tt.value)
		}
		var res mcp.CompleteResult
		if b, err := json.Marshal(resp.Result); err != nil || json.Unmarshal(b, &res) != nil {
			t.Fatalf("%s=%q: result %s, %v", tt.arg, tt.value, b, err)
		}
		if res.Completion.Values == nil || fmt.Sprint(res.Completion.Values) != fmt.Sprint(tt.want) {
			t.Errorf("%s=%q: %v, want %v", tt.arg, tt.value, res.Completion.Values, tt.want)
		}
	}
}
