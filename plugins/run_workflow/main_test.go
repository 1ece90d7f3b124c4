package main

import (
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

var workflow = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 256, "height": 128, "batch_size": 2, "color": 16711680}},
	"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
	"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "run"}},
}

func TestRunWorkflow(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))

	// Hold the queue a moment so that the job runs while the host waits
	// (real jobs take seconds; the emulator's take milliseconds).
	srv.PauseWorker()
	time.AfterFunc(300*time.Millisecond, srv.ResumeWorker)
	res := tool.Call(t, map[string]any{"workflow": workflow, "max_images": 1, "image_size": 64})
	if res.IsError {
		t.Fatal(res.Text())
	}
	var out Output
	res.Decode(t, &out)
	if !out.Done || out.Outcome != "success" || len(out.Outputs) != 2 || out.PromptID == "" {
		t.Fatalf("out = %+v", out)
	}
	var images, links int
	for _, c := range res.Content {
		switch c.Type {
		case "image":
			images++
		case "resource_link":
			links++
			if !strings.HasPrefix(c.URI, "comfyui://output/run_0000") {
				t.Errorf("link %s", c.URI)
			}
		}
	}
	if images != 1 || links != 2 {
		t.Errorf("%d images and %d links, want 1 thumbnail (max_images) and 2 links", images, links)
	}
	var sawProgress bool
	ps := tool.Progress()
	for i, p := range ps {
		sawProgress = sawProgress || strings.Contains(p.Message, "(ImageInvert)")
		if p.Total != 3 || i > 0 && p.Progress <= ps[i-1].Progress {
			t.Errorf("progress %+v (report %d): want strictly increasing, out of the 3 nodes", p, i)
		}
	}
	if !sawProgress {
		t.Errorf("no progress named a running node: %+v", tool.Progress())
	}
}

func TestRunWorkflowFailures(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))

	t.Run("rejected", func(t *testing.T) {
		bad := map[string]any{
			"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 64}},
			"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "bad"}},
		}
		res := tool.Call(t, map[string]any{"workflow": bad})
		if !res.IsError || !strings.Contains(res.Text(), "EmptyImage") || !strings.Contains(res.Text(), "height") {
			t.Fatalf("got %q, want the validation errors", res.Text())
		}
	})
	t.Run("fails while running", func(t *testing.T) {
		// The recorded runtime error: the alpha channel of an RGB image.
		failing := map[string]any{
			"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 64, "height": 64, "batch_size": 1, "color": 0}},
			"2": map[string]any{"class_type": "ImageToMask", "inputs": map[string]any{"image": []any{"1", 0}, "channel": "alpha"}},
			"3": map[string]any{"class_type": "MaskToImage", "inputs": map[string]any{"mask": []any{"2", 0}}},
			"4": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"3", 0}, "filename_prefix": "mask"}},
		}
		res := tool.Call(t, map[string]any{"workflow": failing})
		var out Output
		res.Decode(t, &out)
		if !res.IsError || out.Outcome != "error" || out.Error == nil || out.Error.ExceptionType != "IndexError" || out.Error.NodeType != "ImageToMask" {
			t.Fatalf("got %s, want an error result with the exception", res.Raw)
		}
	})
	t.Run("times out", func(t *testing.T) {
		srv.PauseWorker()
		defer srv.ResumeWorker()
		res := tool.Call(t, map[string]any{"workflow": workflow, "timeout_s": 1})
		var out Output
		res.Decode(t, &out)
		if res.IsError || !out.TimedOut || !out.Pending || out.PromptID == "" {
			t.Fatalf("got %s, want timed_out while pending", res.Raw)
		}
	})
	// The job ran, but its history cannot be read: an error naming the
	// request, not a success without outputs.
	t.Run("history fails", func(t *testing.T) {
		srv.SetFault("GET /history/*", comfyuitest.Fault{Status: 502, Body: "<html>Bad Gateway</html>", ContentType: "text/html"})
		defer srv.ClearFaults()
		res := tool.Call(t, map[string]any{"workflow": workflow, "timeout_s": 5})
		if text := res.Text(); !res.IsError || !strings.Contains(text, "ComfyUI answered 502") || !strings.Contains(text, "/history/") {
			t.Fatalf("got %q (isError %v), want the history error", text, res.IsError)
		}
	})
	t.Run("ComfyUI down", func(t *testing.T) {
		srv.Down()
		defer srv.Up()
		res := tool.Call(t, map[string]any{"workflow": workflow})
		if !res.IsError || !strings.Contains(res.Text(), "unreachable at "+srv.URL+"/prompt") {
			t.Fatalf("got %q", res.Text())
		}
	})
}
