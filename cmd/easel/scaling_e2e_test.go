package main

// End-to-end test of the scaled-out deployment of docs/scaling.md: two
// `easel serve --http --stateless` replicas behind a round-robin load
// balancer, two ComfyUI backends, one MCP session whose calls alternate
// between the replicas.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// writeBackendsConfig writes the repository's tools.yaml with its single
// comfyui: server replaced by backends a and b.
func writeBackendsConfig(t *testing.T, a, b string) string {
	t.Helper()
	src, err := os.ReadFile(repoPath(t, "tools.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(src)
	for old, repl := range map[string]string{
		"comfyui:\n  url: http://127.0.0.1:8188\n  timeout: 30s\n": fmt.Sprintf(
			"backends:\n  - {name: a, url: %q, timeout: 5s, connect_timeout: 1s}\n  - {name: b, url: %q, timeout: 5s, connect_timeout: 1s}\n", a, b),
		"    plugin: plugins/": "    plugin: " + repoPath(t, "plugins") + "/",
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("tools.yaml no longer has %q", old)
		}
		cfg = strings.ReplaceAll(cfg, old, repl)
	}
	path := filepath.Join(t.TempDir(), "tools.yaml")
	if err := os.WriteFile(path, []byte("cache_dir: "+cacheDir+"\n"+cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// roundRobin is the load balancer: each request goes to the next replica.
type roundRobin struct {
	proxies []*httputil.ReverseProxy
	mu      sync.Mutex
	next    int
	served  []int // requests per replica
}

func newRoundRobin(t *testing.T, replicas ...string) (*roundRobin, string) {
	rr := &roundRobin{served: make([]int, len(replicas))}
	for _, r := range replicas {
		u, err := url.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		rr.proxies = append(rr.proxies, httputil.NewSingleHostReverseProxy(u))
	}
	srv := httptest.NewServer(rr)
	t.Cleanup(srv.Close)
	return rr, srv.URL
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	i := rr.next
	rr.next = (rr.next + 1) % len(rr.proxies)
	rr.served[i]++
	rr.mu.Unlock()
	rr.proxies[i].ServeHTTP(w, r)
}

func (rr *roundRobin) counts() []int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]int(nil), rr.served...)
}

// structured calls a tool and returns its structured content, failing the
// test on an error result.
func structured(t *testing.T, c *client.Client, name string, args map[string]any) map[string]any {
	t.Helper()
	res := callTool(t, c, name, args)
	m, _ := res.StructuredContent.(map[string]any)
	if res.IsError || m == nil {
		t.Fatalf("%s %v: %s", name, args, text(res))
	}
	return m
}

var scalingWorkflow = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 64, "height": 64, "batch_size": 1, "color": 255}},
	"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
	"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "scaled"}},
}

// scalingTools are the tools the test uses.
var scalingTools = []string{"enqueue_workflow", "get_job_status", "wait_for_job", "cancel_job", "get_queue", "get_history", "get_image", "get_system_stats"}

// warm calls every tool once without arguments, so that its plugin is
// loaded; the answers (mostly argument errors) do not matter.
func warm(t *testing.T, c *client.Client) {
	t.Helper()
	for _, name := range scalingTools {
		callTool(t, c, name, map[string]any{})
	}
}

// backendOf reads the backend a prompt id names ("a.<uuid>").
func backendOf(t *testing.T, id string) string {
	t.Helper()
	name, _, ok := strings.Cut(id, ".")
	if !ok || (name != "a" && name != "b") {
		t.Fatalf("prompt id %q does not name backend a or b", id)
	}
	return name
}

func TestReplicasBehindALoadBalancer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two easel processes")
	}
	srvs := map[string]*comfyuitest.Server{"a": comfyuitest.NewServer(t), "b": comfyuitest.NewServer(t)}
	cfg := writeBackendsConfig(t, srvs["a"].URL, srvs["b"].URL)
	// The first replica builds and compiles the plugins into the shared
	// cache while the test warms it up; the second then loads from it.
	one, _ := serveHTTP(t, nil, "--config", cfg, "--stateless", "--log-level", "debug", "--tools", strings.Join(scalingTools, ","))
	warm(t, slowClient(t, one+"/mcp"))
	two, _ := serveHTTP(t, nil, "--config", cfg, "--stateless", "--log-level", "debug", "--tools", strings.Join(scalingTools, ","))
	lb, lbURL := newRoundRobin(t, one, two)
	c := slowClient(t, lbURL+"/mcp")

	// 1. Four jobs queued through alternating replicas spread over both
	// backends, whose workers are paused.
	srvs["a"].PauseWorker()
	srvs["b"].PauseWorker()
	var ids []string
	perBackend := map[string]int{}
	for range 4 {
		m := structured(t, c, "enqueue_workflow", map[string]any{"workflow": scalingWorkflow})
		id, _ := m["prompt_id"].(string)
		ids = append(ids, id)
		perBackend[backendOf(t, id)]++
	}
	if perBackend["a"] == 0 || perBackend["b"] == 0 {
		t.Errorf("4 jobs on two idle backends went %v; want both used", perBackend)
	}
	t.Logf("jobs per backend: %v", perBackend)

	// 2. Every replica finds every job, pending, on its backend.
	for _, id := range ids {
		for range 2 {
			st := structured(t, c, "get_job_status", map[string]any{"prompt_id": id})
			if st["found"] != true || st["pending"] != true || st["backend"] != backendOf(t, id) {
				t.Errorf("get_job_status(%s) = %v", id, st)
			}
		}
	}
	q := structured(t, c, "get_queue", nil)
	if q["pending_count"] != float64(4) || len(q["backends"].([]any)) != 2 {
		t.Errorf("get_queue = %v", q)
	}

	// 3. A job cancelled through the other replica is gone for both.
	cancelled := ids[3]
	ids = ids[:3]
	if r := structured(t, c, "cancel_job", map[string]any{"prompt_id": cancelled}); r["result"] != "removed" {
		t.Errorf("cancel_job = %v", r)
	}
	for range 2 {
		if st := structured(t, c, "get_job_status", map[string]any{"prompt_id": cancelled}); st["found"] != false {
			t.Errorf("cancelled job: %v", st)
		}
	}

	// 4. Waits, history and images through either replica.
	srvs["a"].ResumeWorker()
	srvs["b"].ResumeWorker()
	for _, id := range ids {
		w := structured(t, c, "wait_for_job", map[string]any{"prompt_id": id, "timeout_s": 60})
		if w["done"] != true || w["outcome"] != "success" || w["backend"] != backendOf(t, id) {
			t.Fatalf("wait_for_job(%s) = %v", id, w)
		}
		out := w["outputs"].([]any)[0].(map[string]any)
		if out["backend"] != backendOf(t, id) || !strings.HasSuffix(out["uri"].(string), "?backend="+backendOf(t, id)) {
			t.Errorf("output of %s: %v", id, out)
		}
		h := structured(t, c, "get_history", map[string]any{"prompt_id": id})
		entries := h["entries"].([]any)
		if h["found"] != true || len(entries) != 1 || entries[0].(map[string]any)["backend"] != backendOf(t, id) {
			t.Errorf("get_history(%s) = %v", id, h)
		}
		img := callTool(t, c, "get_image", map[string]any{"filename": out["filename"], "subfolder": out["subfolder"], "type": "output", "backend": out["backend"]})
		if img.IsError || len(img.Content) < 2 {
			t.Errorf("get_image for %s: %s", id, text(img))
		}
		want, ok := srvs[backendOf(t, id)].File("output", "", out["filename"].(string))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rreq := mcp.ReadResourceRequest{}
		rreq.Params.URI = out["uri"].(string)
		res, err := c.ReadResource(ctx, rreq)
		cancel()
		if err != nil || !ok || len(res.Contents) != 1 {
			t.Fatalf("resources/read %s: %v", rreq.Params.URI, err)
		}
		blob, _ := res.Contents[0].(mcp.BlobResourceContents)
		if blob.Blob == "" || len(blob.Blob) < len(want) {
			t.Errorf("resources/read %s: %d base64 characters for a %d-byte file", rreq.Params.URI, len(blob.Blob), len(want))
		}
	}
	list := structured(t, c, "get_history", map[string]any{"max_items": 10})
	if n := len(list["entries"].([]any)); n != 3 {
		t.Errorf("get_history lists %d jobs over both backends, want 3: %v", n, list)
	}

	// 5. A backend that goes down gets no new jobs until it is back.
	srvs["b"].Down()
	// Two calls in a row reach both replicas.
	eventually(t, "both replicas see b unhealthy", func() bool { return !backendHealthy(t, c, "b") && !backendHealthy(t, c, "b") })
	srvs["a"].PauseWorker()
	for range 3 {
		m := structured(t, c, "enqueue_workflow", map[string]any{"workflow": scalingWorkflow})
		if id := m["prompt_id"].(string); backendOf(t, id) != "a" {
			t.Errorf("job %s went to b while b was down", id)
		}
	}
	srvs["b"].Up()
	eventually(t, "both replicas see b healthy again", func() bool { return backendHealthy(t, c, "b") && backendHealthy(t, c, "b") })
	m := structured(t, c, "enqueue_workflow", map[string]any{"workflow": scalingWorkflow})
	if id := m["prompt_id"].(string); backendOf(t, id) != "b" {
		t.Errorf("with 3 jobs pending on a and b back, the next job went to %s; get_system_stats on both replicas: %v; %v",
			backendOf(t, id), structured(t, c, "get_system_stats", nil)["backends"], structured(t, c, "get_system_stats", nil)["backends"])
	}
	srvs["a"].ResumeWorker()

	served := lb.counts()
	if served[0] < 10 || served[1] < 10 {
		t.Errorf("the load balancer sent %v requests to the replicas; want both busy", served)
	}
	t.Logf("requests per replica: %v", served)
}

// slowClient connects mcp-go's streamable HTTP client with room for the
// first calls, which wait for two processes to build and compile plugins.
func slowClient(t *testing.T, url string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(url, transport.WithHTTPTimeout(3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "easel-scaling-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
	return c
}

// backendHealthy asks get_system_stats (through whichever replica is next)
// whether the named backend receives new jobs.
func backendHealthy(t *testing.T, c *client.Client, name string) bool {
	t.Helper()
	st := structured(t, c, "get_system_stats", nil)
	for _, b := range st["backends"].([]any) {
		b := b.(map[string]any)
		if b["backend"] == name {
			return b["healthy"] == true
		}
	}
	raw, _ := json.Marshal(st)
	t.Fatalf("get_system_stats does not list backend %s: %s", name, raw)
	return false
}
