package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestHotReload edits a running server's files while an MCP client is
// connected and a call is in flight: the client is told the tool list
// changed and sees the edits, the call finishes on the old plugin, and
// broken edits leave the last good tools serving.
func TestHotReload(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	dir := t.TempDir()
	plug := filepath.Join(dir, "queue_size")
	os.Mkdir(plug, 0o755)
	src, err := os.ReadFile(repoPath(t, "examples/queue_size/main.go"))
	if err != nil {
		t.Fatal(err)
	}
	// A plugin of its own module, as a plugin author's would be, using this
	// checkout's SDK.
	writeFile(t, filepath.Join(plug, "main.go"), string(src))
	writeAuthorModule(t, plug, "example.com/queue_size")
	cfgPath := filepath.Join(dir, "tools.yaml")
	header := fmt.Sprintf("comfyui:\n  url: %s\ncache_dir: %s\ntools:\n  - name: queue_size\n    plugin: queue_size\n    permissions: {comfyui: [GET /queue]}\n", srv.URL, cacheDir)
	statusPlugin := "    plugin: " + repoPath(t, "plugins/get_job_status") + "\n    permissions: {comfyui: [GET /queue, \"GET /history/*\"]}\n"
	writeFile(t, cfgPath, header+"  - name: wait_for_job\n    plugin: "+repoPath(t, "plugins/wait_for_job")+"\n    permissions: {comfyui: [GET /queue, \"GET /history/*\"], jobs: true}\n")

	c, err := client.NewStdioMCPClient(binary, os.Environ(), "serve", "--config", cfgPath, "--log-level", "debug")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	log := watchStderr(t, c)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	listChanged := make(chan struct{}, 16)
	featuresChanged := make(chan string, 16)
	progress := make(chan struct{}, 64)
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		switch n.Method {
		case "notifications/tools/list_changed":
			listChanged <- struct{}{}
		case "notifications/prompts/list_changed", "notifications/resources/list_changed":
			select {
			case featuresChanged <- n.Method:
			default:
			}
		case "notifications/progress":
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	})
	initializeWithin(t, c, 5*time.Minute) // builds the queue_size plugin first
	ctx := context.Background()
	log.waitFor(t, "watching for changes", time.Minute)

	// A call in flight on the old set: wait_for_job on a job that stays
	// pending, once the plugin has looked it up.
	if res := callTool(t, c, "wait_for_job", map[string]any{"prompt_id": "warm-up", "timeout_s": 1}); res.IsError {
		t.Fatalf("wait_for_job warm-up: %s", text(res))
	}
	id := "e2e-reload"
	srv.PauseWorker()
	defer srv.ResumeWorker() // never leave the emulator paused on failure
	srv.Submit(t, testPrompt, comfyuitest.WithPromptID(id))
	inflight := make(chan *mcp.CallToolResult, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "wait_for_job"
		req.Params.Arguments = map[string]any{"prompt_id": id, "timeout_s": 300}
		req.Params.Meta = &mcp.Meta{ProgressToken: "reload"}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		res, err := c.CallTool(cctx, req)
		if err != nil {
			res = mcp.NewToolResultError("tools/call: " + err.Error())
		}
		inflight <- res
	}()
	select { // the host reports the queue position once the plugin awaits the job
	case <-progress:
	case res := <-inflight:
		t.Fatalf("wait_for_job returned before the job ran: %s", text(res))
	case <-time.After(time.Minute):
		t.Fatal("no progress from wait_for_job")
	}

	// Edit the plugin's description and the file: wait_for_job goes,
	// get_job_status comes.
	edited := strings.Replace(string(src), "Counts the running and pending jobs", "Counts (edited) the running and pending jobs", 1)
	if edited == string(src) {
		t.Fatal("examples/queue_size/main.go no longer has the description this test edits")
	}
	writeFile(t, filepath.Join(plug, "main.go"), edited)
	writeFile(t, cfgPath, header+"  - name: get_job_status\n"+statusPlugin)
	waitListChanged(t, listChanged)
	tools := listTools(t, c)
	if !strings.HasPrefix(tools["queue_size"], "Counts (edited)") || tools["get_job_status"] == "" || tools["wait_for_job"] != "" {
		t.Fatalf("tools/list after the edit: %v; want queue_size edited, get_job_status added, wait_for_job removed", tools)
	}
	if res := callTool(t, c, "queue_size", map[string]any{}); res.IsError || !strings.Contains(text(res), "running") {
		t.Fatalf("queue_size after the reload: %s", text(res))
	}

	// The call that was running finishes on the removed plugin.
	select {
	case res := <-inflight:
		t.Fatalf("the call in flight ended with the reload: %s", text(res))
	default:
	}
	srv.ResumeWorker()
	select {
	case res := <-inflight:
		st, _ := res.StructuredContent.(map[string]any)
		if res.IsError || st["outcome"] != "success" {
			t.Fatalf("the call in flight during the reload ended with %s (%v)", text(res), st)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the call in flight during the reload never finished")
	}

	// Broken edits: the log says why, and the last good set keeps serving.
	writeFile(t, cfgPath, header+"  - name: get_job_status\n    plugn: x\n")
	log.waitFor(t, `reload failed; still serving the previous tools.*tools.yaml:9: tools\[1\]: unknown key \\"plugn\\"`, time.Minute)
	writeFile(t, cfgPath, header+"  - name: get_job_status\n"+statusPlugin)
	writeFile(t, filepath.Join(plug, "main.go"), edited+"\nfunc broken() { this is not Go }\n")
	log.waitFor(t, `reload failed; still serving the previous tools.*go build failed`, 5*time.Minute)
	if res := callTool(t, c, "queue_size", map[string]any{}); res.IsError {
		t.Fatalf("queue_size after broken edits: %s", text(res))
	}
	if got := listTools(t, c); fmt.Sprint(got) != fmt.Sprint(tools) {
		t.Fatalf("tools/list after broken edits: %v, want %v", got, tools)
	}

	// Fixing it reloads again.
	writeFile(t, filepath.Join(plug, "main.go"), strings.Replace(edited, "(edited)", "(fixed)", 1))
	waitListChanged(t, listChanged)
	if got := listTools(t, c)["queue_size"]; !strings.HasPrefix(got, "Counts (fixed)") {
		t.Fatalf("queue_size description after the fix: %q", got)
	}

	// A reload that changes a grant only reloads the tool, but a client's
	// tools/list would read the same: no notification.
	for len(listChanged) > 0 {
		<-listChanged
	}
	for len(featuresChanged) > 0 {
		<-featuresChanged
	}
	granted := strings.Replace(statusPlugin, "[GET /queue,", "[GET /queue, GET /prompt,", 1)
	writeFile(t, cfgPath, header+"  - name: get_job_status\n"+granted)
	log.waitFor(t, `tools reloaded.*~get_job_status`, time.Minute)
	if res := callTool(t, c, "get_job_status", map[string]any{"prompt_id": id}); res.IsError || !strings.Contains(text(res), `"done":true`) {
		t.Fatalf("get_job_status after a grant-only reload: %s", text(res))
	}
	select {
	case <-listChanged:
		t.Fatal("notifications/tools/list_changed after a reload that changed no listed tool")
	case m := <-featuresChanged:
		t.Fatalf("%s after a reload that changed no prompt or resource", m)
	case <-time.After(500 * time.Millisecond):
	}
}

// serve watches by default; --no-watch and watch: false turn it off.
func TestNoWatch(t *testing.T) {
	path := writeConfig(t, "http://127.0.0.1:1")
	if out := serveOnce(t, "serve", "--config", path); !strings.Contains(out, "watching for changes") {
		t.Fatalf("serve does not watch by default:\n%s", out)
	}
	out := serveOnce(t, "serve", "--config", path, "--no-watch")
	if strings.Contains(out, "watching for changes") {
		t.Errorf("--no-watch still watches:\n%s", out)
	}
	data, _ := os.ReadFile(path)
	writeFile(t, path, "watch: false\n"+string(data))
	if out := serveOnce(t, "serve", "--config", path); strings.Contains(out, "watching for changes") {
		t.Errorf("watch: false still watches:\n%s", out)
	}
}

// serveOnce runs easel with args and an empty stdin, so it stops once
// started, and returns its log.
func serveOnce(t *testing.T, args ...string) string {
	t.Helper()
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, binary, args...) // stdin is empty: serve stops at once
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("easel %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitListChanged(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Minute): // a Go-source plugin is rebuilt first
		t.Fatal("no notifications/tools/list_changed after the edit")
	}
}

// listTools maps each listed tool to its description.
func listTools(t *testing.T, c *client.Client) map[string]string {
	t.Helper()
	list, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, tool := range list.Tools {
		m[tool.Name] = tool.Description
	}
	return m
}

func callTool(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// serverLog is the server's stderr, copied to the test log and searchable.
type serverLog struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func watchStderr(t *testing.T, c *client.Client) *serverLog {
	l := &serverLog{changed: make(chan struct{})}
	r, ok := client.GetStderr(c)
	if !ok {
		t.Fatal("no stderr from the stdio transport")
	}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			t.Log(sc.Text())
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
		}
	}()
	return l
}

// waitFor waits for a log line matching pattern, and consumes the lines
// up to it so that the next wait looks only at later ones.
func (l *serverLog) waitFor(t *testing.T, pattern string, d time.Duration) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.After(d)
	for {
		l.mu.Lock()
		for i, line := range l.lines {
			if re.MatchString(line) {
				l.lines = l.lines[i+1:]
				l.mu.Unlock()
				return
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line matching %q", pattern)
		}
	}
}
