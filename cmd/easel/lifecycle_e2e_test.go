package main

// Lifecycle, end to end: shutting down on signals and on the end of stdin
// without losing the answers of calls in flight, and panics in the request
// path that cost one call, never the process.

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// inFlightWait queues a job with the worker paused and starts wait_for_job
// on it as request id; it returns once easel has reported the job queued,
// so the call is in flight in the host.
func inFlightWait(t *testing.T, p *proc, srv *comfyuitest.Server, id string) {
	t.Helper()
	srv.PauseWorker()
	t.Cleanup(srv.ResumeWorker)
	srv.Submit(t, testPrompt, comfyuitest.WithPromptID(id))
	p.sendJSON(t, callFrame(id, "wait_for_job", map[string]any{"prompt_id": id, "timeout_s": 120}, id))
	p.waitNotification(t, "notifications/progress", time.Minute)
}

// The end of stdin is how MCP clients stop a stdio server: easel answers
// what is in flight, then exits 0.
func TestStdinEOFDrainsThenExits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	srv := comfyuitest.NewServer(t)
	p := startServeProc(t, binary, srv.URL)
	inFlightWait(t, p, srv, "eof")
	p.stdin.Close()
	time.AfterFunc(300*time.Millisecond, srv.ResumeWorker)
	isErr, text := toolResult(t, p.response(t, "eof", time.Minute))
	if isErr || !strings.Contains(text, `"done":true`) || !strings.Contains(text, `"outcome":"success"`) {
		t.Errorf("the call in flight at EOF answered isError=%v %s", isErr, text)
	}
	if code := p.exitCode(t, 30*time.Second); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
}

// SIGTERM and SIGINT: calls in flight finish, new ones are refused, exit 0.
func TestSignalDrainsInFlightCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			srv := comfyuitest.NewServer(t)
			p := startServeProc(t, binary, srv.URL)
			inFlightWait(t, p, srv, "drain")
			p.signal(t, sig)
			waitStderr(t, p, "draining in-flight calls")
			// The call keeps running: a new call meanwhile is refused.
			p.sendJSON(t, callFrame("late", "get_queue", map[string]any{}, ""))
			isErr, text := toolResult(t, p.response(t, "late", time.Minute))
			if !isErr || !strings.Contains(text, "shutting down") {
				t.Errorf("a call during the drain answered isError=%v %q, want a shutting-down error", isErr, text)
			}
			srv.ResumeWorker()
			isErr, text = toolResult(t, p.response(t, "drain", time.Minute))
			if isErr || !strings.Contains(text, `"outcome":"success"`) {
				t.Errorf("the call in flight answered isError=%v %s, want its outcome", isErr, text)
			}
			if code := p.exitCode(t, 30*time.Second); code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
		})
	}
}

// A call that outlives --shutdown-timeout is cancelled with an answer, and
// easel still exits 0.
func TestShutdownTimeoutCancelsTheRest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	srv := comfyuitest.NewServer(t)
	p := startServeProc(t, binary, srv.URL, "--shutdown-timeout", "1s")
	inFlightWait(t, p, srv, "stuck") // the worker stays paused
	start := time.Now()
	p.signal(t, syscall.SIGTERM)
	f := p.response(t, "stuck", time.Minute)
	if f.Error == nil {
		if isErr, text := toolResult(t, f); !isErr {
			t.Errorf("the cancelled call answered a success: %s", text)
		}
	}
	if code := p.exitCode(t, 30*time.Second); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if !strings.Contains(p.stderr.String(), "shutdown timeout passed") {
		t.Errorf("stderr does not log the cut-off calls")
	}
	t.Logf("exited %s after SIGTERM with --shutdown-timeout 1s", time.Since(start).Round(time.Millisecond))
}

// Over HTTP, SIGTERM lets an in-flight call answer, then exits 0.
func TestHTTPSignalDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	srv := comfyuitest.NewServer(t)
	hp := startHTTPProc(t, srv.URL)
	cmd, exited, url := hp.cmd, hp.exited, hp.url
	c, err := client.NewStreamableHttpClient(url, transport.WithHTTPTimeout(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	initializeWithin(t, c, 5*time.Minute)
	call := func(name string, args map[string]any) (*mcp.CallToolResult, error) {
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		return c.CallTool(context.Background(), req)
	}
	if _, err := call("wait_for_job", map[string]any{"prompt_id": "warm-up", "timeout_s": 1}); err != nil {
		t.Fatal(err)
	}

	srv.PauseWorker()
	defer srv.ResumeWorker()
	id := srv.Submit(t, testPrompt)
	srv.ResetRequests()
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := call("wait_for_job", map[string]any{"prompt_id": id, "timeout_s": 120})
		if err != nil {
			res = mcp.NewToolResultError(err.Error())
		}
		done <- res
	}()
	waitForRequest(t, srv, "GET /queue") // the wait has started in the host
	cmd.Process.Signal(syscall.SIGTERM)
	time.AfterFunc(300*time.Millisecond, srv.ResumeWorker)
	res := <-done
	if res.IsError || !strings.Contains(text(res), `"outcome":"success"`) {
		t.Errorf("the call in flight answered %s", text(res))
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("easel --http exited with %v, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("easel --http did not exit after SIGTERM")
	}
}

// waitStderr waits until easel has logged substr.
func waitStderr(t *testing.T, p *proc, substr string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.stderr.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("easel never logged %q", substr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// httpURL reads the /mcp URL that `serve --http` logs, then keeps draining
// stderr.
func httpURL(t *testing.T, stderr interface{ Read([]byte) (int, error) }) string {
	t.Helper()
	urlRE := regexp.MustCompile(`url=(http://\S+/mcp)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case url := <-found:
		return url
	case <-time.After(2 * time.Minute):
		t.Fatal("easel --http did not report its address")
		return ""
	}
}

// waitForRequest waits until the emulator has received a request starting
// with prefix ("GET /queue").
func waitForRequest(t *testing.T, srv *comfyuitest.Server, prefix string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, r := range srv.Requests() {
			if strings.HasPrefix(r.String(), prefix) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the emulator never received %s", prefix)
}

// faultBinary is easel built with -tags easel_faultinject, whose
// EASEL_FAULT_PANIC makes the request path panic at a chosen place.
var faultBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "easel-faultinject-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "easel")
	out, err := exec.Command("go", "build", "-tags", "easel_faultinject", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &exec.Error{Name: "go build -tags easel_faultinject: " + string(out), Err: err}
	}
	return bin, nil
})

// A panic in the tool wrapper, in a host function or in resources/read
// costs that one request: it is answered with an error, logged with its
// stack, and the same process serves the next request.
func TestPanicInTheRequestPathIsRecovered(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a second binary")
	}
	bin, err := faultBinary()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(bin)) })
	srv := comfyuitest.NewServer(t)
	tests := []struct {
		fault   string
		request map[string]any
		want    string // in the answer
		log     string // in stderr
	}{
		{"tool:get_queue", callFrame("boom", "get_queue", map[string]any{}, ""),
			"easel failed internally while running get_queue (injected fault: tool get_queue)", "panic in a tool call; recovered"},
		{"comfyui:/queue", callFrame("boom", "get_queue", map[string]any{}, ""),
			"injected fault: comfyui_request /queue", "plugin call failed"},
		{"resource", map[string]any{"jsonrpc": "2.0", "id": "boom", "method": "resources/read", "params": map[string]any{"uri": "comfyui://input/example.png"}},
			"easel failed internally while reading comfyui://input/example.png", "panic in resources/read; recovered"},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			p := startProc(t, bin, []string{"EASEL_FAULT_PANIC=" + tt.fault}, "serve", "--config", writeBundledConfig(t, srv.URL))
			p.handshake(t)
			for round := range 2 { // the second proves the first left nothing broken
				p.sendJSON(t, tt.request)
				f := p.response(t, "boom", 5*time.Minute)
				got := string(f.raw)
				if f.Error == nil {
					isErr, text := toolResult(t, f)
					if !isErr {
						t.Errorf("round %d: a success: %s", round, text)
					}
					got = text
				}
				if !strings.Contains(got, tt.want) {
					t.Errorf("round %d: answer %s, want %q", round, got, tt.want)
				}
			}
			p.sendJSON(t, callFrame("after", "get_system_stats", map[string]any{}, ""))
			if isErr, text := toolResult(t, p.response(t, "after", 5*time.Minute)); isErr {
				t.Errorf("the next call failed: %s", text)
			}
			if !strings.Contains(p.stderr.String(), tt.log) {
				t.Errorf("stderr lacks %q", tt.log)
			}
			p.stdin.Close()
			if code := p.exitCode(t, 30*time.Second); code != 0 {
				t.Errorf("exit code %d after EOF, want 0", code)
			}
		})
	}
}
