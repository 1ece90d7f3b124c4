package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

// On empty caches, serve compiles a plugin in `easel internal-compile`
// and loads the machine code it leaves in the cache; a second start finds
// the cache warm and starts no compilation.
func TestPluginsCompileInASeparateProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	srv := comfyuitest.NewServer(t)
	path := writeBuiltinConfig(t, t.TempDir(), srv.URL, "")
	for run, want := range []string{"plugin compiled in a separate process", ""} {
		p := startProc(t, binary, nil, "serve", "--config", path, "--log-level", "debug")
		p.handshake(t)
		p.sendJSON(t, callFrame("status", "get_job_status", map[string]any{"prompt_id": "nope"}, ""))
		if isErr, text := toolResult(t, p.response(t, "status", 5*time.Minute)); isErr || !strings.Contains(text, `"found":false`) {
			t.Fatalf("start %d: get_job_status = %v %s", run+1, isErr, text)
		}
		log := p.stderr.String()
		if strings.Contains(log, "separate process failed") {
			t.Fatalf("start %d: %s", run+1, log)
		}
		if got := strings.Contains(log, "plugin compiled in a separate process"); got != (want != "") {
			t.Errorf("start %d: compiled in a separate process: %v, want %v\n%s", run+1, got, want != "", log)
		}
		p.stdin.Close()
	}
}

// internal-compile says what is wrong with its input.
func TestInternalCompileRefusesBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	for _, tt := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{nil, "", "usage: easel internal-compile CACHEDIR"},
		{[]string{t.TempDir()}, "not wasm", "not a valid WebAssembly module"},
	} {
		cmd := exec.Command(binary, append([]string{"internal-compile"}, tt.args...)...)
		cmd.Stdin = strings.NewReader(tt.stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("internal-compile %v: %v, stderr %q; want a failure saying %q", tt.args, err, stderr.String(), tt.want)
		}
	}
}
