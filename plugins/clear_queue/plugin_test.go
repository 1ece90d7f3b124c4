package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

// workflow is a two-node prompt the emulator runs without models.
func workflow(color int) map[string]any {
	return map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": color}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "c"}},
	}
}

func load(t *testing.T) (*comfyuitest.Server, *plugintest.Tool) {
	t.Helper()
	srv := comfyuitest.NewServer(t)
	return srv, plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func call(t *testing.T, tool *plugintest.Tool) Cleared {
	t.Helper()
	res := tool.Call(t, map[string]any{})
	if res.IsError {
		t.Fatal(res.Text())
	}
	var out Cleared
	res.Decode(t, &out)
	t.Log(out.Message)
	return out
}

// queue reads the emulator's queue behind the plugin's back: the running
// id and the pending ids.
func queue(t *testing.T, srv *comfyuitest.Server) (string, []string) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/queue")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var q struct {
		Running [][]any `json:"queue_running"`
		Pending [][]any `json:"queue_pending"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&q); err != nil {
		t.Fatal(err)
	}
	running := ""
	if len(q.Running) > 0 {
		running = q.Running[0][1].(string)
	}
	var pending []string
	for _, it := range q.Pending {
		pending = append(pending, it[1].(string))
	}
	return running, pending
}

func TestToolDescription(t *testing.T) {
	_, tool := load(t)
	info := tool.Info()
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tool JSON: %d bytes", len(b))
	if len(info.Description) > 600 {
		t.Errorf("description is %d characters, over 600", len(info.Description))
	}
	want := `{"readOnlyHint":false,"destructiveHint":true,"idempotentHint":true,"openWorldHint":false}`
	if got := strings.Replace(string(info.Annotations), `"title":"Clear queue",`, "", 1); got != want {
		t.Errorf("annotations = %s, want %s", got, want)
	}
}

func TestClearsPendingLeavesRunning(t *testing.T) {
	srv, tool := load(t)
	srv.HoldJob("busy")
	srv.Submit(t, workflow(1), comfyuitest.WithPromptID("busy"))
	if _, err := srv.WaitHeld(timeout(t), "busy"); err != nil {
		t.Fatal(err)
	}
	srv.PauseWorker()
	srv.Submit(t, workflow(2), comfyuitest.WithPromptID("b"))
	srv.Submit(t, workflow(3), comfyuitest.WithPromptID("c"))
	srv.Submit(t, workflow(4), comfyuitest.WithPromptID("a"), comfyuitest.WithFront())

	out := call(t, tool)
	if out.RemovedCount != 3 || strings.Join(out.Removed, " ") != "a b c" || out.Running != "busy" || out.Started != nil || out.StillPending != nil {
		t.Fatalf("result = %+v", out)
	}
	if !strings.Contains(out.Message, "busy was left alone") {
		t.Errorf("message = %q", out.Message)
	}
	if running, pending := queue(t, srv); running != "busy" || len(pending) != 0 {
		t.Errorf("after the clear: running %q, pending %v", running, pending)
	}
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/interrupt") {
			t.Errorf("clear_queue sent %s", r)
		}
	}
	srv.ReleaseJob("busy")
}

// An empty queue needs no clear: nothing is posted, so nothing queued at
// that instant can vanish uncounted.
func TestNothingPending(t *testing.T) {
	srv, tool := load(t)
	out := call(t, tool)
	if out.RemovedCount != 0 || out.Removed == nil || out.Running != "" || !strings.Contains(out.Message, "nothing was removed") {
		t.Fatalf("result = %+v", out)
	}
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			t.Errorf("an empty queue was cleared anyway: %s", r)
		}
	}
}

// The worker may take pending jobs between the tool's look at the queue and
// the clear; those are reported as started, not as removed. The emulator
// holds the clear back while the worker takes them.
func TestJobsStartBeforeClear(t *testing.T) {
	tests := []struct {
		name, hold      string
		started, remove string
	}{
		{"one started", "a", "a", "b c"},
		{"one finished, one started", "b", "a b", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, tool := load(t)
			srv.PauseWorker()
			srv.HoldJob(tt.hold)
			for i, id := range []string{"a", "b", "c"} {
				srv.Submit(t, workflow(i), comfyuitest.WithPromptID(id))
			}
			srv.SetFault("POST /queue", comfyuitest.Fault{Delay: time.Second})
			done := make(chan error, 1)
			go func() { done <- resumeWhenClearArrives(srv, tt.hold) }()
			out := call(t, tool)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(out.Started, " "); got != tt.started || out.Running != tt.hold {
				t.Errorf("started = %q, running %q; want %q, %q", got, out.Running, tt.started, tt.hold)
			}
			if got := strings.Join(out.Removed, " "); got != tt.remove || out.RemovedCount != len(out.Removed) {
				t.Errorf("removed = %q, want %q", got, tt.remove)
			}
			srv.ReleaseJob(tt.hold)
		})
	}
}

// resumeWhenClearArrives resumes the worker once the POST /queue arrives
// and waits until it holds the job held.
func resumeWhenClearArrives(srv *comfyuitest.Server, held string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !posted(srv) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	srv.ResumeWorker()
	_, err := srv.WaitHeld(ctx, held)
	return err
}

func posted(srv *comfyuitest.Server) bool {
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == "/queue" {
			return true
		}
	}
	return false
}

func TestFailures(t *testing.T) {
	srv, tool := load(t)
	srv.PauseWorker()
	srv.Submit(t, workflow(1), comfyuitest.WithPromptID("p"))
	tests := []struct {
		name  string
		route string
		fault comfyuitest.Fault
		args  map[string]any
		want  []string
	}{
		{name: "unknown argument", args: map[string]any{"all": true}, want: []string{"all"}},
		{name: "clear ignored", route: "POST /queue", fault: comfyuitest.Fault{Status: 200},
			args: map[string]any{}, want: []string{"still lists 1 of the 1 pending jobs", "p", "not removed"}},
		{name: "clear 500", route: "POST /queue", fault: comfyuitest.Fault{Status: 500, Body: "boom"},
			args: map[string]any{}, want: []string{"500", "POST", "/queue", "boom"}},
		{name: "queue not JSON", route: "GET /queue", fault: comfyuitest.Fault{Status: 200, Body: "<html>"},
			args: map[string]any{}, want: []string{"did not answer like ComfyUI", "/queue"}},
		{name: "history 500", route: "GET /history/*", fault: comfyuitest.Fault{Status: 500},
			args: map[string]any{}, want: []string{"500", "/history/p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ClearFaults()
			if tt.route != "" {
				srv.SetFault(tt.route, tt.fault)
			}
			res := tool.Call(t, tt.args)
			if !res.IsError {
				t.Fatalf("want an error, got %s", res.Raw)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Text(), w) {
					t.Errorf("error %q does not mention %q", res.Text(), w)
				}
			}
		})
	}
	srv.ClearFaults()
	srv.Down()
	res := tool.Call(t, map[string]any{})
	if !res.IsError || !strings.Contains(res.Text(), srv.URL+"/queue") {
		t.Fatalf("ComfyUI down: %s", res.Raw)
	}
}
