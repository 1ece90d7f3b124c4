package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

var prompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 2, "color": 0}},
	"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
	"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "sub/wait"}},
}

func wait(t *testing.T, tool *plugintest.Tool, id string, timeout int) Output {
	t.Helper()
	res := tool.Call(t, map[string]any{"prompt_id": id, "timeout_s": timeout})
	if res.IsError {
		t.Fatalf("wait_for_job(%s): %s", id, res.Text())
	}
	var out Output
	res.Decode(t, &out)
	return out
}

func TestWaitForJob(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))

	t.Run("times out while running, then finishes", func(t *testing.T) {
		id := "held"
		srv.HoldJob(id)
		srv.Submit(t, prompt, comfyuitest.WithPromptID(id))
		if _, err := srv.WaitHeld(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		out := wait(t, tool, id, 1)
		if !out.TimedOut || !out.Running || out.Done {
			t.Fatalf("held job: %+v, want timed_out while running", out)
		}
		srv.ReleaseJob(id)
		out = wait(t, tool, id, 30)
		if out.TimedOut || !out.Done || out.Outcome != "success" {
			t.Fatalf("released job: %+v, want done with success", out)
		}
		if len(out.Outputs) != 2 || out.Outputs[0].URI != "comfyui://output/sub/wait_00001_.png" || out.Outputs[0].Subfolder != "sub" {
			t.Fatalf("outputs = %+v, want two images in sub/", out.Outputs)
		}
	})
	t.Run("runtime error", func(t *testing.T) {
		id := "fails"
		srv.FailJob(id, comfyuitest.ExecutionError{NodeID: "2", ExceptionType: "RuntimeError", ExceptionMessage: "boom\n"})
		srv.Submit(t, prompt, comfyuitest.WithPromptID(id))
		out := wait(t, tool, id, 30)
		if !out.Done || out.Outcome != "error" || out.Error == nil || out.Error.NodeType != "ImageInvert" || out.Error.ExceptionMessage != "boom" {
			t.Fatalf("failed job: %+v", out)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if out := wait(t, tool, "nope", 5); out.Found || out.TimedOut {
			t.Fatalf("unknown job: %+v, want found=false", out)
		}
	})
	t.Run("progress", func(t *testing.T) {
		srv.PauseWorker()
		id := srv.Submit(t, prompt)
		time.AfterFunc(300*time.Millisecond, srv.ResumeWorker)
		wait(t, tool, id, 30)
		var queued bool
		for _, p := range tool.Progress() {
			queued = queued || strings.Contains(p.Message, "queued")
		}
		if !queued {
			t.Errorf("no progress reported while the job was queued: %+v", tool.Progress())
		}
	})
	t.Run("ComfyUI down", func(t *testing.T) {
		srv.Down()
		defer srv.Up()
		res := tool.Call(t, map[string]any{"prompt_id": "x"})
		if !res.IsError || !strings.Contains(res.Text(), "unreachable at "+srv.URL) {
			t.Fatalf("got %q, want unreachable", res.Text())
		}
	})
}
