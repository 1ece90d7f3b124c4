package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// Tool calls over stdio do not queue behind each other: with more calls
// waiting than mcp-go's stdio server ever ran at once (100), a quick call
// is still answered at once. wait_for_job calls are such waits, and an
// agent polling other jobs meanwhile must not stall behind them.
func TestStdioCallsDoNotQueueBehindWaits(t *testing.T) {
	const waiting = 150
	release := make(chan struct{})
	var releaseOnce sync.Once
	defer releaseOnce.Do(func() { close(release) }) // a failed test ends the waits too
	var started sync.WaitGroup
	started.Add(waiting)
	wait := newFake("wait", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		started.Done()
		select {
		case <-release:
		case <-ctx.Done():
		}
		return json.RawMessage(`{"content":[{"type":"text","text":"{}"}],"structuredContent":{}}`), nil
	})
	quick := newFake("quick", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return json.RawMessage(`{"content":[{"type":"text","text":"{\"echo\":1}"}],"structuredContent":{"echo":1}}`), nil
	})
	c := connectStdio(t, wait, quick)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var calls sync.WaitGroup
	for range waiting {
		calls.Go(func() {
			if res, err := callTool(ctx, c, "wait", map[string]any{}, nil); err != nil || res.IsError {
				t.Errorf("wait = %+v, %v", res, err)
			}
		})
	}
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()
	select {
	case <-allStarted:
	case <-time.After(20 * time.Second):
		t.Fatalf("not every one of %d waiting calls reached its tool: calls queue behind each other", waiting)
	}
	quickCtx, quickCancel := context.WithTimeout(ctx, 10*time.Second)
	defer quickCancel()
	if res, err := callTool(quickCtx, c, "quick", map[string]any{}, nil); err != nil || res.IsError {
		t.Errorf("quick call while %d wait: %+v, %v", waiting, res, err)
	}
	releaseOnce.Do(func() { close(release) })
	calls.Wait()
}

// sampler and elicitor answer a plugin's requests as a client's user would.
type sampler struct{}

func (sampler) CreateMessage(_ context.Context, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	if len(req.Messages) != 1 {
		return nil, fmt.Errorf("%d messages", len(req.Messages))
	}
	return &mcp.CreateMessageResult{
		SamplingMessage: mcp.SamplingMessage{Role: mcp.RoleAssistant, Content: mcp.TextContent{Type: "text", Text: "hello"}},
		Model:           "m",
	}, nil
}

type elicitor struct{}

func (elicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action:  mcp.ElicitationResponseActionAccept,
		Content: map[string]any{"name": "Ada", "asked": req.Params.Message},
	}}, nil
}

// A plugin's sampling and elicitation requests reach a stdio client, and
// its answers reach the waiting call, with other calls running meanwhile.
func TestStdioClientRequests(t *testing.T) {
	asker := newFake("asker", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		c := plugin.ClientFrom(ctx)
		sampled, err := c.CreateMessage(ctx, json.RawMessage(`{"messages":[{"role":"user","content":{"type":"text","text":"hi"}}],"maxTokens":10}`))
		if err != nil {
			return nil, err
		}
		elicited, err := c.Elicit(ctx, json.RawMessage(`{"message":"name?","requestedSchema":{"type":"object","properties":{"name":{"type":"string"}}}}`))
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"content": []any{}, "structuredContent": map[string]json.RawMessage{"echo": json.RawMessage(fmt.Sprintf(`[%s,%s]`, sampled, elicited))}})
	})
	c := connectStdioWith(t, []client.ClientOption{client.WithSamplingHandler(sampler{}), client.WithElicitationHandler(elicitor{})}, asker)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var calls sync.WaitGroup
	for range 20 {
		calls.Go(func() {
			res, err := callTool(ctx, c, "asker", map[string]any{}, nil)
			if err != nil || res.IsError {
				t.Errorf("asker = %+v, %v", res, err)
				return
			}
			got, _ := json.Marshal(res.StructuredContent)
			if !strings.Contains(string(got), `"hello"`) || !strings.Contains(string(got), `"Ada"`) || !strings.Contains(string(got), `"name?"`) {
				t.Errorf("asker's answers = %s", got)
			}
		})
	}
	calls.Wait()
}

// Progress and log messages a call sends arrive before its result, in the
// order sent.
func TestStdioNotificationsPrecedeTheResult(t *testing.T) {
	c := connectStdio(t, chattyTool())
	var mu sync.Mutex
	var got []string
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		mu.Lock()
		defer mu.Unlock()
		switch n.Method {
		case "notifications/progress":
			got = append(got, fmt.Sprintf("progress %v", n.Params.AdditionalFields["progress"]))
		case "notifications/message":
			got = append(got, fmt.Sprint(n.Params.AdditionalFields["data"]))
		}
	})
	ctx := context.Background()
	if err := c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelInfo}}); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		mu.Lock()
		got = nil
		mu.Unlock()
		if res, err := callTool(ctx, c, "chatty", map[string]any{}, &mcp.Meta{ProgressToken: "p"}); err != nil || res.IsError {
			t.Fatalf("chatty = %+v, %v", res, err)
		}
		mu.Lock()
		g := strings.Join(got, ",")
		mu.Unlock()
		if want := "progress 0,step 0,progress 50,step 1,progress 100,step 2"; g != want {
			t.Fatalf("round %d: before the result came %s, want %s", round, g, want)
		}
	}
}

// rawStdio serves s over pipes and speaks JSON-RPC lines to it directly.
type rawStdio struct {
	in  io.WriteCloser
	out *bufio.Reader
}

func newRawStdio(t *testing.T, tools ...Tool) *rawStdio {
	t.Helper()
	return newRawStdioWith(t, Options{Version: "test"}, tools...)
}

func newRawStdioWith(t *testing.T, opts Options, tools ...Tool) *rawStdio {
	t.Helper()
	s, err := New(tools, opts)
	if err != nil {
		t.Fatal(err)
	}
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.ServeStdio(context.Background(), toServer, fromServer) }()
	t.Cleanup(func() {
		fromClient.Close()
		toClient.Close()
		if err := <-done; err != nil {
			t.Errorf("ServeStdio: %v", err)
		}
	})
	return &rawStdio{in: fromClient, out: bufio.NewReader(toClient)}
}

func (r *rawStdio) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (r *rawStdio) next(t *testing.T) string {
	t.Helper()
	line, err := r.out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

// What is not a request gets the JSON-RPC error it earns, and what needs
// no answer gets none: each case is followed by a ping, whose answer must
// be the next line unless the case is answered.
func TestStdioFraming(t *testing.T) {
	r := newRawStdio(t)
	for _, tt := range []struct {
		name, line, want string // want "" means no answer
	}{
		{"blank line", "  \r", ""},
		{"not JSON", "hello", `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: invalid character 'h' looking for beginning of value at offset 0"}}`},
		{"not an object", "[1,2]", `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: a JSON-RPC message is an object"}}`},
		{"an answer to no request", `{"jsonrpc":"2.0","id":"easel-999","result":{}}`, ""},
		{"an answer with a foreign id", `{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"no"}}`, ""},
		{"a notification", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, ""},
		{"an id but no method (mcp-go's answer)", `{"jsonrpc":"2.0","id":2}`, `{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"Method  not found"}}`},
		{"a request", `{"jsonrpc":"2.0","id":"x","method":"ping"}`, `{"jsonrpc":"2.0","id":"x","result":{}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r.send(t, tt.line)
			if tt.want != "" {
				if got := r.next(t); got != tt.want {
					t.Fatalf("answer %s\nwant   %s", got, tt.want)
				}
			}
			r.send(t, `{"jsonrpc":"2.0","id":"fence","method":"ping"}`)
			if got := r.next(t); got != `{"jsonrpc":"2.0","id":"fence","result":{}}` {
				t.Fatalf("after %q the next line is %s, want the ping's answer", tt.line, got)
			}
		})
	}
}

// A busy worker never delays a job: run starts another goroutine, and an
// idle worker takes the next job instead of a new goroutine.
func TestWorkers(t *testing.T) {
	w := newWorkers(time.Minute)
	defer w.close()
	block := make(chan struct{})
	ran := make(chan string, 2)
	w.run(func() { ran <- "first"; <-block })
	w.run(func() { ran <- "second" })
	for range 2 {
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Fatal("a job did not run while the other blocked")
		}
	}
	close(block)
	before := runtime.NumGoroutine()
	for range 100 {
		done := make(chan struct{})
		w.run(func() { close(done) })
		<-done
		time.Sleep(time.Millisecond) // the worker is back waiting
	}
	// Without reuse each job leaves a goroutine waiting: before+100.
	if after := runtime.NumGoroutine(); after > before+10 {
		t.Errorf("100 jobs one after another left %d goroutines (%d before): idle workers are not reused", after, before)
	}
}

// A client of the initialize era (most clients today) gets its progress
// and log notifications, at the level it set, before the result of a
// tools/call served directly (toolcall.go), and a result without protocol
// 2026's decoration.
func TestStdioInitializeEraToolCall(t *testing.T) {
	r := newRawStdio(t, chattyTool())
	r.send(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if got := r.next(t); !strings.Contains(got, `"id":1,"result"`) {
		t.Fatalf("initialize: %s", got)
	}
	r.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(t, `{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"info"}}`)
	if got := r.next(t); got != `{"jsonrpc":"2.0","id":2,"result":{}}` {
		t.Fatalf("logging/setLevel: %s", got)
	}
	for _, id := range []string{"3", `"three"`} {
		call := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"chatty","arguments":{},"_meta":{"progressToken":"p"}}}`
		if _, ok := parseToolCall([]byte(call), nil); !ok {
			t.Fatal("the call is not one the direct path serves")
		}
		r.send(t, call)
		var got []string
		for {
			line := r.next(t)
			var msg struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
				Params struct {
					Progress float64 `json:"progress"`
					Token    string  `json:"progressToken"`
					Data     string  `json:"data"`
				} `json:"params"`
				Result *struct {
					ResultType string `json:"resultType"`
				} `json:"result"`
			}
			if err := json.Unmarshal([]byte(line), &msg); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if msg.Method == "" {
				if string(msg.ID) != id || msg.Result == nil || msg.Result.ResultType != "" {
					t.Fatalf("the answer %s: want a result for id %s without protocol 2026's resultType", line, id)
				}
				break
			}
			if msg.Method == "notifications/progress" {
				got = append(got, fmt.Sprintf("%s %v", msg.Params.Token, msg.Params.Progress))
			} else {
				got = append(got, msg.Params.Data)
			}
		}
		if g, want := strings.Join(got, ","), "p 0,step 0,p 50,step 1,p 100,step 2"; g != want {
			t.Fatalf("id %s: before the result came %s, want %s", id, g, want)
		}
	}
}
