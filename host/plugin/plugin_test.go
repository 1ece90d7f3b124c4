package plugin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/gobuild"
	"github.com/easel-mcp/easel/host/imaging"
	"github.com/easel-mcp/easel/host/policy"
)

// cacheDir is shared by the package's tests so that the probe plugin is
// built and compiled once per test binary, not once per test.
var cacheDir string

func TestMain(m *testing.M) {
	if dir := os.Getenv(compileChildEnv); dir != "" {
		os.Exit(compileChild(dir)) // this binary as a Compiler's process
	}
	dir, err := os.MkdirTemp("", "easel-plugin-test-")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// probeWasm is the testdata/probe plugin, built once per test binary.
var probeWasm = sync.OnceValues(func() ([]byte, error) {
	b := &gobuild.Builder{CacheDir: cacheDir}
	path, err := b.Build(context.Background(), filepath.Join("testdata", "probe"))
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

// requesterFunc adapts a function to Requester.
type requesterFunc func(ctx context.Context, req comfyui.Request) (*comfyui.Response, error)

func (f requesterFunc) Do(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	return f(ctx, req)
}

// emptyQueue answers like an idle ComfyUI.
var emptyQueue = requesterFunc(func(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	if req.Method != "GET" || req.Path != "/queue" {
		return &comfyui.Response{Status: 404, URL: "http://comfy.test" + req.Path}, nil
	}
	return &comfyui.Response{Status: 200, ContentType: "application/json", URL: "http://comfy.test/queue",
		Body: []byte(`{"queue_running": [], "queue_pending": []}`)}, nil
})

// syncBuffer is a goroutine-safe log sink.
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

type fixture struct {
	rt  *Runtime
	log *syncBuffer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, RuntimeConfig{})
}

func newFixtureWith(t testing.TB, cfg RuntimeConfig) *fixture {
	t.Helper()
	log := &syncBuffer{}
	cfg.CacheDir = cacheDir
	cfg.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rt, err := NewRuntime(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return &fixture{rt: rt, log: log}
}

func (f *fixture) load(t testing.TB, spec Spec) *Plugin {
	t.Helper()
	wasm, err := probeWasm()
	if err != nil {
		t.Fatalf("build probe plugin: %v", err)
	}
	if spec.Name == "" {
		spec.Name = "probe"
	}
	spec.Wasm = wasm
	if spec.Permissions == nil {
		spec.Permissions = policy.All()
	}
	p, err := f.rt.Load(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// result is the part of a CallToolResult the tests read.
type result struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent *struct {
		Mode string `json:"mode"`
		Text string `json:"text"`
	} `json:"structuredContent"`
	IsError bool `json:"isError"`
}

func call(t testing.TB, p *Plugin, args string) (result, error) {
	t.Helper()
	return callCtx(context.Background(), t, p, args, nil)
}

func callCtx(ctx context.Context, t testing.TB, p *Plugin, args string, progress func(Progress)) (result, error) {
	t.Helper()
	raw, err := p.Call(ctx, json.RawMessage(args), progress)
	var r result
	if err == nil {
		if jerr := json.Unmarshal(WithTextItem(raw), &r); jerr != nil {
			t.Fatalf("result %s: %v", raw, jerr)
		}
	}
	return r, err
}

func mustEcho(t testing.TB, p *Plugin) {
	t.Helper()
	r, err := call(t, p, `{"mode": "echo", "text": "hello"}`)
	if err != nil || r.IsError || r.StructuredContent == nil || r.StructuredContent.Text != "hello" {
		t.Fatalf("echo = %+v, %v; want structured text hello", r, err)
	}
}

func TestDescribe(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{})
	tool := p.Tool()
	if tool.Name != "probe" || tool.Description == "" {
		t.Fatalf("tool = %+v", tool)
	}
	for _, want := range []string{`"mode"`, `"enum"`, `"spin"`} {
		if !strings.Contains(string(tool.InputSchema), want) {
			t.Errorf("inputSchema %s lacks %s", tool.InputSchema, want)
		}
	}
	if !strings.Contains(string(tool.OutputSchema), `"text"`) {
		t.Errorf("outputSchema %s lacks text", tool.OutputSchema)
	}
}

func TestLoadRefuses(t *testing.T) {
	f := newFixture(t)
	wasm, err := probeWasm()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"another tool's name", Spec{Name: "get_job_status", Wasm: wasm}, `describes tool "probe" but tools.yaml declares it as "get_job_status"`},
		{"not wasm", Spec{Name: "probe", Wasm: []byte("#!/bin/sh\necho hi\n")}, "not a valid WebAssembly module"},
		{"wrong exports", Spec{Name: "probe", Wasm: wrongSignatureModule()}, "export easel_call has type ()->(), want (i32,i32)->(i64)"},
		{"missing exports", Spec{Name: "probe", Wasm: wrongSignatureModule()}, "missing export easel_alloc(i32)->(i32)"},
		{"bad name", Spec{Name: "no spaces", Wasm: wasm}, "not a valid tool name"},
		{"bad config", Spec{Name: "probe", Wasm: wasm, Config: json.RawMessage("{")}, "config is not valid JSON"},
		{"pin mismatch", Spec{Name: "probe", Wasm: wasm, SHA256: strings.Repeat("0", 64)}, "but it is pinned to 0000"},
	}
	sum := sha256.Sum256(wasm)
	pinned, err := f.rt.Load(context.Background(), Spec{Name: "probe", Wasm: wasm, SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		t.Fatalf("pinned to its own digest: %v", err)
	}
	pinned.Close(context.Background())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.rt.Load(context.Background(), tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// wrongSignatureModule is a hand-assembled module exporting memory and an
// easel_call of type ()->().
func wrongSignatureModule() []byte {
	return []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
		0x03, 0x02, 0x01, 0x00, // function section: func 0 has type 0
		0x05, 0x03, 0x01, 0x00, 0x01, // memory section: min 1 page
		0x07, 0x17, 0x02, // export section, 2 entries
		0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
		0x0a, 'e', 'a', 's', 'e', 'l', '_', 'c', 'a', 'l', 'l', 0x00, 0x00,
		0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code section: empty body
	}
}

func TestCall(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{Requester: emptyQueue, Config: json.RawMessage(`{"greeting": "hi there"}`)})
	tests := []struct {
		args, want string
		isError    bool
	}{
		{`{"mode": "echo", "text": "hello"}`, "hello", false},
		{`{"mode": "queue"}`, "2", false},
		{`{"mode": "config"}`, "hi there", false},
		{`{"mode": "big", "bytes": 100000}`, strings.Repeat("b", 100000), false},
		{`{"mode": "nope"}`, `argument "mode"`, true},
		{`{"mode": "echo", "extra": 1}`, `unknown argument "extra"`, true},
		{`{}`, `argument "mode" is required`, true},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			r, err := call(t, p, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if r.IsError != tt.isError {
				t.Fatalf("isError = %v, want %v: %+v", r.IsError, tt.isError, r)
			}
			if tt.isError {
				if len(r.Content) == 0 || !strings.Contains(r.Content[0].Text, tt.want) {
					t.Fatalf("error text %+v does not contain %q", r.Content, tt.want)
				}
				return
			}
			if r.StructuredContent == nil || r.StructuredContent.Text != tt.want {
				t.Fatalf("structured text = %+v, want %.40q", r.StructuredContent, tt.want)
			}
		})
	}
}

func TestComfyUIFailureIsAToolError(t *testing.T) {
	f := newFixture(t)
	down := requesterFunc(func(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
		return nil, errors.New("ComfyUI unreachable at http://127.0.0.1:1/queue: connection refused")
	})
	p := f.load(t, Spec{Requester: down})
	r, err := call(t, p, `{"mode": "queue"}`)
	if err != nil || !r.IsError || !strings.Contains(r.Content[0].Text, "ComfyUI unreachable at http://127.0.0.1:1/queue: connection refused") {
		t.Fatalf("got %+v, %v; want the host's message as a tool error", r, err)
	}
}

func TestRequestsAreChecked(t *testing.T) {
	f := newFixture(t)
	var paths []string
	var mu sync.Mutex
	rec := requesterFunc(func(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
		mu.Lock()
		paths = append(paths, req.Method+" "+req.Path)
		mu.Unlock()
		return emptyQueue(ctx, req)
	})
	p := f.load(t, Spec{Requester: rec})
	if r, err := call(t, p, `{"mode": "queue"}`); err != nil || r.IsError {
		t.Fatalf("queue: %+v %v", r, err)
	}
	if fmt.Sprint(paths) != "[GET /queue]" {
		t.Fatalf("requests = %v, want [GET /queue]", paths)
	}
	// A plugin cannot request during describe: it has no ComfyUI then, by design.
	st := &callState{describe: true}
	msg := p.comfyUIRequest(context.Background(), st, []byte(`{"method":"GET","path":"/queue"}`+"\n"))
	if !bytes.Contains(msg, []byte("not allowed while a plugin describes itself")) {
		t.Fatalf("request during describe answered %s", msg)
	}
	st.describe = false
	for _, path := range []string{"/../etc/passwd", "queue", "/view?filename=x", "/a/%2e%2e/b"} {
		msg := p.comfyUIRequest(context.Background(), st, []byte(`{"method":"GET","path":"`+path+`"}`+"\n"))
		if !bytes.HasPrefix(msg, []byte(`{"status":0,"error":"request refused`)) {
			t.Errorf("path %q answered %s, want a refusal", path, msg)
		}
	}
	for _, q := range []string{`{"filename":"../x.png"}`, `{"filename":"a.png","subfolder":"../../etc"}`, `{"filename":"a.png","type":"models"}`} {
		msg := p.comfyUIRequest(context.Background(), st, []byte(`{"method":"GET","path":"/view","query":`+q+`}`+"\n"))
		if !bytes.HasPrefix(msg, []byte(`{"status":0,"error":"request refused`)) {
			t.Errorf("/view with %s answered %s, want a refusal", q, msg)
		}
	}
	evil := "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"..\"\r\n\r\nx\r\n--b--\r\n"
	for _, ct := range []string{"multipart/form-data; boundary=b", "application/octet-stream"} {
		head := `{"method":"POST","path":"/upload/image","content_type":"` + ct + `"}`
		msg := p.comfyUIRequest(context.Background(), st, []byte(head+"\n"+evil))
		if !bytes.HasPrefix(msg, []byte(`{"status":0,"error":"request refused`)) {
			t.Errorf("upload as %s answered %s, want a refusal", ct, msg)
		}
	}
	if fmt.Sprint(paths) != "[GET /queue]" {
		t.Fatalf("refused requests reached ComfyUI: %v", paths)
	}
}

// TestPermissionsDenyByDefault checks that a plugin reaches no ComfyUI route
// and cannot wait for jobs unless its grant says so, and that the refusal
// tells the operator what to grant.
func TestPermissionsDenyByDefault(t *testing.T) {
	f := newFixture(t)
	var reached []string
	var mu sync.Mutex
	rec := requesterFunc(func(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
		mu.Lock()
		reached = append(reached, req.Method+" "+req.Path)
		mu.Unlock()
		return emptyQueue(ctx, req)
	})
	route := func(s string) policy.Route {
		r, err := policy.ParseRoute(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name  string
		perms *policy.Permissions
		input string
		want  string // in the tool's text; "" means success
	}{
		{"no grant", &policy.Permissions{}, `{"mode": "queue"}`,
			"request refused: GET /queue is not granted to tool probe (tools.yaml: add it to permissions.comfyui)"},
		{"other route", &policy.Permissions{ComfyUI: []policy.Route{route("GET /history/*")}}, `{"mode": "queue"}`, "GET /queue is not granted"},
		{"other method", &policy.Permissions{ComfyUI: []policy.Route{route("POST /queue")}}, `{"mode": "queue"}`, "GET /queue is not granted"},
		{"granted", &policy.Permissions{ComfyUI: []policy.Route{route("GET /queue")}}, `{"mode": "queue"}`, ""},
		{"jobs not granted", &policy.Permissions{}, `{"mode": "await", "text": "job-1"}`,
			"waiting for ComfyUI jobs is not granted to tool probe (tools.yaml: permissions.jobs: true)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := f.load(t, Spec{Requester: rec, Jobs: &fakeJobs{}, Permissions: tt.perms})
			mu.Lock()
			reached = nil
			mu.Unlock()
			r, err := call(t, p, tt.input)
			if err != nil {
				t.Fatal(err)
			}
			text := r.Content[0].Text
			if r.StructuredContent != nil {
				text += " " + r.StructuredContent.Text
			}
			if tt.want == "" {
				if r.IsError || fmt.Sprint(reached) != "[GET /queue]" {
					t.Fatalf("granted request: %s, reached %v", text, reached)
				}
				return
			}
			if !strings.Contains(text, tt.want) {
				t.Fatalf("result %q, want it to contain %q", text, tt.want)
			}
			if len(reached) != 0 {
				t.Fatalf("refused request reached ComfyUI: %v", reached)
			}
		})
	}
}

// TestOutboundHTTPIsGranted checks the http_request host function end to
// end: a granted host:port is reached (with only the plugin's headers), and
// anything else is refused before a connection is made. The address and
// redirect rules are tested in package egress.
func TestOutboundHTTPIsGranted(t *testing.T) {
	f := newFixture(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintf(w, "probe=%s auth=%q", r.Header.Get("X-Probe"), r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	hostport := strings.TrimPrefix(srv.URL, "http://")
	granted, err := policy.ParseEndpoint(hostport)
	if err != nil {
		t.Fatal(err)
	}
	p := f.load(t, Spec{Permissions: &policy.Permissions{HTTP: []policy.Endpoint{granted}}})
	r, err := call(t, p, `{"mode": "http", "text": "`+srv.URL+`/x"}`)
	if err != nil || r.IsError || r.StructuredContent.Text != `200 probe=1 auth=""` {
		t.Fatalf("granted request: %+v, %v", r, err)
	}
	for _, url := range []string{"http://169.254.169.254/latest/meta-data/", "http://localhost:1/", "file:///etc/passwd"} {
		r, err := call(t, p, `{"mode": "http", "text": "`+url+`"}`)
		if err != nil || !r.IsError || !strings.Contains(r.Content[0].Text, "request refused") {
			t.Errorf("%s: %+v, %v; want a refusal", url, r, err)
		}
	}
	none := f.load(t, Spec{Permissions: &policy.Permissions{}})
	r, err = call(t, none, `{"mode": "http", "text": "`+srv.URL+`/x"}`)
	if err != nil || !r.IsError || !strings.Contains(r.Content[0].Text, "is not granted to tool probe (tools.yaml: add") {
		t.Fatalf("no grant: %+v, %v; want a refusal naming permissions.http", r, err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("server saw %d requests, want only the granted one", n)
	}
}

func TestFilesAreGrantedByName(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "flow.json")
	os.WriteFile(path, []byte(`{"1":{}}`), 0o600)
	p := f.load(t, Spec{Files: map[string]string{"workflow": path}, ClientID: "easel-test"})
	r, err := call(t, p, `{"mode": "file", "text": "workflow"}`)
	if err != nil || r.IsError || r.StructuredContent.Text != `{"1":{}} easel-test` {
		t.Fatalf("granted file: %+v %v", r, err)
	}
	for _, name := range []string{path, "../flow.json", "other"} {
		r, err := call(t, p, `{"mode": "file", "text": "`+name+`"}`)
		if err != nil || !r.IsError || !strings.Contains(r.Content[0].Text, "is not granted to tool probe") {
			t.Errorf("file %q: %+v %v, want a refusal", name, r, err)
		}
	}
}

// fakeJobs is a JobWaiter that finishes every wait at once.
type fakeJobs struct {
	mu    sync.Mutex
	waits []string
}

func (f *fakeJobs) WaitJob(ctx context.Context, promptID string, timeout time.Duration, progress func(float64, float64, string)) (json.RawMessage, error) {
	f.mu.Lock()
	f.waits = append(f.waits, fmt.Sprintf("%s %s", promptID, timeout))
	f.mu.Unlock()
	if progress != nil {
		progress(1, 2, "node 1")
	}
	if promptID == "down" {
		return nil, errors.New("ComfyUI unreachable at http://x/queue: connection refused")
	}
	return json.RawMessage(`{"prompt_id":"` + promptID + `","status":"done","waited_ms":5}`), nil
}

func TestAwaitResumesThePlugin(t *testing.T) {
	f := newFixture(t)
	jobs := &fakeJobs{}
	p := f.load(t, Spec{Jobs: jobs, MaxWait: 30 * time.Second, MaxInstances: 1})
	var got []Progress
	r, err := callCtx(context.Background(), t, p, `{"mode": "await", "text": "job-1"}`, func(pr Progress) { got = append(got, pr) })
	if err != nil || r.IsError || r.StructuredContent.Text != "done job-1-state " {
		t.Fatalf("await = %+v, %v", r, err)
	}
	if fmt.Sprint(jobs.waits) != "[job-1 30s]" {
		t.Errorf("waits = %v, want one capped at MaxWait", jobs.waits)
	}
	if len(got) != 1 || got[0].Message != "node 1" {
		t.Errorf("progress during the wait = %v", got)
	}
	r, err = call(t, p, `{"mode": "await", "text": "down"}`)
	if err != nil || r.StructuredContent.Text != "error down-state ComfyUI unreachable at http://x/queue: connection refused" {
		t.Fatalf("failed wait = %+v, %v; want the plugin to see status error", r, err)
	}
}

func TestAwaitWithoutJobWaiter(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{})
	r, err := call(t, p, `{"mode": "await", "text": "job-1"}`)
	if err != nil || r.StructuredContent.Text != "error job-1-state this easel cannot wait for ComfyUI jobs" {
		t.Fatalf("await = %+v, %v", r, err)
	}
}

func TestProgressAndLog(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{})
	var got []Progress
	if _, err := callCtx(context.Background(), t, p, `{"mode": "progress"}`, func(pr Progress) { got = append(got, pr) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[{1 3 step 1} {2 3 step 2} {3 3 step 3}]" {
		t.Errorf("progress = %v", got)
	}
	if _, err := call(t, p, `{"mode": "log", "text": "marker-42"}`); err != nil {
		t.Fatal(err)
	}
	if logs := f.log.String(); !strings.Contains(logs, "probe log line") || !strings.Contains(logs, "marker-42") || !strings.Contains(logs, "tool=probe") {
		t.Errorf("plugin log not in host log:\n%s", logs)
	}
}

// Each failing call costs that call only: the instance is replaced and the
// next call succeeds.
func TestFailuresAreContained(t *testing.T) {
	f := newFixture(t)
	// The timeout also bounds starting the replacement instance, which takes
	// far longer than usual on a loaded machine: keep it generous.
	p := f.load(t, Spec{CallTimeout: 2 * time.Second, MaxOutputBytes: 1 << 20, MaxInstances: 2})
	tests := []struct {
		args, want string
	}{
		{`{"mode": "panic"}`, "plugin probe panicked: probe panicked on purpose\ngoroutine 1 [running]:\nmain.handle("},
		{`{"mode": "spin"}`, "timed out after 2s"},
		{`{"mode": "sleep"}`, "timed out after 2s"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, err := call(t, p, tt.args)
			var ce *CallError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want a CallError containing %q", err, tt.want)
			}
			mustEcho(t, p)
		})
	}
}

func TestOutputLimit(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{MaxOutputBytes: 1 << 20})
	_, err := call(t, p, `{"mode": "big", "bytes": 2000000}`)
	if err == nil || !strings.Contains(err.Error(), "over the 1048576-byte limit (tools.yaml limits.max_output_bytes)") {
		t.Fatalf("error = %v, want the output limit", err)
	}
	mustEcho(t, p)
}

func TestCancel(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := callCtx(ctx, t, p, `{"mode": "spin"}`, nil)
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("error = %v, want cancelled", err)
	}
	mustEcho(t, p)
}

func TestStderrIsBoundedAndLogged(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{})
	r, err := call(t, p, `{"mode": "stderr", "bytes": 3000000}`)
	if err != nil || r.IsError {
		t.Fatalf("stderr mode: %+v %v", r, err)
	}
	if !strings.Contains(f.log.String(), "stream=stderr") {
		t.Error("stderr lines not logged")
	}
}

func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{MaxInstances: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := fmt.Sprint("call-", i)
			raw, err := p.Call(context.Background(), json.RawMessage(`{"mode": "echo", "text": "`+text+`"}`), nil)
			if err == nil && !bytes.Contains(raw, []byte(text)) {
				err = fmt.Errorf("call %d got %s", i, raw)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkCallEcho(b *testing.B) {
	f := newFixture(b)
	p := f.load(b, Spec{})
	args := json.RawMessage(`{"mode": "echo", "text": "hello"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Call(context.Background(), args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThumbnail decides where thumbnails are made (docs/design.md):
// natively in the host, by the same Go code compiled into a plugin, or by
// a plugin calling the host's image_thumbnail function. The image is a
// 1024×1024 PNG scaled to 512.
func BenchmarkThumbnail(b *testing.B) {
	img := image.NewNRGBA(image.Rect(0, 0, 1024, 1024))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	path := filepath.Join(b.TempDir(), "image.png")
	os.WriteFile(path, buf.Bytes(), 0o600)
	b.Run("native", func(b *testing.B) {
		for b.Loop() {
			if _, err := imaging.Thumbnail(buf.Bytes(), 512, 1<<20); err != nil {
				b.Fatal(err)
			}
		}
	})
	f := newFixture(b)
	p := f.load(b, Spec{Files: map[string]string{"image": path}})
	for _, mode := range []string{"thumb_guest", "thumb_host"} {
		b.Run(mode, func(b *testing.B) {
			args := json.RawMessage(`{"mode": "` + mode + `", "bytes": 512}`)
			for b.Loop() {
				r, err := call(b, p, string(args))
				if err != nil || r.IsError || r.StructuredContent.Text != "512x512" {
					b.Fatalf("%s: %+v %v", mode, r, err)
				}
			}
		})
	}
}

// BenchmarkInterrupt measures what stopping runaway plugins costs per call
// (docs/design.md): the same calls with no interruption at all (unsafe: the
// baseline), with wazero's WithCloseOnContextDone, and with instrumented
// modules that yield to the host (the design). Compare the ratios to "none"
// within one run.
func BenchmarkInterrupt(b *testing.B) {
	modes := []struct {
		name string
		mode interruptMode
	}{{"none", interruptNone}, {"close-on-done", interruptCloseOnDone}, {"fuel", interruptFuel}}
	calls := []struct{ name, args string }{
		{"echo", `{"mode": "echo", "text": "hello"}`},
		{"base64-1MiB", `{"mode": "base64", "bytes": 1048576}`},
	}
	for _, m := range modes {
		f := newFixtureWith(b, RuntimeConfig{interrupt: m.mode})
		p := f.load(b, Spec{MaxInstances: 1})
		for _, c := range calls {
			b.Run(c.name+"/"+m.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := p.Call(context.Background(), json.RawMessage(c.args), nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
