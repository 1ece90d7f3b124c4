package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// writeBuiltinConfig writes dir/tools.yaml: ComfyUI at url, the cache in
// dir/cache, builtin get_job_status and the tool entries in more.
func writeBuiltinConfig(t *testing.T, dir, url, more string) string {
	t.Helper()
	path := filepath.Join(dir, "tools.yaml")
	cfg := fmt.Sprintf(`comfyui:
  url: %s
cache_dir: %s
tools:
  - name: get_job_status
    plugin: builtin:get_job_status
    permissions:
      comfyui: [GET /queue, "GET /history/*"]
`, url, filepath.Join(dir, "cache")) + more
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBuiltinWithoutToolchain is an installed easel: builtin: plugins,
// an empty cache and no Go toolchain on PATH. The embedded modules serve,
// and --tools exposes only the tools it matches.
func TestBuiltinWithoutToolchain(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	dir := t.TempDir()
	path := writeBuiltinConfig(t, dir, srv.URL, `  - name: get_queue
    plugin: builtin:get_queue
    permissions:
      comfyui: [GET /queue]
  - name: clear_queue
    plugin: builtin:clear_queue
    permissions:
      comfyui: [GET /queue, POST /queue]
`)
	env := []string{"PATH=" + dir, "HOME=" + dir} // no go command anywhere
	c, err := client.NewStdioMCPClient(binary, env, "serve", "--config", path, "--tools", "get_*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	initialize(t, c)

	tools, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if got := strings.Join(names, ","); got != "get_job_status,get_queue" {
		t.Fatalf("tools/list = %s, want get_job_status,get_queue (clear_queue filtered out)", got)
	}
	want(t, jobStatus(t, c, "no-such-prompt"), map[string]any{"found": false, "done": false})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "clear_queue"
	if res, err := c.CallTool(ctx, req); err == nil && !res.IsError {
		t.Errorf("clear_queue answered although --tools filtered it out: %s", text(res))
	}
}

// TestToolsFilterTypo is an operator's typo in --tools: a usage error
// naming the pattern and the tools there are, not a server without the tool.
func TestToolsFilterTypo(t *testing.T) {
	path := writeConfig(t, "http://127.0.0.1:1")
	out, err := exec.Command(binary, "serve", "--config", path, "--tools", "get_job_stats").CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitUsage {
		t.Fatalf("exit = %v, want code %d; output %s", err, exitUsage, out)
	}
	if !strings.Contains(string(out), `"get_job_stats" matches no tool`) || !strings.Contains(string(out), "get_job_status") {
		t.Errorf("output does not name the pattern and the tools:\n%s", out)
	}
}
