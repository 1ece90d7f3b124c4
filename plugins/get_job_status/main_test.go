package main

import (
	"context"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

var prompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
	"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "t"}},
}

func status(t *testing.T, tool *plugintest.Tool, id string) comfy.JobStatus {
	t.Helper()
	res := tool.Call(t, map[string]any{"prompt_id": id})
	if res.IsError {
		t.Fatalf("get_job_status(%s): %s", id, res.Text())
	}
	var st comfy.JobStatus
	res.Decode(t, &st)
	return st
}

// The full lifecycle over the SDK against the emulator; the end-to-end test
// in cmd/easel repeats it through a real MCP client.
func TestLifecycle(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	srv.PauseWorker()
	first := srv.Submit(t, prompt)
	second := srv.Submit(t, prompt)
	if st := status(t, tool, second); !st.Pending || st.QueuePosition != 2 {
		t.Fatalf("second job: %+v, want pending at position 2", st)
	}
	srv.HoldJob(first)
	srv.ResumeWorker()
	if _, err := srv.WaitHeld(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	if st := status(t, tool, first); !st.Running || st.Done {
		t.Fatalf("held job: %+v, want running", st)
	}
	srv.ReleaseJob(first)
	for _, id := range []string{first, second} {
		if err := srv.WaitJob(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		if st := status(t, tool, id); !st.Done || st.Outcome != "success" || st.ExecutionStats == nil {
			t.Fatalf("finished job: %+v", st)
		}
	}
	if st := status(t, tool, "nope"); st.Found {
		t.Fatalf("unknown id: %+v, want found=false", st)
	}
}

func TestComfyUIDown(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL), plugintest.WithCallTimeout(10*time.Second))
	srv.Down()
	res := tool.Call(t, map[string]any{"prompt_id": "x"})
	if !res.IsError || res.Text() != "ComfyUI unreachable at "+srv.URL+"/history/x: connection refused" {
		t.Fatalf("got %q, want the unreachable message", res.Text())
	}
}

// TestWebUIJobs follows jobs queued as ComfyUI's web UI queues them, each
// with the front end's graph in its extra data: the host selects a
// finished job's status and omits the queued workflows for the plugin,
// and the answers are the same as for any job.
func TestWebUIJobs(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	graph := comfyuitest.WithExtraData(map[string]any{"extra_pnginfo": map[string]any{"workflow": comfyuitest.WebUIGraph(60)}})
	srv.HoldJob("first")
	srv.Submit(t, prompt, comfyuitest.WithPromptID("first"), graph)
	if _, err := srv.WaitHeld(context.Background(), "first"); err != nil {
		t.Fatal(err)
	}
	srv.PauseWorker()
	for _, id := range []string{"second", "third"} {
		srv.Submit(t, prompt, comfyuitest.WithPromptID(id), graph)
	}
	if st := status(t, tool, "first"); !st.Running {
		t.Fatalf("first: %+v, want running", st)
	}
	if st := status(t, tool, "third"); !st.Pending || st.QueuePosition != 2 {
		t.Fatalf("third: %+v, want pending at position 2", st)
	}
	srv.ReleaseJob("first")
	srv.ResumeWorker()
	for _, id := range []string{"first", "second", "third"} {
		if err := srv.WaitJob(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		st := status(t, tool, id)
		if !st.Done || st.Outcome != "success" || st.ExecutionStats == nil || st.ExecutionStats.EndTimestamp < st.ExecutionStats.StartTimestamp {
			t.Fatalf("%s: %+v, want done with its timings", id, st)
		}
	}
}
