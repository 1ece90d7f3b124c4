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
	// A finished job whose history ComfyUI fails to serve is an error
	// naming the request, never found=false: the job exists.
	t.Run("history fails", func(t *testing.T) {
		id := srv.Submit(t, prompt, comfyuitest.WithClientID("webui-tab"))
		if err := srv.WaitJob(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			fault comfyuitest.Fault
			want  string
		}{
			{"502", comfyuitest.Fault{Status: 502, Body: "<html>Bad Gateway</html>", ContentType: "text/html"}, "ComfyUI answered 502"},
			{"500", comfyuitest.Fault{Status: 500}, "ComfyUI answered 500"},
			{"dropped connection", comfyuitest.Fault{CloseConnection: true}, srv.URL},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				srv.SetFault("GET /history/*", tt.fault)
				defer srv.ClearFaults()
				res := tool.Call(t, map[string]any{"prompt_id": id, "timeout_s": 5})
				if text := res.Text(); !res.IsError || !strings.Contains(text, tt.want) || !strings.Contains(text, "/history/"+id) {
					t.Fatalf("got %q (isError %v), want an error with %q and the URL", text, res.IsError, tt.want)
				}
			})
		}
	})
	// The job ends during the wait, but its history fails until the
	// timeout: the answer is that error, not found=false.
	t.Run("history fails until the timeout", func(t *testing.T) {
		id := "held-then-no-history"
		srv.HoldJob(id)
		srv.Submit(t, prompt, comfyuitest.WithPromptID(id), comfyuitest.WithClientID("webui-tab"))
		if _, err := srv.WaitHeld(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		srv.SetFault("GET /history/*", comfyuitest.Fault{Status: 502})
		defer srv.ClearFaults()
		time.AfterFunc(300*time.Millisecond, func() { srv.ReleaseJob(id) })
		res := tool.Call(t, map[string]any{"prompt_id": id, "timeout_s": 1})
		if text := res.Text(); !res.IsError || !strings.Contains(text, "ComfyUI answered 502") || !strings.Contains(text, "/history/"+id) {
			t.Fatalf("got %q (isError %v), want the history error", text, res.IsError)
		}
	})
	t.Run("progress", func(t *testing.T) {
		srv.PauseWorker()
		id := srv.Submit(t, prompt)
		time.AfterFunc(300*time.Millisecond, srv.ResumeWorker)
		before := len(tool.Progress()) // the tool keeps every call's reports
		wait(t, tool, id, 30)
		var queued bool
		ps := tool.Progress()[before:]
		for i, p := range ps {
			queued = queued || strings.Contains(p.Message, "queued")
			if i > 0 && (p.Progress <= ps[i-1].Progress || p.Total != ps[0].Total) {
				t.Errorf("progress %+v after %+v: want strictly increasing, same total", p, ps[i-1])
			}
		}
		if !queued {
			t.Errorf("no progress reported while the job was queued: %+v", ps)
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
