package main

// proc drives the easel binary over raw stdio frames, for the tests that
// need what an MCP client library hides: signals, closing stdin, malformed
// bytes, the exit code.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte // stdout, one frame per line
	stderr *syncBuffer
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProc runs bin with args and env added to the test's environment.
func startProc(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), lines: make(chan []byte, 1024), stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		for sc.Scan() {
			p.lines <- append([]byte(nil), sc.Bytes()...)
		}
		close(p.lines)
	}()
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("easel stderr:\n%s", tail(p.stderr.String(), 8000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// send writes one frame and a newline.
func (p *proc) send(t *testing.T, frame string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, frame+"\n"); err != nil {
		t.Fatalf("write to easel: %v", err)
	}
}

// sendJSON encodes v as one frame.
func (p *proc) sendJSON(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p.send(t, string(b))
}

// frame is a decoded JSON-RPC message from easel.
type frame struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Params json.RawMessage `json:"params"`
	raw    []byte
}

// next returns the next frame, failing after d.
func (p *proc) next(t *testing.T, d time.Duration) frame {
	t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			t.Fatalf("easel closed stdout (exited: %v)", p.exitErr())
		}
		var f frame
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("stdout carried a line that is not JSON-RPC: %q", line)
		}
		f.raw = line
		return f
	case <-time.After(d):
		t.Fatalf("no frame from easel within %s", d)
		return frame{}
	}
}

// response returns the response to request id, skipping notifications.
func (p *proc) response(t *testing.T, id any, d time.Duration) frame {
	t.Helper()
	want, _ := json.Marshal(id)
	deadline := time.Now().Add(d)
	for {
		f := p.next(t, time.Until(deadline))
		if f.Method == "" && bytes.Equal(f.ID, want) {
			return f
		}
	}
}

// waitNotification returns the first notification with method.
func (p *proc) waitNotification(t *testing.T, method string, d time.Duration) frame {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if f := p.next(t, time.Until(deadline)); f.Method == method {
			return f
		}
	}
}

func (p *proc) exitErr() error {
	select {
	case <-p.exited:
		return p.err
	default:
		return nil
	}
}

// exitCode waits for the process to end and returns its exit code.
func (p *proc) exitCode(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("easel did not exit within %s", d)
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("easel: %v", p.err)
	return -1
}

func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// handshake initializes the session.
func (p *proc) handshake(t *testing.T) {
	t.Helper()
	p.sendJSON(t, map[string]any{"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": map[string]any{
		"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "easel-proc-test", "version": "1"}}})
	if f := p.response(t, "init", time.Minute); f.Error != nil {
		t.Fatalf("initialize: %s", f.raw)
	}
	p.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// callFrame is a tools/call request.
func callFrame(id any, tool string, args any, progressToken string) map[string]any {
	params := map[string]any{"name": tool, "arguments": args}
	if progressToken != "" {
		params["_meta"] = map[string]any{"progressToken": progressToken}
	}
	return map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}
}

// toolResult decodes a tools/call response's result.
func toolResult(t *testing.T, f frame) (isError bool, text string) {
	t.Helper()
	if f.Error != nil {
		t.Fatalf("tools/call answered a JSON-RPC error: %s", f.raw)
	}
	var r struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(f.Result, &r); err != nil {
		t.Fatalf("tools/call result %s: %v", f.Result, err)
	}
	var parts []string
	for _, c := range r.Content {
		parts = append(parts, c.Text)
	}
	return r.IsError, strings.Join(parts, "\n")
}

// startServeProc starts `easel serve` over stdio on the bundled tools
// against url, initialized and with every plugin loaded.
func startServeProc(t *testing.T, bin, url string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--config", writeBundledConfig(t, url), "--log-level", "debug"}, extra...)
	p := startProc(t, bin, nil, args...)
	p.handshake(t)
	// A first call per plugin waits for its background load.
	for i, name := range []string{"get_queue", "wait_for_job", "get_job_status"} {
		p.sendJSON(t, callFrame(fmt.Sprint("warm-", i), name, map[string]any{"prompt_id": "warm-up", "timeout_s": 1}, ""))
		p.response(t, fmt.Sprint("warm-", i), 5*time.Minute)
	}
	return p
}

// httpProc is `easel serve --http 127.0.0.1:0` and its /mcp URL.
type httpProc struct {
	cmd    *exec.Cmd
	url    string
	exited chan error
}

// startHTTPProc starts easel over HTTP on the bundled tools against
// comfyURL and waits for the address it logs.
func startHTTPProc(t *testing.T, comfyURL string, extra ...string) *httpProc {
	t.Helper()
	return startHTTPProcConfig(t, writeBundledConfig(t, comfyURL), extra...)
}

// startHTTPProcConfig is startHTTPProc with a configuration file.
func startHTTPProcConfig(t *testing.T, configPath string, extra ...string) *httpProc {
	t.Helper()
	args := append([]string{"serve", "--config", configPath, "--http", "127.0.0.1:0"}, extra...)
	p := &httpProc{cmd: exec.Command(binary, args...), exited: make(chan error, 1)}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	p.url = httpURL(t, stderr)
	return p
}
