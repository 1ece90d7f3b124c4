package backends

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

var prompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
	"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
	"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "pool"}},
}

// cluster is two emulated ComfyUI servers, "a" and "b".
type cluster struct {
	a, b *comfyuitest.Server
}

func newCluster(t *testing.T) cluster {
	return cluster{comfyuitest.NewServer(t), comfyuitest.NewServer(t)}
}

// specs describes the cluster's servers; labels[i] go to server i.
func (c cluster) specs(t testing.TB, labels ...map[string]string) []Spec {
	t.Helper()
	var out []Spec
	for i, s := range []*comfyuitest.Server{c.a, c.b} {
		client, err := comfyui.New(comfyui.Config{BaseURL: s.URL, Timeout: 5 * time.Second, ConnectTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		sp := Spec{Name: string(rune('a' + i)), Client: client, Weight: 1}
		if i < len(labels) {
			sp.Labels = labels[i]
		}
		out = append(out, sp)
	}
	return out
}

// startPool runs a pool (one easel replica's view) until the test ends.
func startPool(t *testing.T, specs []Spec) *Pool {
	t.Helper()
	p, err := New(specs, Options{ProbeInterval: 50 * time.Millisecond, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in time", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *Pool) status(name string) Status {
	for _, s := range p.Statuses() {
		if s.Name == name {
			return s
		}
	}
	return Status{}
}

// queue sends POST /prompt through the router as a plugin would, and
// returns the prompt id ComfyUI answered with and the backend that took it.
func queue(t testing.TB, r *Router) (id, backend string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"prompt": prompt, "client_id": r.pool.ClientID()})
	resp, err := r.Do(context.Background(), comfyui.Request{Method: "POST", Path: "/prompt", Body: body, ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 {
		t.Fatalf("POST /prompt: %d %s", resp.Status, resp.Body)
	}
	var out struct {
		PromptID string `json:"prompt_id"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.PromptID, resp.Backend
}

func TestJobsSpreadByQueueLength(t *testing.T) {
	c := newCluster(t)
	c.a.PauseWorker()
	c.b.PauseWorker()
	for range 3 { // someone else's jobs, queued on a directly
		c.a.Submit(t, prompt)
	}
	p := startPool(t, c.specs(t))
	waitFor(t, "a reports 3 queued", func() bool { return p.status("a").QueueRemaining == 3 && p.status("a").EventStream })
	waitFor(t, "b connected", func() bool { return p.status("b").EventStream })

	var got []string
	for range 5 {
		id, backend := queue(t, p.For(nil))
		if !strings.HasPrefix(id, backend+".") {
			t.Errorf("prompt id %q does not name its backend %s", id, backend)
		}
		got = append(got, backend)
	}
	// b is idle and a has 3: the first three go to b, then one each.
	if strings.Join(got[:3], "") != "bbb" || strings.Join(got[3:], "") != "ab" && strings.Join(got[3:], "") != "ba" {
		t.Errorf("jobs went to %v, want b b b then one each", got)
	}
	waitFor(t, "queue lengths reported", func() bool {
		return p.status("a").QueueRemaining == 4 && p.status("b").QueueRemaining == 4
	})
}

func TestWeightAndLabels(t *testing.T) {
	c := newCluster(t)
	c.a.PauseWorker()
	c.b.PauseWorker()
	specs := c.specs(t, map[string]string{"gpu": "24gb"}, map[string]string{"gpu": "12gb"})
	specs[1].Weight = 3
	p := startPool(t, specs)
	waitFor(t, "streams up", func() bool { return p.status("a").EventStream && p.status("b").EventStream })

	counts := map[string]int{}
	for range 8 {
		_, b := queue(t, p.For(nil))
		counts[b]++
	}
	if counts["a"] != 2 || counts["b"] != 6 {
		t.Errorf("with weights 1 and 3, 8 jobs went %v; want a:2 b:6", counts)
	}
	for range 3 {
		if _, b := queue(t, p.For(map[string]string{"gpu": "24gb"})); b != "a" {
			t.Errorf("a tool requiring gpu=24gb queued on %s", b)
		}
	}
	_, err := p.For(map[string]string{"gpu": "80gb"}).Do(context.Background(), comfyui.Request{Method: "POST", Path: "/prompt", Body: []byte(`{"prompt": {}}`)})
	if err == nil || !strings.Contains(err.Error(), "no ComfyUI backend with labels gpu=80gb") {
		t.Errorf("labels nobody has: err = %v", err)
	}
	refused := []struct {
		name   string
		router *Router
		req    comfyui.Request
		want   string
	}{
		{"a job on a backend without the tool's labels", p.For(map[string]string{"gpu": "24gb"}),
			comfyui.Request{Method: "POST", Path: "/prompt", Backend: "b", Body: []byte(`{"prompt": {}}`)}, "backend b lacks the labels gpu=24gb"},
		{"a job on every backend", p.For(nil),
			comfyui.Request{Method: "POST", Path: "/prompt", Backend: "*", Body: []byte(`{"prompt": {}}`)}, "only GET requests go to every backend"},
		{"an unknown backend", p.For(nil), comfyui.Request{Method: "GET", Path: "/queue", Backend: "c"}, `no ComfyUI backend is named "c"`},
	}
	for _, tt := range refused {
		if _, err := tt.router.Do(context.Background(), tt.req); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestDownBackendGetsNoWorkUntilItRecovers(t *testing.T) {
	c := newCluster(t)
	c.b.PauseWorker()
	p := startPool(t, c.specs(t))
	waitFor(t, "streams up", func() bool { return p.status("a").EventStream && p.status("b").EventStream })

	c.a.Down()
	waitFor(t, "a unhealthy", func() bool { return !p.status("a").Healthy })
	if st := p.status("a"); !strings.Contains(st.Problem, c.a.URL) {
		t.Errorf("problem %q does not name a's URL", st.Problem)
	}
	for range 4 {
		if _, b := queue(t, p.For(nil)); b != "b" {
			t.Fatalf("a job went to %s while a was down", b)
		}
	}

	c.a.Up()
	waitFor(t, "a healthy again", func() bool { return p.status("a").Healthy })
	// b holds 4 pending jobs, a none: a gets the next ones.
	if _, b := queue(t, p.For(nil)); b != "a" {
		t.Errorf("after recovering, the next job went to %s, want a", b)
	}

	c.a.Down()
	c.b.Down()
	waitFor(t, "both unhealthy", func() bool { return !p.status("a").Healthy && !p.status("b").Healthy })
	_, err := p.For(nil).Do(context.Background(), comfyui.Request{Method: "POST", Path: "/prompt", Body: []byte(`{"prompt": {}}`)})
	if err == nil || !strings.Contains(err.Error(), "no healthy ComfyUI backend") || !strings.Contains(err.Error(), c.b.URL) {
		t.Errorf("all down: err = %v", err)
	}
}

// A job queued through one replica is found, waited for and read through
// another, which shares nothing with the first but tools.yaml.
func TestAnyReplicaFindsAJob(t *testing.T) {
	c := newCluster(t)
	one := startPool(t, c.specs(t))
	two := startPool(t, c.specs(t))
	ctx := context.Background()

	c.a.PauseWorker()
	c.b.PauseWorker()
	tagged, backend := queue(t, one.For(nil))
	srv := map[string]*comfyuitest.Server{"a": c.a, "b": c.b}[backend]
	untagged := srv.Submit(t, prompt) // queued by someone else: a plain UUID

	for _, id := range []string{tagged, untagged} {
		if owner, err := two.Owner(ctx, id); err != nil || owner != backend {
			t.Errorf("Owner(%s) = %q, %v; want %s", id, owner, err, backend)
		}
		// GET /queue about the job goes to its backend only.
		resp, err := two.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/queue", Job: id})
		if err != nil || resp.Backend != backend || !strings.Contains(string(resp.Body), id) {
			t.Errorf("GET /queue for %s: backend %q, err %v", id, resp.Backend, err)
		}
	}

	c.a.ResumeWorker()
	c.b.ResumeWorker()
	for _, id := range []string{tagged, untagged} {
		raw, err := two.WaitJob(ctx, id, 10*time.Second, nil)
		if err != nil || !strings.Contains(string(raw), `"status":"done"`) {
			t.Fatalf("WaitJob(%s) through the other replica: %s, %v", id, raw, err)
		}
		resp, err := two.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/history/" + url.PathEscape(id)})
		if err != nil || resp.Backend != backend || !strings.Contains(string(resp.Body), "pool_00001_.png") && !strings.Contains(string(resp.Body), "pool_00002_.png") {
			t.Errorf("GET /history/%s: backend %q, err %v, body %.200s", id, resp.Backend, err, resp.Body)
		}
	}

	// Both backends now have an output named pool_00001_.png only if both
	// ran a job; the one that ran ours is named in the URI.
	data, mt, err := two.ReadFile(ctx, "comfyui://output/pool_00001_.png?backend="+backend)
	if err != nil || mt != "image/png" || len(data) == 0 {
		t.Errorf("ReadFile with ?backend=: %d bytes, %q, %v", len(data), mt, err)
	}
	if _, _, err := two.ReadFile(ctx, "comfyui://output/pool_00001_.png?backend=nope"); err == nil || !strings.Contains(err.Error(), `no ComfyUI backend is named "nope"`) {
		t.Errorf("unknown backend in a URI: %v", err)
	}

	// A job nobody has is reported as such, and an unanswerable question
	// is an error, not a false "unknown".
	if owner, err := two.Owner(ctx, "0d5c7a6e-no-such-job"); owner != "" || err != nil {
		t.Errorf("Owner(unknown) = %q, %v", owner, err)
	}
	other := map[string]*comfyuitest.Server{"a": c.b, "b": c.a}[backend]
	other.Down()
	if _, err := two.Owner(ctx, "0d5c7a6e-no-such-job"); err == nil || !strings.Contains(err.Error(), "could not be asked") {
		t.Errorf("Owner with a backend down = %v, want an error saying it could not be asked", err)
	}
	if owner, err := two.Owner(ctx, untagged); owner != backend || err != nil {
		t.Errorf("Owner(%s) with the other backend down = %q, %v", untagged, owner, err)
	}
}

func TestFanOutAndMerge(t *testing.T) {
	c := newCluster(t)
	c.a.PauseWorker()
	c.b.PauseWorker()
	c.a.Submit(t, prompt)
	c.b.Submit(t, prompt)
	c.b.Submit(t, prompt)
	p := startPool(t, c.specs(t, map[string]string{"gpu": "24gb"}))
	ctx := context.Background()

	resp, err := p.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/queue", Backend: "*"})
	if err != nil {
		t.Fatal(err)
	}
	var list []FanOut
	if err := json.Unmarshal(resp.Body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "a" || list[0].Labels["gpu"] != "24gb" || list[1].Name != "b" || list[0].HTTPStatus != 200 {
		t.Fatalf("fan-out: %s", resp.Body)
	}
	var qb struct {
		Pending []any `json:"queue_pending"`
	}
	json.Unmarshal(list[1].Body, &qb)
	if len(qb.Pending) != 2 {
		t.Errorf("b's own queue in the fan-out has %d pending, want 2", len(qb.Pending))
	}

	resp, err = p.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/prompt"})
	if err != nil || string(resp.Body) != `{"exec_info":{"queue_remaining":3}}` {
		t.Errorf("merged GET /prompt = %s, %v", resp.Body, err)
	}
	resp, err = p.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/queue"})
	var q struct {
		Running []any `json:"queue_running"`
		Pending []any `json:"queue_pending"`
	}
	if err != nil || json.Unmarshal(resp.Body, &q) != nil || len(q.Pending) != 3 || q.Running == nil {
		t.Errorf("merged GET /queue = %s, %v", resp.Body, err)
	}

	c.b.Down()
	resp, err = p.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/queue", Backend: "*"})
	if err != nil || json.Unmarshal(resp.Body, &list) != nil || list[1].Error == "" || list[1].HTTPStatus != 0 || list[0].HTTPStatus != 200 {
		t.Errorf("fan-out with b down: %s, %v", resp.Body, err)
	}
	if _, err := p.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/queue"}); err == nil || !strings.Contains(err.Error(), "backend b") {
		t.Errorf("merged queue with b down: %v, want an error naming b", err)
	}
}

func TestSingleBackendPassesThrough(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	client, err := comfyui.New(comfyui.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := startPool(t, []Spec{{Name: "comfyui", Client: client}})
	id, backend := queue(t, p.For(nil))
	if backend != "" || strings.Contains(id, ".") {
		t.Errorf("one backend: prompt id %q, backend %q; want ComfyUI's own id and no backend", id, backend)
	}
	if raw, err := p.WaitJob(context.Background(), id, 10*time.Second, nil); err != nil || !strings.Contains(string(raw), `"done"`) {
		t.Errorf("WaitJob = %s, %v", raw, err)
	}
	if resp, err := p.For(nil).Do(context.Background(), comfyui.Request{Method: "GET", Path: "/queue", Backend: "comfyui"}); err != nil || resp.Status != 200 {
		t.Errorf("GET /queue on backend comfyui, its name: %v, %v", resp, err)
	}
	_, err = p.For(nil).Do(context.Background(), comfyui.Request{Method: "GET", Path: "/queue", Backend: "nope"})
	if err == nil || !strings.Contains(err.Error(), `no ComfyUI backend is named "nope" (backends: comfyui)`) {
		t.Errorf("GET /queue on an unknown backend: err = %v, want it named", err)
	}
}

// BenchmarkJobLookup compares a request about a job made directly to its
// ComfyUI, through the router with a prompt id that names the backend, and
// through the router with a plain UUID that must be looked for on every
// backend. Compare the three in one run:
//
//	go test ./host/backends -run xxx -bench JobLookup
func BenchmarkJobLookup(b *testing.B) {
	c := cluster{comfyuitest.NewServer(b), comfyuitest.NewServer(b)}
	p, err := New(c.specs(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	tagged, owner := queue(b, p.For(nil))
	srv := map[string]*comfyuitest.Server{"a": c.a, "b": c.b}[owner]
	untagged := srv.Submit(b, prompt)
	if err := srv.WaitJob(context.Background(), untagged); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	get := func(b *testing.B, d comfyui.Doer, id string) {
		req := comfyui.Request{Method: "GET", Path: "/history/" + url.PathEscape(id)}
		d.Do(ctx, req) // open the connections
		for b.Loop() {
			resp, err := d.Do(ctx, req)
			if err != nil || resp.Status != 200 {
				b.Fatal(err)
			}
		}
	}
	b.Run("direct", func(b *testing.B) { get(b, p.byName[owner].Client, tagged) })
	b.Run("tagged", func(b *testing.B) { get(b, p.For(nil), tagged) })
	b.Run("untagged", func(b *testing.B) { get(b, p.For(nil), untagged) })
}

// saveSame runs, on srv, a job that saves same_00001_.png (the first
// output of prefix "same"), so that two backends can hold one name.
func saveSame(t *testing.T, srv *comfyuitest.Server) {
	t.Helper()
	same := map[string]any{"1": prompt["1"], "2": prompt["2"],
		"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "same"}}}
	if err := srv.WaitJob(context.Background(), srv.Submit(t, same)); err != nil {
		t.Fatal(err)
	}
}

// A file name found on one backend while another cannot be asked may be
// the other's file: the lookup says so instead of serving the one it found.
func TestFileLookupWithABackendDown(t *testing.T) {
	c := newCluster(t)
	saveSame(t, c.a)
	saveSame(t, c.b)
	p := startPool(t, c.specs(t))
	ctx := context.Background()
	view := comfyui.Request{Method: "GET", Path: "/view", Query: url.Values{"filename": {"same_00001_.png"}, "type": {"output"}}}
	lookups := []struct {
		name string
		do   func() error
	}{
		{"GET /view", func() error { _, err := p.For(nil).Do(ctx, view); return err }},
		{"ReadFile", func() error { _, _, err := p.ReadFile(ctx, "comfyui://output/same_00001_.png"); return err }},
	}
	check := func(state string, want ...string) {
		t.Helper()
		for _, l := range lookups {
			err := l.do()
			for _, w := range want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("%s, %s: err = %v, want it to say %q", state, l.name, err, w)
				}
			}
		}
	}
	check("both up", "is on several ComfyUI backends (a, b)", "say which backend")
	c.b.Down()
	check("b down", "is on ComfyUI backend a", "say which backend", "?backend=", "could not be asked: backend b: ")

	if data, _, err := p.ReadFile(ctx, "comfyui://output/same_00001_.png?backend=a"); err != nil || len(data) == 0 {
		t.Errorf("b down, ReadFile with ?backend=a: %d bytes, %v", len(data), err)
	}
}

// Merging with a backend down: a queue length counts the backends that
// answer; a job list without a backend's jobs would lie, so it fails.
func TestMergeWithABackendDown(t *testing.T) {
	c := newCluster(t)
	c.a.PauseWorker()
	c.a.Submit(t, prompt)
	p := startPool(t, c.specs(t))
	ctx := context.Background()
	c.b.Down()
	tests := []struct {
		path     string
		wantBody string // "" when the merge must fail
	}{
		{"/prompt", `{"exec_info":{"queue_remaining":1}}`},
		{"/api/prompt", `{"exec_info":{"queue_remaining":1}}`},
		{"/queue", ""},
		{"/history", ""},
	}
	for _, tt := range tests {
		resp, err := p.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: tt.path})
		switch {
		case tt.wantBody == "" && (err == nil || !strings.Contains(err.Error(), "backend b: ")):
			t.Errorf("GET %s with b down: err = %v, want one naming b", tt.path, err)
		case tt.wantBody != "" && (err != nil || string(resp.Body) != tt.wantBody):
			t.Errorf("GET %s with b down = %v, %v; want %s", tt.path, resp, err, tt.wantBody)
		}
	}
	// The follow-up of an enqueue: the job went to a, the length is read.
	if _, backend := queue(t, p.For(nil)); backend != "a" {
		t.Errorf("with b down a job went to %s", backend)
	}
	if resp, err := p.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/prompt"}); err != nil || string(resp.Body) != `{"exec_info":{"queue_remaining":2}}` {
		t.Errorf("GET /prompt after queuing with b down = %v, %v", resp, err)
	}

	c.a.Down()
	_, err := p.For(nil).Do(ctx, comfyui.Request{Method: "GET", Path: "/prompt"})
	if err == nil || !strings.Contains(err.Error(), "no ComfyUI backend could be asked") || !strings.Contains(err.Error(), "backend a: ") || !strings.Contains(err.Error(), "backend b: ") {
		t.Errorf("GET /prompt with both down: err = %v, want one naming a and b", err)
	}
}

// A fan-out files each backend's failure under its name, so the failure
// itself does not name it again ("b: backend b: ...").
func TestFanOutErrorNamesNoBackend(t *testing.T) {
	c := newCluster(t)
	p := startPool(t, c.specs(t))
	c.b.Down()
	resp, err := p.For(nil).Do(context.Background(), comfyui.Request{Method: "GET", Path: "/history", Backend: "*"})
	var list []FanOut
	if err != nil || json.Unmarshal(resp.Body, &list) != nil || len(list) != 2 {
		t.Fatalf("fan-out with b down: %v, %v", resp, err)
	}
	if e := list[1].Error; list[1].Name != "b" || e == "" || strings.Contains(e, "backend b") || !strings.Contains(e, c.b.URL) {
		t.Errorf("b's fan-out error = %q, want why (naming its URL) without its name", e)
	}
}
