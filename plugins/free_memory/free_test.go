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

func TestCheck(t *testing.T) {
	tests := []struct {
		in   Input
		want string // "" for accepted
	}{
		{Input{UnloadModels: true, FreeMemory: true}, ""},
		{Input{UnloadModels: true}, ""},
		{Input{FreeMemory: true}, "unloads the models whenever it frees memory"},
		{Input{}, "nothing to do"},
	}
	for _, tt := range tests {
		err := check(tt.in)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("check(%+v) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestNote(t *testing.T) {
	idle := note(Input{UnloadModels: true}, 0)
	if !strings.Contains(idle, "unload all models;") || !strings.Contains(idle, "idle") || strings.Contains(idle, "cache") {
		t.Errorf("idle note = %q", idle)
	}
	busy := note(Input{UnloadModels: true, FreeMemory: true}, 2)
	if !strings.Contains(busy, "drop its cache") || !strings.Contains(busy, "once that job finishes") {
		t.Errorf("busy note = %q", busy)
	}
	for _, n := range []string{idle, busy} {
		if strings.Contains(n, "freed") && !strings.Contains(n, "get_system_stats") {
			t.Errorf("note claims memory was freed: %q", n)
		}
	}
}

// posted returns the bodies of the POST /free requests the server saw.
func posted(t *testing.T, srv *comfyuitest.Server) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == "/free" {
			var body map[string]any
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("POST /free body %q: %v", r.Body, err)
			}
			out = append(out, body)
		}
	}
	return out
}

var prompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
	"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "t"}},
}

func TestIdle(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	info, _ := json.Marshal(tool.Info())
	t.Logf("tool JSON: %d bytes", len(info))

	res := tool.Call(t, map[string]any{})
	var out Output
	res.Decode(t, &out)
	if !out.UnloadModels || !out.FreeMemory || out.QueueRemaining != 0 || !strings.Contains(out.Note, "acts right away") {
		t.Errorf("default call = %+v", out)
	}
	tool.Call(t, map[string]any{"free_memory": false})
	bodies := posted(t, srv)
	if len(bodies) != 2 || bodies[0]["unload_models"] != true || bodies[0]["free_memory"] != true ||
		bodies[1]["unload_models"] != true || bodies[1]["free_memory"] != false {
		t.Errorf("POST /free bodies = %v", bodies)
	}
}

// free_memory reaches ComfyUI: the emulator drops its cache of node
// results, so the same prompt runs again instead of being served cached.
func TestCacheIsDropped(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cached := func() string {
		id := srv.Submit(t, prompt)
		if err := srv.WaitJob(ctx, id); err != nil {
			t.Fatal(err)
		}
		var h map[string]struct {
			Status struct {
				Messages [][]json.RawMessage `json:"messages"`
			} `json:"status"`
		}
		resp, err := (&httpGetter{srv.URL}).get("/history/" + id)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(resp, &h)
		for _, m := range h[id].Status.Messages {
			if string(m[0]) == `"execution_cached"` {
				var data struct{ Nodes []string }
				_ = json.Unmarshal(m[1], &data)
				return strings.Join(data.Nodes, ",")
			}
		}
		return "?"
	}
	if got := cached(); got != "" {
		t.Fatalf("first run cached %q", got)
	}
	if got := cached(); got != "1,2" {
		t.Fatalf("second run cached %q, want 1,2", got)
	}
	if res := tool.Call(t, map[string]any{}); res.IsError {
		t.Fatal(res.Text())
	}
	// The worker acts on the flags when idle; a later prompt is queued
	// behind that, so it sees the emptied cache.
	if got := cached(); got != "" {
		t.Errorf("after free_memory the run cached %q, want nothing", got)
	}
}

func TestBusy(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	srv.HoldJob("held")
	srv.Submit(t, prompt, comfyuitest.WithPromptID("held"))
	defer srv.ReleaseJob("held")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.WaitHeld(ctx, "held"); err != nil {
		t.Fatal(err)
	}
	var out Output
	tool.Call(t, map[string]any{"unload_models": true, "free_memory": false}).Decode(t, &out)
	if out.QueueRemaining != 1 || out.FreeMemory || !strings.Contains(out.Note, "once that job finishes") {
		t.Errorf("busy = %+v", out)
	}
}

func TestFailures(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	for _, tt := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"unload_models": false}, `"unload_models"`},
		{map[string]any{"unload_models": false, "free_memory": false}, "nothing to do"},
		{map[string]any{"unload_models": "yes"}, `"unload_models"`},
		{map[string]any{"everything": true}, `"everything"`},
	} {
		if res := tool.Call(t, tt.args); !res.IsError || !strings.Contains(res.Text(), tt.want) {
			t.Errorf("%v: want an error containing %s, got %s", tt.args, tt.want, res.Raw)
		}
	}
	if n := len(posted(t, srv)); n != 0 {
		t.Errorf("refused calls posted /free %d times", n)
	}

	srv.SetFault("POST /free", comfyuitest.Fault{Status: 500, Body: "500 Internal Server Error"})
	if res := tool.Call(t, map[string]any{}); !res.IsError || !strings.Contains(res.Text(), "500") || !strings.Contains(res.Text(), "/free") {
		t.Errorf("POST /free 500: %s", res.Raw)
	}
	srv.ClearFaults()

	// If the queue cannot be read, nothing is posted.
	srv.ResetRequests()
	srv.SetFault("GET /prompt", comfyuitest.Fault{Status: 502, Body: "bad gateway"})
	if res := tool.Call(t, map[string]any{}); !res.IsError || !strings.Contains(res.Text(), "/prompt") || len(posted(t, srv)) != 0 {
		t.Errorf("GET /prompt 502: %s", res.Raw)
	}
	srv.ClearFaults()

	srv.Down()
	if res := tool.Call(t, map[string]any{}); !res.IsError || !strings.Contains(res.Text(), srv.URL) {
		t.Errorf("down: %s", res.Raw)
	}
}
