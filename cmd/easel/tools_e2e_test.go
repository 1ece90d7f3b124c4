package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestBundledToolsEndToEnd serves the repository's own tools.yaml and drives
// a real MCP client through the agent's loop: enqueue a workflow, wait for it
// with progress, read its history, look at the image, fetch the full file.
func TestBundledToolsEndToEnd(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	env := append(os.Environ(), "COMFYUI_URL="+srv.URL, "EASEL_CACHE_DIR="+cacheDir)
	c, err := client.NewStdioMCPClient(binary, env, "serve", "--config", repoPath(t, "tools.yaml"), "--log-level", "debug")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	logStderr(t, c)
	if err := c.Start(context.Background()); err != nil { // routes notifications to OnNotification
		t.Fatal(err)
	}
	var mu sync.Mutex
	var progress []map[string]any
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			mu.Lock()
			progress = append(progress, n.Params.AdditionalFields)
			mu.Unlock()
		}
	})
	initializeWithin(t, c, 10*time.Minute) // a cold cache builds every bundled plugin first
	ctx := context.Background()

	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(list)
	t.Logf("tools/list: %d tools, %d bytes", len(list.Tools), len(raw))
	names := map[string]bool{}
	for _, tool := range list.Tools {
		names[tool.Name] = true
		if tool.Description == "" {
			t.Errorf("tool %s has no description", tool.Name)
		}
	}
	for _, want := range []string{"enqueue_workflow", "wait_for_job", "get_history", "get_image", "get_job_status"} {
		if !names[want] {
			t.Fatalf("tools/list lacks %s: %v", want, names)
		}
	}

	call := func(name string, args map[string]any, meta *mcp.Meta) *mcp.CallToolResult {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute) // a first call may wait for its plugin to build
		defer cancel()
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments, req.Params.Meta = name, args, meta
		res, err := c.CallTool(cctx, req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.IsError {
			t.Fatalf("%s returned an error: %s", name, text(res))
		}
		return res
	}
	structured := func(res *mcp.CallToolResult) map[string]any {
		t.Helper()
		m, ok := res.StructuredContent.(map[string]any)
		if !ok {
			t.Fatalf("no structuredContent: %+v", res)
		}
		return m
	}

	// 1. enqueue_workflow, with the queue held so that the job is seen waiting.
	srv.PauseWorker()
	defer srv.ResumeWorker()
	workflow := map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 320, "height": 200, "batch_size": 1, "color": 3355647}},
		"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
		"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "e2e/inverted"}},
	}
	enq := structured(call("enqueue_workflow", map[string]any{"workflow": workflow}, nil))
	id, _ := enq["prompt_id"].(string)
	if id == "" {
		t.Fatalf("enqueue_workflow gave no prompt_id: %v", enq)
	}

	// 2. wait_for_job with a progress token; the worker starts meanwhile.
	// (A first call makes sure the plugin has finished loading in the
	// background, so that the job runs while the host waits.)
	if st := structured(call("wait_for_job", map[string]any{"prompt_id": "warm-up", "timeout_s": 1}, nil)); st["found"] != false {
		t.Fatalf("wait_for_job on an unknown id: %v", st)
	}
	time.AfterFunc(500*time.Millisecond, srv.ResumeWorker)
	waited := structured(call("wait_for_job", map[string]any{"prompt_id": id, "timeout_s": 60}, &mcp.Meta{ProgressToken: "e2e-wait"}))
	if waited["done"] != true || waited["outcome"] != "success" {
		t.Fatalf("wait_for_job = %v", waited)
	}
	mu.Lock()
	got := append([]map[string]any(nil), progress...)
	mu.Unlock()
	var queued, node bool
	last := -1.0
	for _, p := range got {
		if p["progressToken"] != "e2e-wait" {
			t.Errorf("progress with another token: %v", p)
		}
		v, _ := p["progress"].(float64)
		if v < last {
			t.Errorf("progress went backwards: %v", got)
		}
		last = v
		msg, _ := p["message"].(string)
		queued = queued || strings.Contains(msg, "queued")
		node = node || strings.Contains(msg, "running node")
	}
	if !queued || !node {
		t.Errorf("progress notifications %v: want the queue position and the running node", got)
	}

	// 3. get_history names the output file.
	hist := structured(call("get_history", map[string]any{"prompt_id": id}, nil))
	file := findFile(t, hist)
	if file["filename"] != "inverted_00001_.png" || file["subfolder"] != "e2e" {
		t.Fatalf("history output = %v", file)
	}

	// 4. get_image shows it and links the full file.
	img := call("get_image", map[string]any{"filename": file["filename"], "subfolder": file["subfolder"], "type": file["type"], "max_dimension": 160}, nil)
	var link string
	var sawImage bool
	for _, content := range img.Content {
		switch v := content.(type) {
		case mcp.ImageContent:
			sawImage = v.MIMEType == "image/jpeg" && v.Data != ""
		case mcp.ResourceLink:
			link = v.URI
		}
	}
	if !sawImage || link != "comfyui://output/e2e/inverted_00001_.png" {
		t.Fatalf("get_image content: %+v", img.Content)
	}

	// 5. resources/read returns the full PNG, byte for byte.
	rreq := mcp.ReadResourceRequest{}
	rreq.Params.URI = link
	res, err := c.ReadResource(ctx, rreq)
	if err != nil || len(res.Contents) != 1 {
		t.Fatalf("resources/read %s: %+v, %v", link, res, err)
	}
	blob, ok := res.Contents[0].(mcp.BlobResourceContents)
	data, _ := base64.StdEncoding.DecodeString(blob.Blob)
	want, _ := srv.File("output", "e2e", "inverted_00001_.png")
	if !ok || blob.MIMEType != "image/png" || !bytes.Equal(data, want) || len(want) == 0 {
		t.Fatalf("resources/read gave %s %d bytes, want the %d-byte PNG", blob.MIMEType, len(data), len(want))
	}
}

// findFile digs the first output file out of get_history's answer.
func findFile(t *testing.T, hist map[string]any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(hist)
	var h struct {
		Entries []struct {
			Outputs []struct {
				Files []map[string]any `json:"files"`
			} `json:"outputs"`
		} `json:"entries"`
	}
	json.Unmarshal(raw, &h)
	for _, e := range h.Entries {
		for _, o := range e.Outputs {
			if len(o.Files) > 0 {
				return o.Files[0]
			}
		}
	}
	t.Fatalf("no output file in get_history: %s", raw)
	return nil
}

func initializeWithin(t *testing.T, c *client.Client, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "easel-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
}

// logStderr copies the server's log into the test log, where a failure
// shows it.
func logStderr(t *testing.T, c *client.Client) {
	r, ok := client.GetStderr(c)
	if !ok {
		return
	}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			t.Log(sc.Text())
		}
	}()
}
