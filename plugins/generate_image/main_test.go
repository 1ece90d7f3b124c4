package main

import (
	"fmt"
	"math"
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
	ps := tool.Progress()
	for i, p := range ps {
		if p.Total != 7 || i > 0 && p.Progress <= ps[i-1].Progress {
			t.Errorf("progress %+v (report %d): want strictly increasing, out of the 7 nodes", p, i)
		}
	}
	var steps []int
	for _, p := range ps {
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
	if a.Seed > 1<<53-1 || b.Seed > 1<<53-1 {
		t.Errorf("random seeds %d, %d: above 2^53-1, which JSON clients cannot read back exactly", a.Seed, b.Seed)
	}
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

// Random seeds stay within 2^53−1, so that a JSON client reading numbers
// as doubles gets back the exact seed that reproduces the image; a chosen
// seed keeps the node's whole range.
func TestRandomSeedIsExactInJSON(t *testing.T) {
	tests := []struct {
		bits, max, want uint64
	}{
		{bits: 11492529030583857495, max: math.MaxUint64, want: 11492529030583857495 % (1 << 53)},
		{bits: math.MaxUint64, max: math.MaxUint64, want: 1<<53 - 1},
		{bits: 1 << 53, max: math.MaxUint64, want: 0},
		{bits: 12345, max: math.MaxUint64, want: 12345},
		{bits: 1000, max: 99, want: 0}, // the node's own smaller maximum
		{bits: 1001, max: 99, want: 1},
	}
	for _, tt := range tests {
		if got := randomSeed(tt.bits, tt.max); got != tt.want {
			t.Errorf("randomSeed(%d, %d) = %d, want %d", tt.bits, tt.max, got, tt.want)
		}
	}
	for range 1000 {
		s, err := seed(nil, math.MaxUint64)
		if err != nil || s > 1<<53-1 || float64(s) != float64(int64(s)) || uint64(float64(s)) != s {
			t.Fatalf("seed() = %d, %v: above 2^53-1 or not exact as a double", s, err)
		}
	}
	chosen := uint64(math.MaxUint64)
	if s, err := seed(&chosen, math.MaxUint64); err != nil || s != chosen {
		t.Fatalf("seed(%d) = %d, %v: a chosen seed must be kept", chosen, s, err)
	}
}
