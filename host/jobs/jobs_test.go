package jobs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

var prompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
	"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
	"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "jobs"}},
}

// startWatcher runs a watcher on srv until the test ends, with a short
// vanish grace so that lost jobs are reported quickly.
func startWatcher(t *testing.T, srv *comfyuitest.Server) *Watcher {
	t.Helper()
	return startWatcherWith(t, srv, Options{PollInterval: 50 * time.Millisecond, VanishGrace: 200 * time.Millisecond})
}

func startWatcherWith(t *testing.T, srv *comfyuitest.Server, opts Options) *Watcher {
	t.Helper()
	client, err := comfyui.New(comfyui.Config{BaseURL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(client, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// progressLog records progress reports safely.
// waitInBackground waits on id for up to 30 s, logging its progress; its
// result arrives on the channel.
func waitInBackground(w *Watcher, id string) (*progressLog, <-chan Result) {
	log := &progressLog{}
	done := make(chan Result, 1)
	go func() {
		res, _ := w.Wait(context.Background(), id, 30*time.Second, log.add)
		done <- res
	}()
	return log, done
}

type progressLog struct {
	mu   sync.Mutex
	list []Progress
}

func (l *progressLog) add(p Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, p)
}

func (l *progressLog) all() []Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Progress(nil), l.list...)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWaitFollowsOurPromptWithProgress(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcher(t, srv)
	waitFor(t, w.Connected)
	srv.PauseWorker()
	id := srv.Submit(t, prompt, comfyuitest.WithClientID(w.ClientID()))
	var log progressLog
	type answer struct {
		res Result
		err error
	}
	got := make(chan answer, 1)
	go func() {
		res, err := w.Wait(context.Background(), id, 30*time.Second, log.add)
		got <- answer{res, err}
	}()
	waitFor(t, func() bool { return len(log.all()) > 0 })
	srv.ResumeWorker()
	a := <-got
	if a.err != nil || a.res.Status != StatusDone || a.res.PromptID != id {
		t.Fatalf("Wait = %+v, %v; want done", a.res, a.err)
	}
	ps := log.all()
	if !strings.HasPrefix(ps[0].Message, "job "+id+": queued, position 1") { // the first report names the job
		t.Errorf("first progress %+v, want the queue position", ps[0])
	}
	var sawNode bool
	for i, p := range ps {
		if i > 0 && p.Progress <= ps[i-1].Progress {
			t.Errorf("progress did not increase (MCP requires it): %+v after %+v", p, ps[i-1])
		}
		if strings.Contains(p.Message, "(ImageInvert)") {
			sawNode = true
		}
		if p.Total != 3 {
			t.Errorf("total = %v, want the 3 nodes of the prompt", p.Total)
		}
	}
	if !sawNode {
		t.Errorf("no progress named the running node: %+v", ps)
	}
}

// A prompt queued with another client id produces no events for us: the
// watcher still learns of its end through the queue broadcasts and /history.
func TestWaitFollowsForeignPrompt(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcher(t, srv)
	srv.PauseWorker()
	id := srv.Submit(t, prompt, comfyuitest.WithClientID("someone-else"))
	done := make(chan Result, 1)
	go func() {
		res, _ := w.Wait(context.Background(), id, 30*time.Second, nil)
		done <- res
	}()
	time.Sleep(20 * time.Millisecond)
	srv.ResumeWorker()
	if res := <-done; res.Status != StatusDone {
		t.Fatalf("Wait = %+v, want done", res)
	}
}

func TestWaitOutcomes(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcher(t, srv)
	waitFor(t, w.Connected)

	t.Run("finished already", func(t *testing.T) {
		id := srv.Submit(t, prompt)
		if err := srv.WaitJob(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		res, err := w.Wait(context.Background(), id, time.Second, nil)
		if err != nil || res.Status != StatusDone {
			t.Fatalf("Wait = %+v, %v; want done", res, err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		res, err := w.Wait(context.Background(), "no-such-prompt", time.Second, nil)
		if err != nil || res.Status != StatusUnknown {
			t.Fatalf("Wait = %+v, %v; want unknown", res, err)
		}
	})
	t.Run("timed out while running", func(t *testing.T) {
		id := "held-" + t.Name()
		srv.HoldJob(id)
		defer srv.ReleaseJob(id)
		srv.Submit(t, prompt, comfyuitest.WithPromptID(id), comfyuitest.WithClientID(w.ClientID()))
		res, err := w.Wait(context.Background(), id, 300*time.Millisecond, nil)
		if err != nil || res.Status != StatusTimedOut || res.State != "running" {
			t.Fatalf("Wait = %+v, %v; want timed_out while running", res, err)
		}
	})
	t.Run("deleted from the queue", func(t *testing.T) {
		srv.PauseWorker()
		defer srv.ResumeWorker()
		id := srv.Submit(t, prompt)
		done := make(chan Result, 1)
		go func() {
			res, _ := w.Wait(context.Background(), id, 30*time.Second, nil)
			done <- res
		}()
		time.Sleep(50 * time.Millisecond)
		deleteFromQueue(t, srv.URL, id)
		if res := <-done; res.Status != StatusVanished {
			t.Fatalf("Wait = %+v, want vanished", res)
		}
	})
	t.Run("cancelled by the caller", func(t *testing.T) {
		id := "held-cancel"
		srv.HoldJob(id)
		defer srv.ReleaseJob(id)
		srv.Submit(t, prompt, comfyuitest.WithPromptID(id))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := w.Wait(ctx, id, time.Minute, nil); err == nil {
			t.Fatal("cancelled wait returned no error")
		}
	})
}

func TestWaitSurvivesAStreamDrop(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcher(t, srv)
	waitFor(t, w.Connected)
	id := "held-drop"
	srv.HoldJob(id)
	srv.Submit(t, prompt, comfyuitest.WithPromptID(id), comfyuitest.WithClientID(w.ClientID()))
	done := make(chan Result, 1)
	go func() {
		res, _ := w.Wait(context.Background(), id, 30*time.Second, nil)
		done <- res
	}()
	time.Sleep(50 * time.Millisecond)
	srv.DropWebSockets()
	srv.ReleaseJob(id)
	if res := <-done; res.Status != StatusDone {
		t.Fatalf("Wait = %+v, want done after the stream dropped", res)
	}
}

// A restart loses ComfyUI's in-memory queue and history: the job is
// reported vanished, not done and not still waiting.
func TestWaitReportsAJobLostInARestart(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcher(t, srv)
	id := "held-restart"
	srv.HoldJob(id)
	srv.Submit(t, prompt, comfyuitest.WithPromptID(id))
	done := make(chan Result, 1)
	go func() {
		res, _ := w.Wait(context.Background(), id, 30*time.Second, nil)
		done <- res
	}()
	time.Sleep(50 * time.Millisecond)
	srv.Down()
	time.Sleep(100 * time.Millisecond)
	srv.Up()
	if res := <-done; res.Status != StatusVanished {
		t.Fatalf("Wait = %+v, want vanished", res)
	}
}

// A finished job can be in neither /queue nor /history for a while (here
// 600ms, many checks long): the wait reports it done, not vanished.
func TestWaitSurvivesALateHistoryEntry(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithHistoryDelay(600*time.Millisecond))
	w := startWatcherWith(t, srv, Options{PollInterval: 20 * time.Millisecond, VanishGrace: 2 * time.Second})
	srv.PauseWorker()
	id := srv.Submit(t, prompt) // no client id: only polling sees it end
	done := make(chan Result, 1)
	go func() {
		res, _ := w.Wait(context.Background(), id, 30*time.Second, nil)
		done <- res
	}()
	waitFor(t, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.jobs[id] != nil && w.jobs[id].seen
	})
	srv.ResumeWorker()
	if res := <-done; res.Status != StatusDone {
		t.Fatalf("Wait = %+v, want done once the history entry appears", res)
	}
}

func TestWaitOnUnreachableComfyUI(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcher(t, srv)
	srv.Down()
	defer srv.Up()
	_, err := w.Wait(context.Background(), "x", time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("err = %v, want unreachable", err)
	}
}

func deleteFromQueue(t *testing.T, base, id string) {
	t.Helper()
	client, err := comfyui.New(comfyui.Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(context.Background(), comfyui.Request{Method: "POST", Path: "/queue", Body: []byte(`{"delete": ["` + id + `"]}`), ContentType: "application/json"})
	if err != nil || resp.Status != 200 {
		t.Fatalf("POST /queue delete: %v %+v", err, resp)
	}
}

// Waits that start together share their look at /queue: 300 of them cost
// ComfyUI a few requests (one per fetch their arrival spans; 1–11 measured,
// the most under -race), not 300, and each still ends right.
func TestWaitsStartingTogetherShareTheirLook(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcherWith(t, srv, Options{PollInterval: time.Hour}) // no timer checks
	waitFor(t, w.Connected)
	srv.PauseWorker()
	var ids []string
	for range 10 {
		ids = append(ids, srv.Submit(t, prompt, comfyuitest.WithClientID(w.ClientID())))
	}
	srv.ResetRequests()
	const waits = 300
	results := make(chan Result, waits)
	var started sync.WaitGroup
	for i := range waits {
		started.Go(func() {
			res, err := w.Wait(context.Background(), ids[i%len(ids)], time.Minute, nil)
			if err != nil {
				t.Error(err)
			}
			results <- res
		})
	}
	waitFor(t, func() bool { // every wait has registered and looked
		w.mu.Lock()
		defer w.mu.Unlock()
		n := 0
		for _, j := range w.jobs {
			if j.seen {
				n += len(j.waiters)
			}
		}
		return n == waits
	})
	// A job is seen once any of its waits has looked; give the others
	// time for their look (without sharing, their own GET /queue).
	time.Sleep(500 * time.Millisecond)
	queueGets := 0
	for _, r := range srv.Requests() {
		if r.Path == "/queue" || r.Path == "/api/queue" {
			queueGets++
		}
	}
	if queueGets > waits/10 {
		t.Errorf("%d waits starting together made %d GET /queue, want a few", waits, queueGets)
	}
	srv.ResumeWorker()
	started.Wait()
	close(results)
	for res := range results {
		if res.Status != StatusDone {
			t.Errorf("Wait = %+v, want done", res)
		}
	}
}

// Waits on finished jobs each look at /history, at most maxRequests at a
// time: 200 at once do not open 200 connections to ComfyUI, and each still
// ends done. A proxy in front of the emulator counts the requests in
// flight.
func TestWaitsOnFinishedJobsBoundTheirRequests(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	var ids []string
	for range 5 {
		id := srv.Submit(t, prompt)
		if err := srv.WaitJob(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	target, _ := url.Parse(srv.URL)
	forward := httputil.NewSingleHostReverseProxy(target)
	var inFlight, most atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/history/") {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond) // long enough for requests to overlap
		}
		forward.ServeHTTP(rw, r)
	}))
	defer proxy.Close()
	client, err := comfyui.New(comfyui.Config{BaseURL: proxy.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(client, Options{PollInterval: time.Hour})
	var waits sync.WaitGroup
	for i := range 200 {
		waits.Go(func() {
			res, err := w.Wait(context.Background(), ids[i%len(ids)], time.Minute, nil)
			if err != nil || res.Status != StatusDone {
				t.Errorf("Wait = %+v, %v; want done", res, err)
			}
		})
	}
	waits.Wait()
	if m := most.Load(); m > 8 || m < 2 {
		t.Errorf("%d requests to /history at once, want 2 to 8 (maxRequests)", m)
	}
}

// A finished job whose /history fails to load is not a job that does not
// exist: the wait is an error naming the URL and the cause, not "unknown".
func TestWaitOnAFinishedJobWhoseHistoryFails(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcher(t, srv)
	// Queued by the web UI: no event about it reaches the watcher, which
	// learns of it only from /queue and /history.
	id := srv.Submit(t, prompt, comfyuitest.WithClientID("webui-tab"))
	if err := srv.WaitJob(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		fault comfyuitest.Fault
		want  string
	}{
		{"502 from a proxy", comfyuitest.Fault{Status: 502, Body: "<html>Bad Gateway</html>", ContentType: "text/html"}, "ComfyUI answered 502 to GET " + srv.URL + "/history/" + id},
		{"500", comfyuitest.Fault{Status: 500, Body: "oops"}, "ComfyUI answered 500 to GET " + srv.URL + "/history/" + id},
		{"dropped connection", comfyuitest.Fault{CloseConnection: true}, "/history/" + id},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFault("GET /history/*", tt.fault)
			defer srv.ClearFaults()
			res, err := w.Wait(context.Background(), id, 5*time.Second, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), id) {
				t.Fatalf("Wait = %+v, %v; want an error containing %q", res, err, tt.want)
			}
		})
	}
	t.Run("a single failure is retried", func(t *testing.T) {
		srv.SetFault("GET /history/*", comfyuitest.Fault{Status: 502, Times: 1})
		defer srv.ClearFaults()
		if res, err := w.Wait(context.Background(), id, 5*time.Second, nil); err != nil || res.Status != StatusDone {
			t.Fatalf("Wait = %+v, %v; want done", res, err)
		}
	})
}

// Nodes ComfyUI reports cached before the wait begins (a tool queues, then
// asks the host to wait) still count as done.
func TestWaitCountsNodesCachedBeforeItBegan(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcher(t, srv)
	waitFor(t, w.Connected)
	if err := srv.WaitJob(context.Background(), srv.Submit(t, prompt)); err != nil {
		t.Fatal(err)
	}
	again := map[string]any{"1": prompt["1"], "2": prompt["2"], // cached now
		"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "again"}}}
	id := "held-cached"
	srv.HoldJob(id)
	srv.Submit(t, again, comfyuitest.WithPromptID(id), comfyuitest.WithClientID(w.ClientID()))
	if _, err := srv.WaitHeld(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { // the watcher has read execution_cached
		w.mu.Lock()
		defer w.mu.Unlock()
		_, ok := w.early.nodes[id]
		return ok
	})
	log, done := waitInBackground(w, id)
	waitFor(t, func() bool { return len(log.all()) > 0 })
	srv.ReleaseJob(id)
	if res := <-done; res.Status != StatusDone {
		t.Fatalf("Wait = %+v, want done", res)
	}
	ps := log.all()
	if p := ps[0]; p.Progress < 2 || p.Total != 3 || !strings.Contains(p.Message, "2 of 3 nodes done (2 cached)") {
		t.Fatalf("first report %+v, want the 2 cached nodes of 3 done", p)
	}
}

// ComfyUI sends a prompt's events only to the client that queued it: for
// a job queued by the web UI, the wait still says when it starts running.
func TestWaitReportsAForeignJobRunning(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	w := startWatcherWith(t, srv, Options{PollInterval: time.Hour}) // only status broadcasts trigger looks
	waitFor(t, w.Connected)
	srv.PauseWorker()
	id := "held-foreign"
	srv.HoldJob(id)
	srv.Submit(t, prompt, comfyuitest.WithPromptID(id), comfyuitest.WithClientID("webui-tab"))
	log, done := waitInBackground(w, id)
	waitFor(t, func() bool { return len(log.all()) > 0 })
	srv.ResumeWorker()
	waitFor(t, func() bool {
		ps := log.all()
		return strings.HasPrefix(ps[len(ps)-1].Message, "running;")
	})
	srv.ReleaseJob(id)
	if res := <-done; res.Status != StatusDone {
		t.Fatalf("Wait = %+v, want done", res)
	}
	ps := log.all()
	if len(ps) != 2 || ps[0].Message != "job "+id+": queued, position 1; 0 of 3 nodes done" || ps[1].Progress <= ps[0].Progress || ps[1].Total != 3 {
		t.Fatalf("reports %+v, want queued then running once, increasing", ps)
	}
}
