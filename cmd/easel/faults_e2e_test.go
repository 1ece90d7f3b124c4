package main

// ComfyUI faults, end to end: the real easel binary over stdio, every fault
// injected by the emulator, and the tool output an agent sees for each.

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// faultTimeout is the per-request ComfyUI timeout of the fault tests: short,
// so that "slower than the timeout" costs the suite little.
const faultTimeout = 1500 * time.Millisecond

// bundledTools are the tools of the repository's tools.yaml.
var bundledTools = []string{
	"get_job_status", "wait_for_job", "get_image", "get_queue", "get_history", "cancel_job", "clear_queue",
	"run_workflow", "generate_image", "enqueue_workflow", "get_system_stats", "list_models", "get_node_info",
	"free_memory", "upload_image",
}

// writeBundledConfig writes the repository's tools.yaml (its tools and
// their permissions) against url, with a faultTimeout request timeout.
func writeBundledConfig(t testing.TB, url string) string {
	t.Helper()
	return writeBundledConfigTimeout(t, url, faultTimeout)
}

// writeBundledConfigTimeout is writeBundledConfig with another ComfyUI
// request timeout.
func writeBundledConfigTimeout(t testing.TB, url string, timeout time.Duration) string {
	t.Helper()
	src, err := os.ReadFile(repoPath(t, "tools.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(src)
	for old, repl := range map[string]string{
		"  url: http://127.0.0.1:8188\n": fmt.Sprintf("  url: %s\n  connect_timeout: 1s\n", url),
		"  timeout: 30s\n":               fmt.Sprintf("  timeout: %s\n", timeout),
		"    plugin: plugins/":           "    plugin: " + repoPath(t, "plugins") + "/",
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("tools.yaml no longer has %q", old)
		}
		cfg = strings.ReplaceAll(cfg, old, repl)
	}
	cfg = "cache_dir: " + cacheDir + "\n" + cfg
	path := filepath.Join(t.TempDir(), "tools.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// session is an easel process over stdio with a client that records
// progress notifications by token.
type session struct {
	c        *client.Client
	mu       sync.Mutex
	progress map[string][]string // token → messages
	notify   chan struct{}
}

func startSession(t *testing.T, configPath string) *session {
	t.Helper()
	c, err := client.NewStdioMCPClient(binary, os.Environ(), "serve", "--config", configPath, "--log-level", "debug")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	logStderr(t, c)
	s := &session{c: c, progress: map[string][]string{}, notify: make(chan struct{}, 1)}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		token := fmt.Sprint(n.Params.AdditionalFields["progressToken"])
		msg := fmt.Sprint(n.Params.AdditionalFields["message"])
		s.mu.Lock()
		s.progress[token] = append(s.progress[token], msg)
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	initializeWithin(t, c, 10*time.Minute)
	// Every plugin loaded: a first call must not wait for a background build.
	for _, name := range []string{"get_queue", "wait_for_job", "run_workflow"} {
		s.call(t, name, map[string]any{"prompt_id": "warm-up", "timeout_s": 1, "workflow": map[string]any{}}, "")
	}
	return s
}

// call runs a tool and returns its result; a JSON-RPC error fails the test.
func (s *session) call(t *testing.T, name string, args map[string]any, progressToken string) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	if progressToken != "" {
		req.Params.Meta = &mcp.Meta{ProgressToken: progressToken}
	}
	res, err := s.c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// callAsync runs a tool in the background.
func (s *session) callAsync(t *testing.T, name string, args map[string]any, progressToken string) <-chan *mcp.CallToolResult {
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		req.Params.Meta = &mcp.Meta{ProgressToken: progressToken}
		res, err := s.c.CallTool(ctx, req)
		if err != nil {
			res = mcp.NewToolResultError("tools/call failed: " + err.Error())
		}
		done <- res
	}()
	return done
}

// waitProgress waits until a progress message for token contains substr.
func (s *session) waitProgress(t *testing.T, token, substr string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		s.mu.Lock()
		msgs := s.progress[token]
		s.mu.Unlock()
		for _, m := range msgs {
			if strings.Contains(m, substr) {
				return
			}
		}
		select {
		case <-s.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no progress %q for %s; got %q", substr, token, msgs)
		}
	}
}

// waitResult waits for a background call.
func waitResult(t *testing.T, done <-chan *mcp.CallToolResult) *mcp.CallToolResult {
	t.Helper()
	select {
	case res := <-done:
		return res
	case <-time.After(2 * time.Minute):
		t.Fatal("the tool call never returned")
		return nil
	}
}

// checkOutput compares a tool result with a row's expectations.
func checkOutput(t *testing.T, res *mcp.CallToolResult, wantError bool, want, notWant []string) {
	t.Helper()
	got := text(res)
	if res.IsError != wantError {
		t.Errorf("isError = %v, want %v; output:\n%s", res.IsError, wantError, got)
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	for _, w := range notWant {
		if strings.Contains(got, w) {
			t.Errorf("output has %q:\n%s", w, got)
		}
	}
}

// heldJob queues the test prompt with the worker paused and a hold on it,
// starts wait_for_job on it, and returns once easel has reported the job
// queued (a progress notification) and the emulator has started it: the
// wait is then in the host, on the event stream.
func heldJob(t *testing.T, s *session, srv *comfyuitest.Server, id string) <-chan *mcp.CallToolResult {
	t.Helper()
	t.Cleanup(func() { srv.ReleaseJob(id) }) // never leave a held job in the queue of the next row
	srv.PauseWorker()
	srv.HoldJob(id)
	srv.Submit(t, testPrompt, comfyuitest.WithPromptID(id))
	done := s.callAsync(t, "wait_for_job", map[string]any{"prompt_id": id, "timeout_s": 90}, id)
	s.waitProgress(t, id, "queued, position 1")
	srv.ResumeWorker()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := srv.WaitHeld(ctx, id); err != nil {
		t.Fatal(err)
	}
	return done
}

// TestComfyUIFaults lists every ComfyUI fault easel must survive, with the
// tool output an agent sees for it. The rows share one easel process and one
// emulator, so each also shows that the fault before it did no lasting harm.
func TestComfyUIFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary through every fault")
	}
	srv := comfyuitest.NewServer(t)
	s := startSession(t, writeBundledConfig(t, srv.URL))
	queueURL := srv.URL + "/queue"
	oom := comfyuitest.ExecutionError{NodeID: "2", ExceptionType: "torch.OutOfMemoryError", ExceptionMessage: "Allocation on device "}

	tests := []struct {
		name string
		// act injects the fault and makes the call.
		act       func(t *testing.T) *mcp.CallToolResult
		wantError bool
		want      []string
		notWant   []string
	}{
		{
			name: "5xx from a proxy",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.SetFault("GET /queue", comfyuitest.Fault{Status: 502, Body: "502 Bad Gateway"})
				return s.call(t, "get_queue", nil, "")
			},
			wantError: true, want: []string{"502", queueURL, "Bad Gateway"},
		},
		{
			name: "5xx from ComfyUI on queueing",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.SetFault("POST /prompt", comfyuitest.Fault{Status: 500, ContentType: "text/plain", Body: "500 Internal Server Error\n\nServer got itself in trouble"})
				return s.call(t, "enqueue_workflow", map[string]any{"workflow": testPrompt}, "")
			},
			wantError: true, want: []string{"500", srv.URL + "/prompt", "Server got itself in trouble"},
		},
		{
			name: "slower than the timeout",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.SetFault("GET /queue", comfyuitest.Fault{Delay: 3 * faultTimeout})
				return s.call(t, "get_queue", nil, "")
			},
			wantError: true, want: []string{"ComfyUI at " + queueURL + " did not answer within " + faultTimeout.String()},
		},
		{
			name: "truncated body",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.SetFault("GET /queue", comfyuitest.Fault{Truncate: true})
				return s.call(t, "get_queue", nil, "")
			},
			wantError: true, want: []string{"ComfyUI at " + queueURL + " sent a malformed or truncated response"},
		},
		{
			name: "non-JSON body (a login page)",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.SetFault("GET /queue", comfyuitest.Fault{Status: 200, ContentType: "text/html", Body: "<html><body>Please log in</body></html>"})
				return s.call(t, "get_queue", nil, "")
			},
			wantError: true, want: []string{"the server at " + queueURL + " did not answer like ComfyUI"},
		},
		{
			name: "truncated JSON with status 200",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.SetFault("GET /queue", comfyuitest.Fault{Status: 200, ContentType: "application/json", Body: `{"queue_running": [], "queue_pen`})
				return s.call(t, "get_queue", nil, "")
			},
			wantError: true, want: []string{"the server at " + queueURL + " did not answer like ComfyUI"},
		},
		{
			name: "connection closed without an answer",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.SetFault("GET /queue", comfyuitest.Fault{CloseConnection: true})
				return s.call(t, "get_queue", nil, "")
			},
			wantError: true, want: []string{"ComfyUI unreachable at " + queueURL},
		},
		{
			name: "out of memory, waited for",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.FailJob("oom-wait", oom)
				srv.Submit(t, testPrompt, comfyuitest.WithPromptID("oom-wait"))
				return s.call(t, "wait_for_job", map[string]any{"prompt_id": "oom-wait", "timeout_s": 60}, "")
			},
			want: []string{`"outcome":"error"`, `"exception_type":"torch.OutOfMemoryError"`, `"out_of_memory":true`, "ran out of GPU memory", "free_memory"},
		},
		{
			name: "out of memory, run_workflow",
			act: func(t *testing.T) *mcp.CallToolResult {
				srv.FailJob("", oom) // run_workflow chooses its prompt id
				return s.call(t, "run_workflow", map[string]any{"workflow": testPrompt, "timeout_s": 60}, "")
			},
			wantError: true,
			want:      []string{`"outcome":"error"`, `"node_type":"SaveImage"`, `"out_of_memory":true`, "ran out of GPU memory"},
		},
		{
			name: "WebSocket dropped mid-job",
			act: func(t *testing.T) *mcp.CallToolResult {
				done := heldJob(t, s, srv, "ws-drop")
				srv.DropWebSockets()
				time.Sleep(300 * time.Millisecond) // the watcher notices and reconnects
				srv.ReleaseJob("ws-drop")
				return waitResult(t, done)
			},
			want: []string{`"done":true`, `"outcome":"success"`, "comfyui://output/test_"}, notWant: []string{"vanished"},
		},
		{
			name: "ComfyUI restarts during wait_for_job: the job is lost",
			act: func(t *testing.T) *mcp.CallToolResult {
				done := heldJob(t, s, srv, "restart")
				srv.Down()
				time.Sleep(500 * time.Millisecond) // down across a reconnect attempt
				srv.Up()
				return waitResult(t, done)
			},
			want: []string{`"vanished":true`, `"done":false`, "lost when ComfyUI restarted"},
		},
		{
			name: "after the restart, new jobs run and are waited for",
			act: func(t *testing.T) *mcp.CallToolResult {
				id := srv.Submit(t, testPrompt)
				return s.call(t, "wait_for_job", map[string]any{"prompt_id": id, "timeout_s": 60}, "")
			},
			want: []string{`"done":true`, `"outcome":"success"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer srv.ClearFaults()
			defer srv.ResumeWorker()
			checkOutput(t, tt.act(t), tt.wantError, tt.want, tt.notWant)
		})
	}
}

// promptID reads enqueue_workflow's prompt id.
func promptID(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	m, _ := res.StructuredContent.(map[string]any)
	id, _ := m["prompt_id"].(string)
	if res.IsError || id == "" {
		t.Fatalf("enqueue_workflow: %s", text(res))
	}
	return id
}

// TestComfyUIDownAtStartup starts easel with ComfyUI down: it serves, every
// tool says that ComfyUI is unreachable at its URL, and once ComfyUI is up
// the same process works without a restart.
func TestComfyUIDownAtStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary through every bundled tool")
	}
	srv := comfyuitest.NewServer(t)
	srv.Down()
	s := startSession(t, writeBundledConfig(t, srv.URL))
	png := base64.StdEncoding.EncodeToString(examplePNG(t, srv))
	args := map[string]map[string]any{
		"get_job_status":   {"prompt_id": "x"},
		"wait_for_job":     {"prompt_id": "x", "timeout_s": 5},
		"get_image":        {"filename": "example.png", "type": "input"},
		"get_queue":        {},
		"get_history":      {},
		"cancel_job":       {"prompt_id": "x"},
		"clear_queue":      {},
		"run_workflow":     {"workflow": testPrompt},
		"generate_image":   {"prompt": "a lighthouse at dusk"},
		"enqueue_workflow": {"workflow": testPrompt},
		"get_system_stats": {},
		"list_models":      {},
		"get_node_info":    {"class_type": "SaveImage"},
		"free_memory":      {},
		"upload_image":     {"data": png, "filename": "up.png"},
	}
	for _, name := range bundledTools {
		t.Run(name, func(t *testing.T) {
			res := s.call(t, name, args[name], "")
			checkOutput(t, res, true, []string{"ComfyUI unreachable at " + srv.URL + "/"}, nil)
		})
	}
	srv.Up()
	t.Run("ComfyUI up: the same process works", func(t *testing.T) {
		checkOutput(t, s.call(t, "get_queue", nil, ""), false, []string{`"running_count":0`}, nil)
		id := srv.Submit(t, testPrompt)
		checkOutput(t, s.call(t, "wait_for_job", map[string]any{"prompt_id": id, "timeout_s": 60}, ""), false,
			[]string{`"done":true`, `"outcome":"success"`}, nil)
	})
}

// TestLateHistoryEntry: ComfyUI can show a finished job in neither /queue
// nor /history for a moment; wait_for_job must wait for the entry, not call
// the job vanished.
func TestLateHistoryEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	srv := comfyuitest.NewServer(t, comfyuitest.WithHistoryDelay(3*time.Second))
	s := startSession(t, writeBundledConfig(t, srv.URL))
	srv.PauseWorker()
	id := srv.Submit(t, testPrompt) // without easel's client id: only polling sees it end
	done := s.callAsync(t, "wait_for_job", map[string]any{"prompt_id": id, "timeout_s": 60}, "late")
	s.waitProgress(t, "late", "queued, position 1")
	srv.ResumeWorker()
	checkOutput(t, waitResult(t, done), false, []string{`"done":true`, `"outcome":"success"`}, []string{"vanished"})
}

// examplePNG is the emulator's input/example.png, a real PNG to upload.
func examplePNG(t *testing.T, srv *comfyuitest.Server) []byte {
	t.Helper()
	data, ok := srv.File("input", "", "example.png")
	if !ok {
		t.Fatal("the emulator has no input/example.png")
	}
	return data
}
