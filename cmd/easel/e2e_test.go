package main

// End-to-end tests: the real easel binary, started as an MCP client would
// start it, driven by mcp-go's MCP client over stdio and streamable HTTP,
// against the ComfyUI emulator.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// binary is the easel binary built once for all tests of this package;
// cacheDir is shared so that the plugin is built and compiled once.
var binary, cacheDir string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "easel-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binary = filepath.Join(tmp, "easel")
	// Share the plugin cache with plugintest and host/app's tests, so that
	// one `go test ./...` builds and compiles each plugin once.
	cacheDir = os.Getenv("EASEL_CACHE_DIR")
	if cacheDir == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			cacheDir = filepath.Join(dir, "easel")
		} else {
			cacheDir = filepath.Join(tmp, "cache")
		}
	}
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build easel:", err)
		return 1
	}
	return m.Run()
}

// repoPath is a path inside the repository, from this package's folder.
func repoPath(t testing.TB, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeAuthorModule makes dir a Go module of its own using this checkout's
// SDK, as a plugin author's module would be after `go get` and `go mod
// tidy`: it requires what this repository's go.mod requires (the SDK's
// dependencies among them) and has its go.sum, so it builds offline.
func writeAuthorModule(t testing.TB, dir, module string) {
	t.Helper()
	gomod, err := os.ReadFile(repoPath(t, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var requires []string
	for _, block := range strings.Split(string(gomod), "require (")[1:] {
		block, _, _ = strings.Cut(block, ")")
		requires = append(requires, strings.TrimSpace(block))
	}
	content := fmt.Sprintf("module %s\n\ngo 1.26\n\nrequire (\n\tgithub.com/easel-mcp/easel v0.0.0\n\t%s\n)\n\nreplace github.com/easel-mcp/easel => %s\n",
		module, strings.Join(requires, "\n\t"), repoPath(t, "."))
	sum, err := os.ReadFile(repoPath(t, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeConfig writes a tools.yaml serving get_job_status against url.
func writeConfig(t testing.TB, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tools.yaml")
	cfg := fmt.Sprintf(`comfyui:
  url: %s
  timeout: 5s
cache_dir: %s
tools:
  - name: get_job_status
    plugin: %s
    permissions:
      comfyui: [GET /queue, "GET /history/*"]
`, url, cacheDir, repoPath(t, "plugins/get_job_status"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startStdio starts easel over stdio as an MCP client would and initializes.
func startStdio(t *testing.T, configPath string) *client.Client {
	t.Helper()
	c, err := client.NewStdioMCPClient(binary, os.Environ(), "serve", "--config", configPath, "--log-level", "debug")
	if err != nil {
		t.Fatalf("start easel: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Start(context.Background()); err != nil { // routes notifications to OnNotification
		t.Fatal(err)
	}
	initialize(t, c)
	return c
}

// startHTTP starts `easel serve --http 127.0.0.1:0` and connects to the
// address it logs.
func startHTTP(t *testing.T, configPath string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "serve", "--config", configPath, "--http", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	urlRE := regexp.MustCompile(`url=(http://\S+/mcp)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("easel --http did not report its address")
	}
	c, err := client.NewStreamableHttpClient(url, transport.WithHTTPTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	initialize(t, c)
	return c
}

func initialize(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "easel-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
}

// jobStatus calls get_job_status and decodes its structured content; it
// fails the test on an error result.
func jobStatus(t *testing.T, c *client.Client, id string) map[string]any {
	t.Helper()
	res := callStatus(t, c, id)
	if res.IsError {
		t.Fatalf("get_job_status(%s) returned an error: %s", id, text(res))
	}
	st, ok := res.StructuredContent.(map[string]any)
	if !ok {
		t.Fatalf("no structuredContent in %+v", res)
	}
	var fromText map[string]any
	if err := json.Unmarshal([]byte(text(res)), &fromText); err != nil {
		t.Fatalf("text content is not the JSON status: %v", err)
	}
	if fmt.Sprint(fromText) != fmt.Sprint(st) {
		t.Errorf("text %v and structuredContent %v differ", fromText, st)
	}
	return st
}

func callStatus(t *testing.T, c *client.Client, id string) *mcp.CallToolResult {
	t.Helper()
	// Generous: on a machine with cold caches the first call waits while
	// easel builds and compiles the plugin in the background.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "get_job_status"
	req.Params.Arguments = map[string]any{"prompt_id": id}
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// want checks selected fields of a status.
func want(t *testing.T, st map[string]any, fields map[string]any) {
	t.Helper()
	for k, v := range fields {
		if fmt.Sprint(st[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v (status %v)", k, st[k], v, st)
		}
	}
}

// waitRunning waits until the emulator reports the prompt as running.
func waitRunning(t *testing.T, c *client.Client, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st := jobStatus(t, c, id); st["running"] == true {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %s never ran", id)
}

var testPrompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 64, "height": 64, "batch_size": 1, "color": 0}},
	"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "test"}},
}

func TestGetJobStatus(t *testing.T) {
	transports := map[string]func(*testing.T, string) *client.Client{"stdio": startStdio, "http": startHTTP}
	for name, start := range transports {
		t.Run(name, func(t *testing.T) {
			srv := comfyuitest.NewServer(t)
			c := start(t, writeConfig(t, srv.URL))

			tools, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
			if err != nil || len(tools.Tools) != 1 || tools.Tools[0].Name != "get_job_status" {
				t.Fatalf("tools/list = %+v, %v; want get_job_status", tools, err)
			}
			schema, _ := json.Marshal(tools.Tools[0].InputSchema)
			if !strings.Contains(string(schema), `"prompt_id"`) || !strings.Contains(string(schema), `"description":"The job's prompt_id"`) {
				t.Errorf("input schema lacks prompt_id and its description: %s", schema)
			}

			t.Run("pending, running, done", func(t *testing.T) {
				srv.PauseWorker()
				defer srv.ResumeWorker() // also when this subtest fails: the next ones need the worker
				id := srv.Submit(t, testPrompt)
				srv.HoldJob(id)
				want(t, jobStatus(t, c, id), map[string]any{"found": true, "pending": true, "running": false, "done": false, "queue_position": 1})
				srv.ResumeWorker()
				waitRunning(t, c, id)
				want(t, jobStatus(t, c, id), map[string]any{"found": true, "pending": false, "running": true, "done": false})
				srv.ReleaseJob(id)
				if err := waitJob(t, srv, id); err != nil {
					t.Fatal(err)
				}
				st := jobStatus(t, c, id)
				want(t, st, map[string]any{"found": true, "done": true, "running": false, "outcome": "success", "status_str": "success"})
				stats, _ := st["execution_stats"].(map[string]any)
				if stats == nil || stats["start_timestamp"] == nil || stats["end_timestamp"] == nil {
					t.Errorf("execution_stats = %v, want timestamps", stats)
				}
			})

			t.Run("runtime error", func(t *testing.T) {
				id := "e2e-error-" + name
				srv.FailJob(id, comfyuitest.ExecutionError{NodeID: "2", ExceptionType: "torch.OutOfMemoryError", ExceptionMessage: "Allocation on device\n", Traceback: []string{"  File \"/opt/ComfyUI/execution.py\", line 496, in execute\n"}})
				srv.Submit(t, testPrompt, comfyuitest.WithPromptID(id))
				if err := waitJob(t, srv, id); err != nil {
					t.Fatal(err)
				}
				st := jobStatus(t, c, id)
				want(t, st, map[string]any{"done": true, "outcome": "error", "status_str": "error"})
				e, _ := st["error"].(map[string]any)
				want(t, e, map[string]any{"node_id": "2", "node_type": "SaveImage", "exception_type": "torch.OutOfMemoryError", "out_of_memory": true})
				if msg, _ := e["exception_message"].(string); !strings.HasPrefix(msg, "Allocation on device\nThis error means you ran out of memory on your GPU.") {
					t.Errorf("exception_message = %q, want ComfyUI's with its tips", msg)
				}
			})

			t.Run("interrupted", func(t *testing.T) {
				id := "e2e-interrupt-" + name
				srv.HoldJob(id)
				srv.Submit(t, testPrompt, comfyuitest.WithPromptID(id))
				waitRunning(t, c, id)
				interrupt(t, srv.URL, id)
				srv.ReleaseJob(id)
				if err := waitJob(t, srv, id); err != nil {
					t.Fatal(err)
				}
				want(t, jobStatus(t, c, id), map[string]any{"done": true, "outcome": "interrupted", "interrupted": true, "status_str": "error"})
			})

			t.Run("unknown id", func(t *testing.T) {
				want(t, jobStatus(t, c, "no-such-prompt"), map[string]any{"found": false, "done": false, "running": false, "pending": false})
			})

			t.Run("bad arguments", func(t *testing.T) {
				res := callStatus(t, c, "")
				if !res.IsError || !strings.Contains(text(res), "prompt_id") {
					t.Errorf("empty prompt_id: got %q (isError %v), want an error naming prompt_id", text(res), res.IsError)
				}
			})

			t.Run("not ComfyUI", func(t *testing.T) {
				srv.SetFault("GET /queue", comfyuitest.Fault{Status: 200, ContentType: "text/html", Body: "<html>router login</html>"})
				defer srv.ClearFaults()
				res := callStatus(t, c, "x")
				if !res.IsError || !strings.Contains(text(res), srv.URL+"/queue") {
					t.Errorf("got %q (isError %v), want an error naming %s/queue", text(res), res.IsError, srv.URL)
				}
			})

			t.Run("server error", func(t *testing.T) {
				srv.SetFault("GET /queue", comfyuitest.Fault{Status: 500, ContentType: "text/plain", Body: "500 Internal Server Error\n\nServer got itself in trouble"})
				defer srv.ClearFaults()
				res := callStatus(t, c, "x")
				if !res.IsError || !strings.Contains(text(res), "500") {
					t.Errorf("got %q (isError %v), want an error with the 500", text(res), res.IsError)
				}
			})

			t.Run("ComfyUI down", func(t *testing.T) {
				srv.Down()
				defer srv.Up()
				res := callStatus(t, c, "x")
				// get_job_status asks /history/{id} first.
				if !res.IsError || !strings.Contains(text(res), "unreachable at "+srv.URL+"/history/x") {
					t.Errorf("got %q (isError %v), want \"ComfyUI unreachable at %s/history/x\"", text(res), res.IsError, srv.URL)
				}
			})
		})
	}
}

// A job that has left the queue but whose history is not written yet is
// not reported as unknown.
func TestJustFinishedJobIsNotUnknown(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithHistoryDelay(200*time.Millisecond))
	c := startStdio(t, writeConfig(t, srv.URL))
	id := srv.Submit(t, testPrompt)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		st := jobStatus(t, c, id)
		if st["done"] == true {
			want(t, st, map[string]any{"found": true, "outcome": "success"})
			return
		}
		if st["found"] != true {
			t.Fatalf("job %s reported unknown while finishing: %v", id, st)
		}
	}
	t.Fatal("job never finished")
}

// waitJob waits for the emulator to finish a job, failing the test after a
// minute rather than hanging.
func waitJob(t *testing.T, srv *comfyuitest.Server, id string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := srv.WaitJob(ctx, id)
	if err != nil {
		t.Logf("emulator requests so far: %v", srv.Requests())
	}
	return err
}

// interrupt asks ComfyUI to interrupt the running prompt id, as cancel_job will.
func interrupt(t *testing.T, base, id string) {
	t.Helper()
	resp, err := http.Post(base+"/interrupt", "application/json", strings.NewReader(`{"prompt_id": "`+id+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /interrupt: %s", resp.Status)
	}
}

func TestBrokenConfigNamesTheLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tools.yaml")
	os.WriteFile(path, []byte("comfyui:\n  url: http://127.0.0.1:8188\ntools:\n  - name: get_job_status\n    plugn: plugins/get_job_status\n"), 0o600)
	out, err := exec.Command(binary, "serve", "--config", path).CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 2 {
		t.Fatalf("exit = %v, want code 2; output %s", err, out)
	}
	if !strings.Contains(string(out), "tools.yaml:5") || !strings.Contains(string(out), "plugn") {
		t.Errorf("output %q does not name tools.yaml:5 and the bad key", out)
	}
}
