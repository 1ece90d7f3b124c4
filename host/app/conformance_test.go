package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// serve starts a with its MCP handler at /mcp.
func serve(t *testing.T, a *App) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/mcp", a.MCPHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

// The conformance example's tool-less plugin provides prompts, resources
// and a template next to another plugin's tool, all through the app.
func TestPluginPromptsAndResourcesAreServed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two plugins")
	}
	dir := t.TempDir()
	examples, _ := filepath.Abs(filepath.Join("..", "..", "examples", "conformance"))
	cfgPath := filepath.Join(dir, "tools.yaml")
	os.WriteFile(cfgPath, []byte("tools:\n  - name: library\n    plugin: "+filepath.Join(examples, "library")+
		"\n  - name: test_simple_text\n    plugin: "+filepath.Join(examples, "content")+"\n"), 0o600)
	cfg := loadConfig(t, cfgPath, map[string]string{"EASEL_CACHE_DIR": testCacheDir(t)})
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	c, err := client.NewStreamableHttpClient(serve(t, a))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil || len(tools.Tools) != 1 {
		t.Fatalf("tools/list: %d tools, %v; want 1 (the library entry has no tool)", len(tools.Tools), err)
	}
	prompts, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	if err != nil || len(prompts.Prompts) != 4 {
		t.Fatalf("prompts/list = %+v, %v", prompts, err)
	}
	get := mcp.GetPromptRequest{}
	get.Params.Name, get.Params.Arguments = "test_prompt_with_arguments", map[string]string{"arg1": "a", "arg2": "b"}
	p, err := c.GetPrompt(ctx, get)
	if err != nil || len(p.Messages) != 1 || p.Messages[0].Content.(mcp.TextContent).Text != "Prompt with arguments: arg1='a', arg2='b'" {
		t.Fatalf("prompts/get = %+v, %v", p, err)
	}
	read := mcp.ReadResourceRequest{}
	read.Params.URI = "test://template/123/data"
	r, err := c.ReadResource(ctx, read)
	if err != nil || len(r.Contents) != 1 || !strings.Contains(r.Contents[0].(mcp.TextResourceContents).Text, `"id":"123"`) {
		t.Fatalf("resources/read of a template URI = %+v, %v", r, err)
	}
	comp := mcp.CompleteRequest{}
	comp.Params.Ref = mcp.PromptReference{Type: "ref/prompt", Name: "test_prompt_with_arguments"}
	comp.Params.Argument.Name, comp.Params.Argument.Value = "arg1", "tes"
	cr, err := c.Complete(ctx, comp)
	if err != nil || strings.Join(cr.Completion.Values, ",") != "test,test-value,testing" {
		t.Fatalf("completion/complete = %+v, %v", cr, err)
	}
}

// Two plugins may not provide the same prompt or resource; the second is
// refused at start-up with its tools.yaml line.
func TestDuplicatePromptIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin")
	}
	dir := t.TempDir()
	library, _ := filepath.Abs(filepath.Join("..", "..", "examples", "conformance", "library"))
	cfgPath := filepath.Join(dir, "tools.yaml")
	os.WriteFile(cfgPath, []byte("tools:\n  - name: one\n    plugin: "+library+"\n  - name: two\n    plugin: "+library+"\n"), 0o600)
	cfg := loadConfig(t, cfgPath, map[string]string{"EASEL_CACHE_DIR": testCacheDir(t)})
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger()})
	if err == nil {
		a.Close(context.Background())
		t.Fatal("two plugins with the same prompts were accepted")
	}
	if !strings.Contains(err.Error(), "tools.yaml:4") || !strings.Contains(err.Error(), "already provided by plugin one") {
		t.Fatalf("error %q should name the second entry's line and the first plugin", err)
	}
}

// notifications/cancelled stops a plugin call that would otherwise spin
// until its 2-minute timeout: only the runtime's interruption of the wasm
// loop can end it, and the instance is replaced for the next call.
func TestCancelledNotificationStopsAPluginCall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin")
	}
	dir := t.TempDir()
	probe, _ := filepath.Abs(filepath.Join("..", "plugin", "testdata", "probe"))
	cfgPath := filepath.Join(dir, "tools.yaml")
	os.WriteFile(cfgPath, []byte("tools:\n  - name: probe\n    plugin: "+probe+"\n"), 0o600)
	cfg := loadConfig(t, cfgPath, map[string]string{"EASEL_CACHE_DIR": testCacheDir(t)})
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	url := serve(t, a)
	post := func(session string, body string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := post("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	session := resp.Header.Get("Mcp-Session-Id")
	post(session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)

	done := make(chan string, 1)
	go func() {
		_, body := post(session, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"probe","arguments":{"mode":"spin"}}}`)
		done <- body
	}()
	// A cancel that arrives before the server registered the call is
	// ignored, as MCP allows, so repeat it until the call ends.
	deadline := time.After(60 * time.Second)
	for stopped := false; !stopped; {
		post(session, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"test"}}`)
		select {
		case <-done:
			stopped = true
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("the spinning call did not stop after notifications/cancelled")
		}
	}
	_, body := post(session, `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"probe","arguments":{"mode":"echo","text":"after"}}}`)
	var m struct {
		Result struct {
			StructuredContent map[string]string `json:"structuredContent"`
		} `json:"result"`
	}
	_, data, _ := strings.Cut(body, "data: ") // an SSE stream of one event
	if err := json.NewDecoder(strings.NewReader(data)).Decode(&m); err != nil || m.Result.StructuredContent["text"] != "after" {
		t.Fatalf("call after the cancelled one: %q, %v", body, err)
	}
}

// A reload replaces the prompts and resources with those of the new set
// of plugins, and a plugin without a tool never becomes a nameless tool.
func TestReloadReplacesPromptsAndResources(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two plugins")
	}
	dir := t.TempDir()
	examples, _ := filepath.Abs(filepath.Join("..", "..", "examples", "conformance"))
	cfgPath := filepath.Join(dir, "tools.yaml")
	write := func(entries string) {
		if err := os.WriteFile(cfgPath, []byte("tools:\n"+entries), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	library := "  - name: lib\n    plugin: " + filepath.Join(examples, "library") + "\n"
	text := "  - name: test_simple_text\n    plugin: " + filepath.Join(examples, "content") + "\n"
	write(library + text)
	cfg := loadConfig(t, cfgPath, map[string]string{"EASEL_CACHE_DIR": testCacheDir(t)})
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	c, err := client.NewStreamableHttpClient(serve(t, a))
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
	counts := func() (tools, prompts, resources int) {
		t.Helper()
		tl, err1 := c.ListTools(ctx, mcp.ListToolsRequest{})
		pl, err2 := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
		rl, err3 := c.ListResources(ctx, mcp.ListResourcesRequest{})
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		return len(tl.Tools), len(pl.Prompts), len(rl.Resources)
	}
	if tl, pr, rs := counts(); tl != 1 || pr != 4 || rs != 3 {
		t.Fatalf("before reload: %d tools, %d prompts, %d resources; want 1, 4, 3", tl, pr, rs)
	}
	write(strings.Replace(library, "name: lib", "name: lib2", 1) + text) // a new entry: loaded afresh
	if changed, err := a.Reload(ctx); err != nil || !changed {
		t.Fatalf("reload: %v, %v", changed, err)
	}
	if tl, pr, rs := counts(); tl != 1 || pr != 4 || rs != 3 {
		t.Fatalf("after replacing the library: %d tools, %d prompts, %d resources; want 1, 4, 3", tl, pr, rs)
	}
	get := mcp.GetPromptRequest{}
	get.Params.Name = "test_simple_prompt"
	if _, err := c.GetPrompt(ctx, get); err != nil {
		t.Fatalf("prompts/get after reload: %v", err)
	}
	write(text)
	if _, err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if tl, pr, rs := counts(); tl != 1 || pr != 0 || rs != 0 {
		t.Fatalf("after removing the library: %d tools, %d prompts, %d resources; want 1, 0, 0", tl, pr, rs)
	}
}
