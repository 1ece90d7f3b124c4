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

func load(t *testing.T, opts ...plugintest.Option) (*comfyuitest.Server, *plugintest.Tool) {
	t.Helper()
	srv := comfyuitest.NewServer(t)
	return srv, plugintest.Load(t, ".", append(opts, plugintest.WithComfyUI(srv.URL))...)
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// running submits a job and waits until the emulator holds it at its first
// node, so that it stays running until interrupted or released.
func running(t *testing.T, srv *comfyuitest.Server, id string) {
	t.Helper()
	srv.HoldJob(id)
	srv.Submit(t, workflow(1), comfyuitest.WithPromptID(id))
	if _, err := srv.WaitHeld(timeout(t), id); err != nil {
		t.Fatal(err)
	}
}

func call(t *testing.T, tool *plugintest.Tool, id string) Cancel {
	t.Helper()
	res := tool.Call(t, map[string]any{"prompt_id": id})
	if res.IsError {
		t.Fatalf("cancel %s: %s", id, res.Text())
	}
	var out Cancel
	res.Decode(t, &out)
	t.Logf("%s: %s: %s", id, out.Result, out.Message)
	if out.PromptID != id || out.Message == "" {
		t.Errorf("result = %+v", out)
	}
	return out
}

// queueState returns "running" or "pending" for id, "" when not queued.
func queueState(t *testing.T, srv *comfyuitest.Server, id string) string {
	t.Helper()
	var q struct {
		Running [][]any `json:"queue_running"`
		Pending [][]any `json:"queue_pending"`
	}
	getJSON(t, srv.URL+"/queue", &q)
	for _, it := range q.Running {
		if it[1] == id {
			return "running"
		}
	}
	for _, it := range q.Pending {
		if it[1] == id {
			return "pending"
		}
	}
	return ""
}

// getJSON reads a URL of the emulator directly, to check its state behind
// the plugin's back.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// interruptBodies are the bodies of the POST /interrupt requests received.
func interruptBodies(srv *comfyuitest.Server) []string {
	var bodies []string
	for _, r := range srv.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/interrupt") {
			bodies = append(bodies, string(r.Body))
		}
	}
	return bodies
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
	if !strings.Contains(info.Description, "stay on disk") {
		t.Error("the description must say that files already written stay on disk")
	}
	want := `{"readOnlyHint":false,"destructiveHint":true,"idempotentHint":true,"openWorldHint":false}`
	if got := strings.Replace(string(info.Annotations), `"title":"Cancel job",`, "", 1); got != want {
		t.Errorf("annotations = %s, want %s", got, want)
	}
}

func TestRemovesPendingJobOnly(t *testing.T) {
	srv, tool := load(t)
	running(t, srv, "busy")
	srv.PauseWorker()
	srv.Submit(t, workflow(2), comfyuitest.WithPromptID("victim"))
	srv.Submit(t, workflow(3), comfyuitest.WithPromptID("bystander"))

	out := call(t, tool, "victim")
	if out.Result != "removed" {
		t.Fatalf("result = %+v, want removed", out)
	}
	if got := queueState(t, srv, "victim"); got != "" {
		t.Errorf("victim is still %s", got)
	}
	if queueState(t, srv, "busy") != "running" || queueState(t, srv, "bystander") != "pending" {
		t.Error("another job was touched")
	}
	if len(interruptBodies(srv)) != 0 {
		t.Errorf("removing a pending job sent an interrupt: %v", interruptBodies(srv))
	}
	if again := call(t, tool, "victim"); again.Result != "unknown" {
		t.Errorf("second cancel = %+v, want unknown", again)
	}
	srv.ReleaseJob("busy")
}

func TestInterruptsRunningJobOnly(t *testing.T) {
	srv, tool := load(t)
	running(t, srv, "busy")
	srv.PauseWorker()
	srv.Submit(t, workflow(2), comfyuitest.WithPromptID("bystander"))

	out := call(t, tool, "busy")
	if out.Result != "interrupted" || out.Outcome != "" {
		t.Fatalf("result = %+v, want interrupted", out)
	}
	if got := interruptBodies(srv); len(got) != 1 || got[0] != `{"prompt_id":"busy"}` {
		t.Errorf("interrupt requests = %q, want one naming the job", got)
	}
	if queueState(t, srv, "bystander") != "pending" {
		t.Error("the pending job was touched")
	}
	if again := call(t, tool, "busy"); again.Result != "already_finished" || again.Outcome != "interrupted" {
		t.Errorf("second cancel = %+v, want already_finished, interrupted", again)
	}
}

func TestFinishedAndUnknownJobs(t *testing.T) {
	srv, tool := load(t)
	srv.Submit(t, workflow(1), comfyuitest.WithPromptID("done"))
	srv.FailJob("failed", comfyuitest.ExecutionError{})
	srv.Submit(t, workflow(2), comfyuitest.WithPromptID("failed"))
	for _, id := range []string{"done", "failed"} {
		if err := srv.WaitJob(timeout(t), id); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ id, result, outcome string }{
		{"done", "already_finished", "success"},
		{"failed", "already_finished", "error"},
		{"never-queued", "unknown", ""},
	}
	for _, tt := range tests {
		if out := call(t, tool, tt.id); out.Result != tt.result || out.Outcome != tt.outcome {
			t.Errorf("%s: %+v, want %s %s", tt.id, out, tt.result, tt.outcome)
		}
	}
	if len(interruptBodies(srv)) != 0 {
		t.Errorf("cancelling finished jobs sent an interrupt: %v", interruptBodies(srv))
	}
}

// When ComfyUI records nothing within the configured wait, the tool says
// the interrupt was requested, not that the job was interrupted.
func TestUnconfirmedInterrupt(t *testing.T) {
	srv, tool := load(t, plugintest.WithConfig(map[string]any{"interrupt_wait_ms": 200}))
	running(t, srv, "busy")
	srv.SetFault("GET /history/*", comfyuitest.Fault{Status: 200, Body: "{}", ContentType: "application/json"})
	out := call(t, tool, "busy")
	if out.Result != "interrupt_requested" || !strings.Contains(out.Message, "not confirmed") {
		t.Fatalf("result = %+v, want interrupt_requested", out)
	}
}

// The job the agent saw pending may start, or even finish, before the
// delete reaches ComfyUI, which then ignores the delete. The emulator holds
// the delete back (and drops it) while the worker takes the job.
func TestJobStartsBeforeDelete(t *testing.T) {
	tests := []struct {
		name, result, outcome string
		hold                  bool
	}{
		{"started", "interrupted", "", true},
		{"finished", "already_finished", "success", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, tool := load(t)
			srv.PauseWorker()
			if tt.hold {
				srv.HoldJob("racer")
			}
			srv.Submit(t, workflow(1), comfyuitest.WithPromptID("racer"))
			srv.SetFault("POST /queue", comfyuitest.Fault{Status: 200, Delay: time.Second})
			done := make(chan error, 1)
			go func() { done <- startWhenDeleteArrives(srv, "racer", tt.hold) }()
			out := call(t, tool, "racer")
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if out.Result != tt.result || out.Outcome != tt.outcome {
				t.Errorf("result = %+v, want %s %s", out, tt.result, tt.outcome)
			}
		})
	}
}

// startWhenDeleteArrives resumes the worker once the POST /queue arrives,
// and waits until the job is held (hold) or finished.
func startWhenDeleteArrives(srv *comfyuitest.Server, id string, hold bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !hasRequest(srv, "POST", "/queue") {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	srv.ResumeWorker()
	if hold {
		_, err := srv.WaitHeld(ctx, id)
		return err
	}
	return srv.WaitJob(ctx, id)
}

func hasRequest(srv *comfyuitest.Server, method, path string) bool {
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			return true
		}
	}
	return false
}

// A delete that ComfyUI ignores leaves the job pending: an error, not a
// claim of removal.
func TestDeleteIgnored(t *testing.T) {
	srv, tool := load(t)
	srv.PauseWorker()
	srv.Submit(t, workflow(1), comfyuitest.WithPromptID("stuck"))
	srv.SetFault("POST /queue", comfyuitest.Fault{Status: 200})
	res := tool.Call(t, map[string]any{"prompt_id": "stuck"})
	if !res.IsError || !strings.Contains(res.Text(), "not removed") {
		t.Fatalf("result = %s, want an error saying it was not removed", res.Raw)
	}
}

func TestFailures(t *testing.T) {
	srv, tool := load(t)
	running(t, srv, "busy")
	tests := []struct {
		name  string
		route string
		fault comfyuitest.Fault
		args  map[string]any
		want  []string
	}{
		{name: "no prompt_id", args: map[string]any{}, want: []string{"prompt_id"}},
		{name: "empty prompt_id", args: map[string]any{"prompt_id": ""}, want: []string{"prompt_id"}},
		{name: "queue 500", route: "GET /queue", fault: comfyuitest.Fault{Status: 500, Body: "boom"},
			args: map[string]any{"prompt_id": "busy"}, want: []string{"500", "/queue", "boom"}},
		{name: "interrupt 403", route: "POST /interrupt", fault: comfyuitest.Fault{Status: 403},
			args: map[string]any{"prompt_id": "busy"}, want: []string{"403", "POST", "/interrupt"}},
		{name: "history not JSON", route: "GET /history/*", fault: comfyuitest.Fault{Status: 200, Body: "<html>"},
			args: map[string]any{"prompt_id": "gone"}, want: []string{"did not answer like ComfyUI", "/history/gone"}},
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
	res := tool.Call(t, map[string]any{"prompt_id": "busy"})
	if !res.IsError || !strings.Contains(res.Text(), srv.URL+"/queue") {
		t.Fatalf("ComfyUI down: %s", res.Raw)
	}
}

func TestBadConfig(t *testing.T) {
	_, tool := load(t, plugintest.WithConfig(map[string]any{"interrupt_wait_ms": -1}))
	res := tool.Call(t, map[string]any{"prompt_id": "x"})
	if !res.IsError || !strings.Contains(res.Text(), "interrupt_wait_ms") {
		t.Fatalf("bad config: %s", res.Raw)
	}
}
