package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// fakeTool stands in for a plugin so that the MCP mapping is tested without
// wasm; the wasm path is covered by host/plugin and the end-to-end tests.
type fakeTool struct {
	info plugin.ToolInfo
	call func(ctx context.Context, args json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error)
}

func (f *fakeTool) Name() string          { return f.info.Name }
func (f *fakeTool) Tool() plugin.ToolInfo { return f.info }
func (f *fakeTool) Call(ctx context.Context, args json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error) {
	return f.call(ctx, args, progress)
}

func newFake(name string, call func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error)) *fakeTool {
	return &fakeTool{
		info: plugin.ToolInfo{
			Name:         name,
			Description:  "test tool " + name,
			InputSchema:  json.RawMessage(`{"type":"object","properties":{"x":{"type":"string","description":"an x"}},"additionalProperties":false}`),
			OutputSchema: json.RawMessage(`{"type":"object","properties":{"echo":{}}}`),
			Annotations:  json.RawMessage(`{"readOnlyHint":true,"idempotentHint":true}`),
		},
		call: call,
	}
}

func connect(t *testing.T, tools ...Tool) *client.Client {
	t.Helper()
	return connectWith(t, Options{Version: "test"}, tools...)
}

func connectWith(t *testing.T, opts Options, tools ...Tool) *client.Client {
	t.Helper()
	s, err := New(tools, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s.mcp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
	return c
}

func callTool(ctx context.Context, c *client.Client, name string, args any, meta *mcp.Meta) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	req.Params.Meta = meta
	return c.CallTool(ctx, req)
}

func TestListKeepsPluginSchemas(t *testing.T) {
	c := connect(t, newFake("echo", nil))
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res.Tools)
	for _, want := range []string{`"name":"echo"`, `"additionalProperties":false`, `"description":"an x"`, `"readOnlyHint":true`, `"outputSchema":{"properties":{"echo":{}}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("tools/list %s lacks %s", raw, want)
		}
	}
}

func TestCallPassesArgumentsAndResult(t *testing.T) {
	var got json.RawMessage
	tool := newFake("echo", func(ctx context.Context, args json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		got = args
		return json.RawMessage(`{"content":[{"type":"text","text":"{\"echo\":1}"}],"structuredContent":{"echo":1}}`), nil
	})
	c := connect(t, tool)
	res, err := callTool(context.Background(), c, "echo", map[string]any{"x": "18446744073709551615"}, nil)
	if err != nil || res.IsError {
		t.Fatalf("call = %+v, %v", res, err)
	}
	if !strings.Contains(string(got), `"x":"18446744073709551615"`) {
		t.Errorf("plugin got arguments %s", got)
	}
	if sc, _ := json.Marshal(res.StructuredContent); string(sc) != `{"echo":1}` {
		t.Errorf("structuredContent = %s", sc)
	}
}

func TestCallErrorIsAToolError(t *testing.T) {
	tool := newFake("boom", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return nil, &plugin.CallError{Tool: "boom", Reason: "wasm error: unreachable", Stderr: "panic: boom"}
	})
	c := connect(t, tool)
	res, err := callTool(context.Background(), c, "boom", map[string]any{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(res.Content[0].(mcp.TextContent).Text, "plugin boom failed: wasm error: unreachable (plugin stderr: panic: boom)") {
		t.Fatalf("got %+v, want an isError result quoting the failure", res)
	}
}

func TestProgressIsForwardedWithTheToken(t *testing.T) {
	tool := newFake("slow", func(ctx context.Context, _ json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error) {
		if progress == nil {
			return nil, errors.New("no progress sink although the client sent a token")
		}
		for i := 1; i <= 3; i++ {
			progress(plugin.Progress{Progress: float64(i), Total: 3, Message: "step"})
		}
		return json.RawMessage(`{"content":[{"type":"text","text":"ok"}],"structuredContent":{"echo":"ok"}}`), nil
	})
	c := connect(t, tool)
	var mu sync.Mutex
	var got []mcp.JSONRPCNotification
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		mu.Lock()
		defer mu.Unlock()
		if n.Method == "notifications/progress" {
			got = append(got, n)
		}
	})
	res, err := callTool(context.Background(), c, "slow", map[string]any{}, &mcp.Meta{ProgressToken: "tok-1"})
	if err != nil || res.IsError {
		t.Fatalf("call = %+v, %v", res, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("got %d progress notifications, want 3", len(got))
	}
	if p := got[2].Params.AdditionalFields; p["progressToken"] != "tok-1" || p["progress"] != 3.0 || p["total"] != 3.0 {
		t.Errorf("last progress = %v", p)
	}
}

func TestNoTokenNoProgress(t *testing.T) {
	tool := newFake("quiet", func(ctx context.Context, _ json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error) {
		if progress != nil {
			return nil, errors.New("progress sink without a token")
		}
		return json.RawMessage(`{"content":[{"type":"text","text":"ok"}],"structuredContent":{"echo":"ok"}}`), nil
	})
	c := connect(t, tool)
	if res, err := callTool(context.Background(), c, "quiet", map[string]any{}, nil); err != nil || res.IsError {
		t.Fatalf("call = %+v, %v", res, err)
	}
}

// connectStdio serves s over in-memory pipes with the stdio transport, so
// that cancellation travels as a real notifications/cancelled message.
func connectStdio(t *testing.T, tools ...Tool) *client.Client {
	t.Helper()
	return connectStdioWith(t, nil, tools...)
}

// connectStdioWith is connectStdio with options for mcp-go's client, such
// as sampling and elicitation handlers.
func connectStdioWith(t *testing.T, opts []client.ClientOption, tools ...Tool) *client.Client {
	t.Helper()
	s, err := New(tools, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeStdio(ctx, toServer, fromServer) }()
	c := client.NewClient(transport.NewIO(toClient, fromClient, io.NopCloser(strings.NewReader(""))), opts...)
	t.Cleanup(func() {
		c.Close()
		cancel()
		fromClient.Close()
		toClient.Close() // a response still being written fails instead of blocking
		<-done
	})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
	return c
}

// The plugin runs under the request's context: when the client cancels
// (notifications/cancelled over stdio), the context the plugin sees ends.
func TestClientCancellationReachesThePlugin(t *testing.T) {
	stopped := make(chan error, 1)
	tool := newFake("spin", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		<-ctx.Done()
		stopped <- ctx.Err()
		return nil, ctx.Err()
	})
	c := connectStdio(t, tool)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := callTool(ctx, c, "spin", map[string]any{}, nil); err == nil {
		t.Fatal("cancelled call returned no error")
	}
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("plugin context ended with %v, want Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the plugin's context was not cancelled")
	}
}

// fakeFiles serves one PNG and refuses everything else.
type fakeFiles struct{}

func (fakeFiles) ReadFile(ctx context.Context, uri string) ([]byte, string, error) {
	if uri != "comfyui://output/sub/a.png" {
		return nil, "", errors.New("ComfyUI has no such file")
	}
	return []byte("\x89PNG"), "image/png", nil
}

func TestComfyUIFilesAreResources(t *testing.T) {
	s, err := New(nil, Options{Files: fakeFiles{}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s.mcp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	c.Start(ctx)
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	templates, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil || len(templates.ResourceTemplates) != 1 || templates.ResourceTemplates[0].URITemplate.Raw() != FileTemplate {
		t.Fatalf("templates = %+v, %v", templates, err)
	}
	req := mcp.ReadResourceRequest{}
	req.Params.URI = "comfyui://output/sub/a.png"
	res, err := c.ReadResource(ctx, req)
	if err != nil || len(res.Contents) != 1 {
		t.Fatalf("read = %+v, %v", res, err)
	}
	blob, ok := res.Contents[0].(mcp.BlobResourceContents)
	if !ok || blob.MIMEType != "image/png" || blob.Blob != "iVBORw==" {
		t.Fatalf("contents = %+v", res.Contents[0])
	}
	req.Params.URI = "comfyui://output/missing.png"
	if _, err := c.ReadResource(ctx, req); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing file: %v", err)
	}
}
