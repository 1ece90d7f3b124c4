package main

// End-to-end tests of the subcommands other than serve: the real binary,
// its exit status, stdout and stderr, against the ComfyUI emulator.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/mcp"
)

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

// easel runs the binary in dir (the test's temporary folder when empty)
// with args and extra environment variables.
func easel(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"EASEL_CACHE_DIR=" + cacheDir}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run easel %v: %v", args, err)
	}
	return r
}

// expect fails the test unless r exited with code and its stdout and
// stderr contain the given strings.
func (r result) expect(t *testing.T, code int, stdout, stderr []string) {
	t.Helper()
	ok := r.code == code
	for _, s := range stdout {
		ok = ok && strings.Contains(r.stdout, s)
	}
	for _, s := range stderr {
		ok = ok && strings.Contains(r.stderr, s)
	}
	if !ok {
		t.Fatalf("exit %d, want %d; want stdout with %q and stderr with %q\nstdout:\n%s\nstderr:\n%s", r.code, code, stdout, stderr, r.stdout, r.stderr)
	}
}

// toolsConfig writes a tools.yaml for url with the given "name: plugin"
// entries (plugin paths relative to the repository), each granted every
// ComfyUI route and job waiting, and returns its path. Entry i starts at
// line 5+3i.
func toolsConfig(t *testing.T, url string, tools ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "comfyui:\n  url: %s\n  timeout: 5s\ntools:\n", url)
	for _, tool := range tools {
		name, plugin, _ := strings.Cut(tool, ": ")
		if !filepath.IsAbs(plugin) {
			plugin = repoPath(t, plugin)
		}
		fmt.Fprintf(&b, "  - name: %s\n    plugin: %s\n    permissions: {comfyui: [\"* /**\"], jobs: true}\n", name, plugin)
	}
	path := filepath.Join(t.TempDir(), "tools.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestToolsCommand(t *testing.T) {
	cfg := toolsConfig(t, "http://127.0.0.1:1", "get_job_status: plugins/get_job_status", "queue_size: examples/queue_size")

	t.Run("table", func(t *testing.T) {
		r := easel(t, "", nil, "tools", "--config", cfg)
		r.expect(t, exitOK, []string{"NAME", "ARGUMENTS", "get_job_status", "prompt_id:string", "queue_size", "Counts the running and pending jobs"}, nil)
		if r.stderr != "" {
			t.Errorf("stderr is not empty when not a terminal: %q", r.stderr)
		}
	})

	t.Run("json", func(t *testing.T) {
		r := easel(t, "", nil, "tools", "--json", "--config", cfg)
		r.expect(t, exitOK, nil, nil)
		var list struct {
			Tools []struct {
				Name        string
				InputSchema struct {
					Properties map[string]any
					Required   []string
				}
				OutputSchema map[string]any
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
			t.Fatalf("--json output: %v\n%s", err, r.stdout)
		}
		if len(list.Tools) != 2 || list.Tools[0].Name != "get_job_status" || list.Tools[1].Name != "queue_size" {
			t.Fatalf("tools = %+v, want get_job_status and queue_size in file order", list.Tools)
		}
		in := list.Tools[0].InputSchema
		if in.Properties["prompt_id"] == nil || len(in.Required) != 1 || in.Required[0] != "prompt_id" || list.Tools[0].OutputSchema == nil {
			t.Errorf("get_job_status schemas: %+v", list.Tools[0])
		}
	})

	t.Run("a broken plugin names its line and the rest is listed", func(t *testing.T) {
		broken := t.TempDir() // Go source outside any module: the build fails
		os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n"), 0o600)
		cfg := toolsConfig(t, "http://127.0.0.1:1", "get_job_status: plugins/get_job_status", "broken: "+broken)
		r := easel(t, "", nil, "tools", "--config", cfg)
		r.expect(t, exitFailure, []string{"get_job_status"}, []string{"tools.yaml:8", "tool broken: build", "not inside a Go module"})
	})

	t.Run("a tools.yaml naming a missing plugin is an error, not the bundled tools", func(t *testing.T) {
		for _, entry := range []string{"plugin: nope", "plugin: builtin:workflow\n    files: {workflow: missing.json}"} {
			dir := t.TempDir()
			yaml := "tools:\n  - name: count_jobs\n    " + entry + "\n"
			if err := os.WriteFile(filepath.Join(dir, "tools.yaml"), []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			r := easel(t, dir, nil, "tools")
			r.expect(t, exitUsage, nil, []string{"tools.yaml:", "does not exist"})
			if strings.Contains(r.stderr, "using the bundled tools") || strings.Contains(r.stdout, "clear_queue") {
				t.Errorf("%s: easel fell back to the bundled tools:\n%s%s", entry, r.stdout, r.stderr)
			}
			r = easel(t, dir, nil, "doctor")
			r.expect(t, exitFailure, []string{"configuration is invalid", "does not exist"}, nil)
		}
	})

	t.Run("no tools.yaml here: the bundled tools", func(t *testing.T) {
		dir := t.TempDir()
		r := easel(t, dir, nil, "tools")
		r.expect(t, exitOK, []string{"get_job_status", "upload_image", "free_memory"}, []string{"no tools.yaml in the working directory: using the bundled tools", "easel init"})
		r = easel(t, dir, nil, "init")
		r.expect(t, exitOK, []string{"wrote tools.yaml"}, nil)
		written, err := os.ReadFile(filepath.Join(dir, "tools.yaml"))
		if err != nil || !bytes.Equal(written, bundled.DefaultConfig()) {
			t.Fatalf("easel init wrote %d bytes (%v), want the bundled tools.yaml", len(written), err)
		}
		r = easel(t, dir, nil, "init")
		r.expect(t, exitFailure, nil, []string{"tools.yaml exists; pass --force"})
		r = easel(t, dir, nil, "tools")
		r.expect(t, exitOK, []string{"get_job_status"}, nil)
		if strings.Contains(r.stderr, "using the bundled tools") {
			t.Errorf("with a tools.yaml present, easel still used the bundled set: %s", r.stderr)
		}
	})
}

func TestCallCommand(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	cfg := toolsConfig(t, srv.URL, "get_job_status: plugins/get_job_status", "run_workflow: plugins/run_workflow")
	id := srv.Submit(t, testPrompt)
	if err := waitJob(t, srv, id); err != nil {
		t.Fatal(err)
	}

	t.Run("result on stdout", func(t *testing.T) {
		r := easel(t, "", nil, "call", "--config", cfg, "get_job_status", `{"prompt_id": "`+id+`"}`)
		r.expect(t, exitOK, []string{`"outcome": "success"`, `"done": true`}, nil)
	})

	t.Run("json and flags after operands", func(t *testing.T) {
		r := easel(t, "", nil, "call", "get_job_status", `{"prompt_id": "`+id+`"}`, "--config", cfg, "--json")
		r.expect(t, exitOK, nil, nil)
		var res struct {
			StructuredContent struct{ Outcome string }
			IsError           bool
		}
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.StructuredContent.Outcome != "success" || res.IsError {
			t.Fatalf("--json: %+v, %v\n%s", res, err, r.stdout)
		}
	})

	t.Run("arguments from stdin, progress and images", func(t *testing.T) {
		// The job stays queued until the call has reported progress, so
		// that there is progress to report.
		srv.PauseWorker()
		defer srv.ResumeWorker()
		args, _ := json.Marshal(map[string]any{"workflow": testPrompt})
		cmd := exec.Command(binary, "call", "--config", cfg, "run_workflow", "-")
		cmd.Env = append(os.Environ(), "EASEL_CACHE_DIR="+cacheDir)
		cmd.Stdin = bytes.NewReader(args)
		var out bytes.Buffer
		cmd.Stdout = &out
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Never hang: without progress, the job still runs after a while
		// and the check below fails.
		timer := time.AfterFunc(time.Minute, srv.ResumeWorker)
		defer timer.Stop()
		var errLines []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			errLines = append(errLines, sc.Text())
			if strings.HasPrefix(sc.Text(), "progress ") {
				srv.ResumeWorker()
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v\nstdout %s\nstderr %s", err, out.String(), strings.Join(errLines, "\n"))
		}
		for _, want := range []string{`"outcome": "success"`, "[image image/", "[link comfyui://output/test_"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("stdout lacks %q:\n%s", want, out.String())
			}
		}
		if !strings.Contains(strings.Join(errLines, "\n"), "queue") {
			t.Errorf("stderr has no progress line about the queue:\n%s", strings.Join(errLines, "\n"))
		}
	})

	t.Run("an error result exits 1 and goes to stderr", func(t *testing.T) {
		r := easel(t, "", nil, "call", "--config", cfg, "get_job_status", `{"prompt_id": 5}`)
		r.expect(t, exitFailure, nil, []string{"the tool returned an error", `argument "prompt_id"`})
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing", r.stdout)
		}
	})

	t.Run("ComfyUI down", func(t *testing.T) {
		down := toolsConfig(t, "http://127.0.0.1:1", "get_job_status: plugins/get_job_status")
		r := easel(t, "", nil, "call", "--config", down, "get_job_status", `{"prompt_id": "x"}`)
		r.expect(t, exitFailure, nil, []string{"ComfyUI unreachable at http://127.0.0.1:1/"})
	})

	usage := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown tool", []string{"no_such_tool"}, `declares no tool "no_such_tool"; it declares: get_job_status, run_workflow`},
		{"not JSON", []string{"get_job_status", "{prompt_id"}, "ARGUMENTS is not JSON"},
		{"not an object", []string{"get_job_status", `["x"]`}, "must be a JSON object"},
		{"no tool", nil, "want 1 to 2 arguments, got 0"},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			r := easel(t, "", nil, append([]string{"call", "--config", cfg}, tt.args...)...)
			r.expect(t, exitUsage, nil, []string{tt.stderr})
		})
	}
}

func TestBuildCommand(t *testing.T) {
	out := t.TempDir()
	lockPath := filepath.Join(out, "easel.lock")
	readLock := func() lockFile {
		t.Helper()
		data, err := os.ReadFile(lockPath)
		if err != nil {
			t.Fatal(err)
		}
		var lock lockFile
		if err := json.Unmarshal(data, &lock); err != nil {
			t.Fatalf("lock: %v\n%s", err, data)
		}
		return lock
	}
	// checkModule checks a "DIGEST  FILE" line against the file and the lock.
	checkModule := func(stdout, file string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(out, file))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		digest := hex.EncodeToString(sum[:])
		if !strings.Contains(stdout, digest+"  "+file+"\n") {
			t.Errorf("stdout lacks %q:\n%s", digest+"  "+file, stdout)
		}
		if e := readLock().Modules[file]; e.SHA256 != digest || e.Bytes != len(data) {
			t.Errorf("lock entry %s = %+v, want digest %s and %d bytes", file, e, digest, len(data))
		}
	}

	t.Run("a folder, quietly", func(t *testing.T) {
		r := easel(t, "", nil, "build", "-o", out, repoPath(t, "examples/queue_size"))
		r.expect(t, exitOK, nil, nil)
		if r.stderr != "" {
			t.Errorf("stderr not empty without a terminal or -v: %q", r.stderr)
		}
		checkModule(r.stdout, "queue_size.wasm")
		if lock := readLock(); lock.Go != runtime.Version() || lock.ABI != 1 || lock.Modules["queue_size.wasm"].Source != repoPath(t, "examples/queue_size") {
			t.Errorf("lock = %+v", lock)
		}
	})

	t.Run("tools.yaml, with progress, keeping earlier entries", func(t *testing.T) {
		cfg := toolsConfig(t, "http://127.0.0.1:1", "get_job_status: plugins/get_job_status", "status_again: plugins/get_job_status")
		r := easel(t, "", nil, "build", "-v", "--config", cfg, "-o", out)
		// status_again is the same module but its plugin describes
		// itself as get_job_status: loading it as serve would fails.
		r.expect(t, exitFailure, []string{"  get_job_status.wasm\n"}, []string{"[1/2]", "[2/2]", "tools.yaml:8: tool status_again: load:", "get_job_status"})
		checkModule(r.stdout, "get_job_status.wasm")
		if _, ok := readLock().Modules["queue_size.wasm"]; !ok {
			t.Errorf("the earlier queue_size entry was dropped: %+v", readLock())
		}
	})

	t.Run("the digest is reproducible", func(t *testing.T) {
		before := readLock().Modules["queue_size.wasm"].SHA256
		os.Remove(filepath.Join(out, "queue_size.wasm"))
		r := easel(t, "", nil, "build", "-o", out, repoPath(t, "examples")+"/...")
		r.expect(t, exitOK, []string{before + "  queue_size.wasm\n"}, nil)
	})

	t.Run("not a plugin", func(t *testing.T) {
		r := easel(t, "", nil, "build", "-o", out, repoPath(t, "docs"))
		r.expect(t, exitUsage, nil, []string{"is not a folder holding a Go main package"})
	})
}

func TestDoctorCommand(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		srv := comfyuitest.NewServer(t)
		srv.PauseWorker()
		defer srv.ResumeWorker()
		srv.Submit(t, testPrompt)
		cfg := toolsConfig(t, srv.URL, "get_job_status: plugins/get_job_status")
		r := easel(t, "", nil, "doctor", "--config", cfg)
		r.expect(t, exitOK, []string{
			"✓ configuration " + cfg + ": 1 tool",
			"✓ ComfyUI 0.3.64 at " + srv.URL + " (Python 3.11.2, PyTorch",
			"✓ device cpu (cpu): 23.5 GiB memory, 22.8 GiB free",
			"✓ queue: 0 running, 1 pending",
			"✓ event stream ws://",
			"✓ Go toolchain go1.",
			"✓ plugin get_job_status (" + cfg + ":5)",
			"All 8 checks passed.",
		}, nil)
	})

	t.Run("a wrong ComfyUI URL in one step", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // now nothing listens there
		cfg := toolsConfig(t, "http://"+addr, "get_job_status: plugins/get_job_status")
		r := easel(t, "", nil, "doctor", "--config", cfg)
		r.expect(t, exitFailure, []string{
			"✗ ComfyUI unreachable at http://" + addr + "/system_stats: connection refused\n",
			"  → nothing listens at " + addr + ": start ComfyUI",
			"set comfyui.url in " + cfg,
			"✓ plugin get_job_status",
			"1 of 5 checks failed.",
		}, nil)

		r = easel(t, "", []string{"COMFYUI_URL=http://" + addr}, "doctor", "--config", cfg)
		r.expect(t, exitFailure, []string{"set the COMFYUI_URL environment variable"}, nil)
	})

	t.Run("not ComfyUI", func(t *testing.T) {
		page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>router login</html>"))
		}))
		defer page.Close()
		cfg := toolsConfig(t, page.URL, "get_job_status: plugins/get_job_status")
		r := easel(t, "", nil, "doctor", "--config", cfg)
		r.expect(t, exitFailure, []string{"✗ " + page.URL + "/system_stats answered text/html, not JSON: this is not ComfyUI's API", "→ point comfyui.url"}, nil)
	})

	t.Run("ComfyUI behind a proxy that wants a token", func(t *testing.T) {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		}))
		defer proxy.Close()
		cfg := toolsConfig(t, proxy.URL, "get_job_status: plugins/get_job_status")
		r := easel(t, "", nil, "doctor", "--config", cfg)
		r.expect(t, exitFailure, []string{"answered 401 Unauthorized", "set comfyui.auth"}, nil)
	})

	t.Run("https to a ComfyUI that serves plain HTTP", func(t *testing.T) {
		srv := comfyuitest.NewServer(t)
		https := "https://" + strings.TrimPrefix(srv.URL, "http://")
		cfg := toolsConfig(t, https, "get_job_status: plugins/get_job_status")
		r := easel(t, "", nil, "doctor", "--config", cfg)
		r.expect(t, exitFailure, []string{"answers plain HTTP: write http://, not https://, in comfyui.url in " + cfg}, nil)
	})

	t.Run("no tools.yaml here: the bundled tool set, as serve uses", func(t *testing.T) {
		srv := comfyuitest.NewServer(t)
		r := easel(t, t.TempDir(), []string{"COMFYUI_URL=" + srv.URL}, "doctor")
		r.expect(t, exitOK, []string{"✓ configuration: no tools.yaml here, so the bundled tool set (15 tools)", "✓ plugin get_job_status ((built-in tools.yaml)"}, nil)
	})

	t.Run("broken configuration", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tools.yaml")
		os.WriteFile(path, []byte("comfyui:\n  url: http://127.0.0.1:8188\ntools:\n  - name: x\n    plugn: y\n"), 0o600)
		r := easel(t, "", nil, "doctor", "--config", path)
		r.expect(t, exitFailure, []string{"✗ configuration is invalid:", "tools.yaml:5", "plugn", "→ fix the lines named above"}, nil)
	})

	t.Run("a plugin that does not build", func(t *testing.T) {
		srv := comfyuitest.NewServer(t)
		broken := t.TempDir()
		os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n"), 0o600)
		cfg := toolsConfig(t, srv.URL, "broken: "+broken)
		r := easel(t, "", nil, "doctor", "--config", cfg)
		r.expect(t, exitFailure, []string{"✗ plugin " + cfg + ":5: tool broken: build:", "→ fix the Go errors above"}, nil)
	})
}

// TestNewPluginToServedTool is the plugin author's first minutes: easel new
// in a fresh module, the generated test passes, easel call runs the tool
// against ComfyUI, and easel serve serves it to an MCP client.
func TestNewPluginToServedTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated plugin in a new module")
	}
	srv := comfyuitest.NewServer(t)
	mod := t.TempDir()
	writeAuthorModule(t, mod, "example.com/mine")
	cfg := filepath.Join(mod, "tools.yaml")
	os.WriteFile(cfg, []byte("comfyui:\n  url: "+srv.URL+"\ntools:\n  - name: get_queue\n    plugin: builtin:get_queue\n    permissions:\n      comfyui: [GET /queue]\n"), 0o644)

	r := easel(t, mod, nil, "new", "count_jobs")
	r.expect(t, exitOK, []string{"created count_jobs/main.go, count_jobs/main_test.go", "declared count_jobs in tools.yaml", "cd count_jobs && go test"}, nil)

	// The generated test, as its author runs it (offline: the module
	// cache already holds every dependency of easel's).
	gocmd := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "EASEL_CACHE_DIR="+cacheDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	gocmd("mod", "tidy", "-e")
	gocmd("test", "./count_jobs")

	srv.PauseWorker()
	defer srv.ResumeWorker()
	srv.Submit(t, testPrompt)
	r = easel(t, mod, nil, "call", "count_jobs", `{"with_version": true}`)
	r.expect(t, exitOK, []string{`"pending": 1`, `"comfyui_version": "0.3.64"`}, nil)

	c := startStdio(t, cfg)
	list, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "count_jobs,get_queue" {
		t.Fatalf("tools/list = %v, want get_queue and count_jobs", names)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "count_jobs"
	req.Params.Arguments = map[string]any{}
	res, err := c.CallTool(context.Background(), req)
	if err != nil || res.IsError || !strings.Contains(text(res), `"pending":1`) {
		t.Fatalf("tools/call count_jobs = %+v, %v", res, err)
	}

	t.Run("refusals", func(t *testing.T) {
		easel(t, mod, nil, "new", "count_jobs").expect(t, exitUsage, nil, []string{"count_jobs exists already"})
		easel(t, mod, nil, "new", "Count-Jobs").expect(t, exitUsage, nil, []string{`"Count-Jobs" is not a tool name`})
	})
}

// TestBuildThenPin is the release path: easel build prints a digest, a
// tools.yaml entry pins the built .wasm with it, and serve's checks (here
// through doctor and call) accept that module and refuse any other.
func TestBuildThenPin(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	dir := t.TempDir()
	r := easel(t, dir, nil, "build", "-o", "dist", repoPath(t, "plugins/get_job_status"))
	r.expect(t, exitOK, []string{"  get_job_status.wasm\n"}, nil)
	digest, _, _ := strings.Cut(r.stdout, "  ")

	pinned := func(sum string) string {
		path := filepath.Join(dir, "tools.yaml")
		os.WriteFile(path, []byte("comfyui:\n  url: "+srv.URL+"\ntools:\n  - name: get_job_status\n    plugin: dist/get_job_status.wasm\n    sha256: "+sum+"\n    permissions: {comfyui: [GET /queue, \"GET /history/*\"]}\n"), 0o600)
		return path
	}

	cfg := pinned(digest)
	easel(t, dir, nil, "doctor", "--config", cfg).expect(t, exitOK, []string{"✓ plugin get_job_status (" + cfg + ":4): dist/get_job_status.wasm"}, nil)
	easel(t, dir, nil, "call", "--config", cfg, "get_job_status", `{"prompt_id": "x"}`).expect(t, exitOK, []string{`"found": false`}, nil)

	other := strings.Repeat("0", 64)
	cfg = pinned(other)
	easel(t, dir, nil, "doctor", "--config", cfg).expect(t, exitFailure, []string{"✗ plugin " + cfg + ":4: tool get_job_status: load:", "module sha256 is " + digest + " but it is pinned to " + other}, nil)
	easel(t, dir, nil, "call", "--config", cfg, "get_job_status", `{"prompt_id": "x"}`).expect(t, exitFailure, nil, []string{"pinned to " + other})
}

func TestVersionCommand(t *testing.T) {
	r := easel(t, "", nil, "version")
	r.expect(t, exitOK, []string{"module    github.com/easel-mcp/easel ", "go        " + runtime.Version(), "abi       1 (host module easel_v1)"}, nil)
	if !strings.HasPrefix(r.stdout, "easel ") {
		t.Errorf("first line %q does not start with \"easel \"", strings.SplitN(r.stdout, "\n", 2)[0])
	}
	easel(t, "", nil, "version", "--help").expect(t, exitOK, []string{"NAME\n    easel version - ", "EXIT STATUS\n"}, nil)
	easel(t, "", nil).expect(t, exitUsage, nil, []string{"Commands:", "doctor", "Exit status: 0 success, 1 failure, 2 usage or configuration error."})
}
