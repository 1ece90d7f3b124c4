package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/plugin"
)

// rawClient speaks streamable HTTP by hand, so that the tests see exactly
// which messages travel on which response, in which order.
type rawClient struct {
	t       *testing.T
	url     string
	session string
	accept  string
	// answer, when set, answers server-to-client requests that arrive on
	// a response stream, as a client would, by POSTing the result.
	answer func(method string, params json.RawMessage) any
}

func newRawClient(t *testing.T, h http.Handler) *rawClient {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rawClient{t: t, url: srv.URL + "/mcp", accept: "application/json, text/event-stream"}
}

// message is one JSON-RPC message as received.
type message struct {
	ID     any             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// post sends one JSON-RPC message and returns the response and every
// message of its body in order (one for a JSON body, each event of an SSE
// body).
func (c *rawClient) post(body any) (*http.Response, []message) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", c.accept)
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var msgs []message
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var m message
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				c.t.Fatalf("SSE event %q: %v", data, err)
			}
			msgs = append(msgs, m)
			if m.Method != "" && m.ID != nil && c.answer != nil {
				go c.post(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": c.answer(m.Method, m.Params)})
			}
		}
		return resp, msgs
	}
	data, _ := io.ReadAll(resp.Body)
	if len(bytes.TrimSpace(data)) > 0 && resp.StatusCode == http.StatusOK {
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Fatalf("JSON body %q: %v", data, err)
		}
		msgs = append(msgs, m)
	}
	return resp, msgs
}

func (c *rawClient) initialize() {
	c.t.Helper()
	resp, msgs := c.post(map[string]any{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": map[string]any{
		"protocolVersion": "2025-06-18", "clientInfo": map[string]string{"name": "raw", "version": "1"},
		"capabilities": map[string]any{"sampling": map[string]any{}, "elicitation": map[string]any{}},
	}})
	if resp.StatusCode != http.StatusOK || len(msgs) != 1 || msgs[0].Result == nil {
		c.t.Fatalf("initialize: %d %+v", resp.StatusCode, msgs)
	}
	c.session = resp.Header.Get("Mcp-Session-Id")
	c.post(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
}

// listen opens the session's standalone GET stream until the test ends.
func (c *rawClient) listen() {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", c.session)
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET stream: %v %v", resp, err)
	}
	go func() {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
}

func (c *rawClient) call(id int, tool string, meta map[string]any) []message {
	c.t.Helper()
	params := map[string]any{"name": tool, "arguments": map[string]any{}}
	if meta != nil {
		params["_meta"] = meta
	}
	resp, msgs := c.post(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("tools/call %s: HTTP %d", tool, resp.StatusCode)
	}
	return msgs
}

func httpServer(t *testing.T, opts HTTPOptions, tools ...Tool) http.Handler {
	t.Helper()
	s, err := New(tools, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.HTTPHandler(opts))
	return mux
}

var okResult = json.RawMessage(`{"content":[{"type":"text","text":"ok"}],"structuredContent":{"echo":"ok"}}`)

// chattyTool reports progress three times, each followed by an info and a
// debug log message, then answers okResult.
func chattyTool() *fakeTool {
	return newFake("chatty", func(ctx context.Context, _ json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error) {
		c := plugin.ClientFrom(ctx)
		for i := range 3 {
			progress(plugin.Progress{Progress: float64(i * 50), Total: 100})
			c.Log(ctx, plugin.LogMessage{Level: "info", Data: json.RawMessage(fmt.Sprintf(`"step %d"`, i))})
			c.Log(ctx, plugin.LogMessage{Level: "debug", Data: json.RawMessage(`"below the client's level"`)})
		}
		return okResult, nil
	})
}

// Every progress and log notification a tool sends arrives on the call's
// own response, before the result, in the order sent — the guarantee
// mcp-go's shared per-session channel cannot give (stream.go).
func TestNotificationsPrecedeTheResultOnTheSameStream(t *testing.T) {
	tool := chattyTool()
	for _, stateless := range []bool{false, true} {
		t.Run(fmt.Sprintf("stateless=%v", stateless), func(t *testing.T) {
			c := newRawClient(t, httpServer(t, HTTPOptions{Stateless: stateless}, tool))
			c.initialize()
			if !stateless {
				c.post(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "logging/setLevel", "params": map[string]string{"level": "info"}})
				// The standalone GET stream is open, as the TypeScript
				// SDK opens it: with mcp-go's delivery it competes for
				// the session's notifications.
				c.listen()
			}
			for round := range 20 {
				msgs := c.call(10+round, "chatty", map[string]any{"progressToken": "p"})
				var got []string
				for _, m := range msgs {
					switch {
					case m.Method == "notifications/progress":
						var p struct{ Progress float64 }
						json.Unmarshal(m.Params, &p)
						got = append(got, fmt.Sprintf("progress %v", p.Progress))
					case m.Method == "notifications/message":
						var p struct{ Data string }
						json.Unmarshal(m.Params, &p)
						got = append(got, p.Data)
					case m.Result != nil:
						got = append(got, "result")
					}
				}
				want := "progress 0,step 0,progress 50,step 1,progress 100,step 2,result"
				if stateless {
					// No session remembers a level, so no log message is
					// sent; progress still travels on the stream.
					want = "progress 0,progress 50,progress 100,result"
				}
				if g := strings.Join(got, ","); g != want {
					t.Fatalf("round %d: messages = %s, want %s", round, g, want)
				}
			}
		})
	}
}

// A client that accepts SSE gets a one-event stream; one that accepts only
// JSON gets JSON.
func TestAnswerFormatFollowsAccept(t *testing.T) {
	tool := newFake("plain", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return okResult, nil
	})
	for accept, want := range map[string]string{
		"application/json, text/event-stream": "text/event-stream",
		"application/json":                    "application/json",
	} {
		c := newRawClient(t, httpServer(t, HTTPOptions{}, tool))
		c.accept = accept
		c.initialize()
		resp, msgs := c.post(map[string]any{"jsonrpc": "2.0", "id": 5, "method": "tools/list"})
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, want) || len(msgs) != 1 || msgs[0].Result == nil {
			t.Errorf("Accept %q: Content-Type %q, messages %+v; want %s with one result", accept, ct, msgs, want)
		}
	}
}

// A plugin's sampling and elicitation requests travel on the call's own
// stream, and the client's answers, POSTed back, reach the waiting call.
func TestClientRequestsTravelOnTheRequestStream(t *testing.T) {
	tool := newFake("asker", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		c := plugin.ClientFrom(ctx)
		sampled, err := c.CreateMessage(ctx, json.RawMessage(`{"messages":[{"role":"user","content":{"type":"text","text":"hi"}}],"maxTokens":10}`))
		if err != nil {
			return nil, err
		}
		elicited, err := c.Elicit(ctx, json.RawMessage(`{"message":"name?","requestedSchema":{"type":"object","properties":{"name":{"type":"string","default":"x"}}}}`))
		if err != nil {
			return nil, err
		}
		out, _ := json.Marshal(map[string]any{"content": []any{}, "structuredContent": map[string]json.RawMessage{"echo": json.RawMessage(fmt.Sprintf(`[%s,%s]`, sampled, elicited))}})
		return out, nil
	})
	for _, stateless := range []bool{false, true} {
		c := newRawClient(t, httpServer(t, HTTPOptions{Stateless: stateless}, tool))
		var asked []string
		c.answer = func(method string, params json.RawMessage) any {
			asked = append(asked, method+" "+string(params))
			if method == "sampling/createMessage" {
				return map[string]any{"role": "assistant", "content": map[string]string{"type": "text", "text": "hello"}, "model": "m"}
			}
			return map[string]any{"action": "accept", "content": map[string]string{"name": "Ada"}}
		}
		c.initialize()
		msgs := c.call(7, "asker", nil)
		last := msgs[len(msgs)-1]
		if len(msgs) != 3 || !bytes.Contains(last.Result, []byte(`"hello"`)) || !bytes.Contains(last.Result, []byte(`"Ada"`)) {
			t.Fatalf("stateless=%v: messages %+v", stateless, msgs)
		}
		// The elicitation schema reaches the client byte for byte.
		if len(asked) != 2 || !strings.Contains(asked[1], `"default":"x"`) {
			t.Fatalf("stateless=%v: client was asked %q", stateless, asked)
		}
	}
}

// Stateful mode knows its sessions: a request with an unknown session id,
// or one the client terminated, gets 404 and the client must start over.
// Stateless mode issues none and accepts any.
func TestSessionIDsAreValidated(t *testing.T) {
	tool := newFake("plain", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return okResult, nil
	})
	h := httpServer(t, HTTPOptions{}, tool)
	c := newRawClient(t, h)
	c.initialize()
	if !strings.HasPrefix(c.session, "easel-") {
		t.Fatalf("session id %q", c.session)
	}
	if resp, _ := c.post(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "ping"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("ping in a live session: %d", resp.StatusCode)
	}
	live := c.session
	c.session = "easel-" + strings.Repeat("A", 26)
	if resp, _ := c.post(map[string]any{"jsonrpc": "2.0", "id": 2, "method": "ping"}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown session: %d, want 404", resp.StatusCode)
	}
	c.session = live
	req, _ := http.NewRequest("DELETE", c.url, nil)
	req.Header.Set("Mcp-Session-Id", live)
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	if resp, _ := c.post(map[string]any{"jsonrpc": "2.0", "id": 3, "method": "ping"}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("terminated session: %d, want 404", resp.StatusCode)
	}

	sl := newRawClient(t, httpServer(t, HTTPOptions{Stateless: true}, tool))
	sl.initialize()
	if sl.session != "" {
		t.Fatalf("stateless mode issued session id %q", sl.session)
	}
	sl.session = "anything"
	if resp, _ := sl.post(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "ping"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("stateless ping: %d", resp.StatusCode)
	}
}

// notifications/cancelled, sent on its own POST, ends the context the
// running call sees, so a plugin call stops (plugin.TestCancel shows the
// wasm side); the call's response never arrives.
func TestCancelledNotificationStopsTheCallOverHTTP(t *testing.T) {
	started, stopped := make(chan struct{}), make(chan error, 1)
	tool := newFake("spin", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		close(started)
		select {
		case <-ctx.Done():
			stopped <- ctx.Err()
			return nil, ctx.Err()
		case <-time.After(30 * time.Second):
			stopped <- errors.New("not cancelled")
			return okResult, nil
		}
	})
	c := newRawClient(t, httpServer(t, HTTPOptions{}, tool))
	c.initialize()
	go c.call(42, "spin", nil)
	<-started
	c.post(map[string]any{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": map[string]any{"requestId": 42, "reason": "user"}})
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("the call ended with %v, want context.Canceled", err)
	}
}

// A POST body as large as http.max_body_bytes allows reaches the server
// (upload_image's largest image is 21.4 MiB as base64), and one over the
// handler's own cap gets 413 naming the limit.
func TestHTTPBodyLimit(t *testing.T) {
	ping := func(pad int) map[string]any {
		return map[string]any{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": map[string]any{"_meta": map[string]any{"pad": strings.Repeat("x", pad)}}}
	}
	for _, tc := range []struct {
		name string
		max  int64
		pad  int
		want int
	}{
		{"20 MiB under the default", 0, 20 << 20, http.StatusOK},
		{"over the default", 0, DefaultMaxBodyBytes, http.StatusRequestEntityTooLarge},
		{"under a configured cap", 4096, 1024, http.StatusOK},
		{"over a configured cap", 4096, 8192, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newRawClient(t, httpServer(t, HTTPOptions{Stateless: true, MaxBodyBytes: tc.max}))
			resp, _ := c.post(ping(tc.pad))
			if resp.StatusCode != tc.want {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
