package main

import (
	"context"
	"encoding/json"
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
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "q"}},
	}
}

func load(t *testing.T) (*comfyuitest.Server, *plugintest.Tool) {
	t.Helper()
	srv := comfyuitest.NewServer(t)
	return srv, plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
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
	var schema struct {
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(info.InputSchema, &schema); err != nil {
		t.Fatal(err)
	}
	for name, p := range schema.Properties {
		if p.Description == "" || len(p.Description) > 120 {
			t.Errorf("input %s: description of %d characters", name, len(p.Description))
		}
	}
	if !strings.Contains(string(info.Annotations), `"readOnlyHint":true`) {
		t.Errorf("annotations = %s, want read-only", info.Annotations)
	}
}

func TestRunningAndPending(t *testing.T) {
	srv, tool := load(t)
	srv.HoldJob("run")
	srv.Submit(t, workflow(1), comfyuitest.WithPromptID("run"), comfyuitest.WithClientID("me"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.WaitHeld(ctx, "run"); err != nil {
		t.Fatal(err)
	}
	srv.PauseWorker()
	srv.Submit(t, workflow(2), comfyuitest.WithPromptID("second"))
	srv.Submit(t, workflow(3), comfyuitest.WithPromptID("third"))
	srv.Submit(t, workflow(4), comfyuitest.WithPromptID("first"), comfyuitest.WithFront())

	res := tool.Call(t, map[string]any{})
	if res.IsError {
		t.Fatal(res.Text())
	}
	var out Queue
	res.Decode(t, &out)
	if out.RunningCount != 1 || out.PendingCount != 3 {
		t.Fatalf("counts = %d running, %d pending; want 1, 3", out.RunningCount, out.PendingCount)
	}
	if got, want := ids(out), "run:running first@1 second@2 third@3"; got != want {
		t.Errorf("queue = %q, want %q", got, want)
	}
	run := out.Jobs[0]
	if run.NodeCount != 2 || strings.Join(run.OutputNodes, ",") != "2" || run.ClientID != "me" || run.Workflow != nil {
		t.Errorf("running job = %+v", run)
	}
	if out.Jobs[1].Number >= 0 {
		t.Errorf("front job number = %v, want negative", out.Jobs[1].Number)
	}

	res = tool.Call(t, map[string]any{"include_workflows": true})
	res.Decode(t, &out)
	for _, j := range out.Jobs {
		if !strings.Contains(string(j.Workflow), `"EmptyImage"`) {
			t.Errorf("%s: workflow = %s", j.PromptID, j.Workflow)
		}
	}
	srv.ReleaseJob("run")
}

func TestIdleQueue(t *testing.T) {
	_, tool := load(t)
	res := tool.Call(t, map[string]any{})
	if res.IsError {
		t.Fatal(res.Text())
	}
	if got := string(res.StructuredContent); got != `{"running_count":0,"pending_count":0,"jobs":[]}` {
		t.Errorf("idle queue = %s", got)
	}
}

func TestFailures(t *testing.T) {
	srv, tool := load(t)
	tests := []struct {
		name  string
		fault *comfyuitest.Fault
		args  map[string]any
		want  []string
	}{
		{"bad argument", nil, map[string]any{"include_workflows": "yes"}, []string{"include_workflows"}},
		{"unknown argument", nil, map[string]any{"max": 3}, []string{"max"}},
		{"500", &comfyuitest.Fault{Status: 500, Body: "boom"}, nil, []string{"500", "/queue", "boom"}},
		{"not ComfyUI", &comfyuitest.Fault{Status: 200, Body: "<html>login</html>", ContentType: "text/html"}, nil, []string{"did not answer like ComfyUI", "/queue"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ClearFaults()
			if tt.fault != nil {
				srv.SetFault("GET /queue", *tt.fault)
			}
			args := tt.args
			if args == nil {
				args = map[string]any{}
			}
			res := tool.Call(t, args)
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
	if !res.IsError || !strings.Contains(res.Text(), srv.URL) {
		t.Fatalf("ComfyUI down: %s", res.Raw)
	}
	t.Log(res.Text())
}

// BenchmarkWebUIQueue lists a queue of six jobs queued as ComfyUI's web UI
// queues them, each with the front end's graph of a 60-node workflow in
// its extra data (about 170 KB of /queue), through the plugin and the
// host, against the emulator in this process.
//
//	go test ./plugins/get_queue -run xxx -bench WebUIQueue
func BenchmarkWebUIQueue(b *testing.B) {
	srv := comfyuitest.NewServer(b)
	tool := plugintest.Load(b, ".", plugintest.WithComfyUI(srv.URL))
	srv.HoldJob("run")
	graph := comfyuitest.WithExtraData(map[string]any{"extra_pnginfo": map[string]any{"workflow": comfyuitest.WebUIGraph(60)}, "client_id": "web"})
	srv.Submit(b, workflow(1), comfyuitest.WithPromptID("run"), graph)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.WaitHeld(ctx, "run"); err != nil {
		b.Fatal(err)
	}
	srv.PauseWorker()
	for i := 2; i <= 6; i++ {
		srv.Submit(b, workflow(i), graph)
	}
	for b.Loop() {
		res := tool.Call(b, map[string]any{})
		var out Queue
		res.Decode(b, &out)
		if out.PendingCount != 5 || out.Jobs[0].NodeCount != 2 || out.Jobs[0].ClientID != "web" {
			b.Fatalf("queue = %+v", out)
		}
	}
	srv.ReleaseJob("run")
}
