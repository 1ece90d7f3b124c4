package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

func TestGenerateImage(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithModels("checkpoints", "sd15.safetensors", "sdxl.safetensors"))
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))

	srv.PauseWorker() // let the host wait while the job runs, as with a real GPU
	time.AfterFunc(300*time.Millisecond, srv.ResumeWorker)
	res := tool.Call(t, map[string]any{"prompt": "a lighthouse at dusk", "steps": 4, "seed": uint64(18446744073709551615), "batch_size": 2})
	if res.IsError {
		t.Fatal(res.Text())
	}
	var out Output
	res.Decode(t, &out)
	if !out.Done || out.Outcome != "success" || out.Checkpoint != "sd15.safetensors" || out.Seed != 18446744073709551615 || len(out.Outputs) == 0 {
		t.Fatalf("out = %+v", out)
	}
	// The host forwards the latest progress and drops a report that a newer
	// one overtakes before the client is sent it (host/jobs: the watcher
	// never waits on a slow client), so under load a step may be skipped.
	// What must hold: sampler steps are reported, in order, out of 4.
	var steps []int
	for _, p := range tool.Progress() {
		if _, after, ok := strings.Cut(p.Message, "(KSampler): step "); ok {
			var step, total int
			if _, err := fmt.Sscanf(after, "%d/%d", &step, &total); err != nil || total != 4 || step < 1 || step > 4 ||
				len(steps) > 0 && step <= steps[len(steps)-1] {
				t.Fatalf("progress %q after steps %v: want step k/4, k rising", p.Message, steps)
			}
			steps = append(steps, step)
		}
	}
	if len(steps) == 0 {
		t.Errorf("no sampler-step progress reports: %+v", tool.Progress())
	}
}

func TestGenerateImageRandomSeedAndChoices(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithModels("checkpoints", "sd15.safetensors"))
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	res := tool.Call(t, map[string]any{"prompt": "x", "steps": 1, "checkpoint": "sd15.safetensors", "sampler": "dpmpp_2m", "scheduler": "karras"})
	var a Output
	res.Decode(t, &a)
	res = tool.Call(t, map[string]any{"prompt": "x", "steps": 1})
	var b Output
	res.Decode(t, &b)
	if a.Seed == b.Seed {
		t.Errorf("two random seeds are equal (%d): is the random source wired?", a.Seed)
	}
	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"prompt": "x", "checkpoint": "sdxl.safetensors"}, `"sdxl.safetensors" is not installed; available checkpoints: sd15.safetensors`},
		{map[string]any{"prompt": "x", "sampler": "nope"}, `argument "sampler": "nope" is not offered by this ComfyUI; choose one of: euler,`},
		{map[string]any{"prompt": "x", "scheduler": "nope"}, `argument "scheduler"`},
		{map[string]any{"prompt": "x", "width": 500}, `multiples of 8`},
		{map[string]any{"prompt": ""}, `argument "prompt"`},
		{map[string]any{"prompt": "x", "steps": 500}, `argument "steps"`},
	}
	for _, tt := range tests {
		res := tool.Call(t, tt.args)
		if !res.IsError || !strings.Contains(res.Text(), tt.want) {
			t.Errorf("%v: got %q, want an error containing %q", tt.args, res.Text(), tt.want)
		}
	}
}

func TestGenerateImageWithoutCheckpoints(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	res := tool.Call(t, map[string]any{"prompt": "x"})
	if !res.IsError || !strings.Contains(res.Text(), "has no checkpoint models") {
		t.Fatalf("got %q", res.Text())
	}
}
