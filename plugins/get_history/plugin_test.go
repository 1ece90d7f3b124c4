package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

// workflow is a two-node prompt the emulator runs without models; the
// prefix puts SaveImage's files in a subfolder when it has a "/".
func workflow(color int, prefix string) map[string]any {
	return map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": color}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": prefix}},
	}
}

func load(t *testing.T) (*comfyuitest.Server, *plugintest.Tool) {
	t.Helper()
	srv := comfyuitest.NewServer(t)
	return srv, plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
}

func wait(t *testing.T, srv *comfyuitest.Server, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitJob(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func call(t *testing.T, tool *plugintest.Tool, args map[string]any) History {
	t.Helper()
	res := tool.Call(t, args)
	if res.IsError {
		t.Fatalf("%v: %s", args, res.Text())
	}
	var out History
	res.Decode(t, &out)
	return out
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
		Required []string `json:"required"`
	}
	if err := json.Unmarshal(info.InputSchema, &schema); err != nil {
		t.Fatal(err)
	}
	for name, p := range schema.Properties {
		if p.Description == "" || len(p.Description) > 120 {
			t.Errorf("input %s: description of %d characters", name, len(p.Description))
		}
	}
	if len(schema.Required) != 0 {
		t.Errorf("required = %v, want no required argument", schema.Required)
	}
	if !strings.Contains(string(info.Annotations), `"readOnlyHint":true`) {
		t.Errorf("annotations = %s, want read-only", info.Annotations)
	}
}

func TestRecentJobs(t *testing.T) {
	srv, tool := load(t)
	for i, id := range []string{"one", "two", "three"} {
		srv.Submit(t, workflow(i, "h"), comfyuitest.WithPromptID(id))
		wait(t, srv, id)
	}
	out := call(t, tool, map[string]any{"max_items": 2})
	if got := promptIDs(out.Entries); got != "three two" {
		t.Errorf("entries = %q, want the two most recent, most recent first", got)
	}
	if out.Found != nil || out.State != "" || out.PromptID != "" {
		t.Errorf("a listing has lookup fields: %+v", out)
	}
	if got := promptIDs(call(t, tool, map[string]any{}).Entries); got != "three two one" {
		t.Errorf("default listing = %q", got)
	}
}

func TestFinishedJobWithFiles(t *testing.T) {
	srv, tool := load(t)
	id := srv.Submit(t, workflow(1, "sub/pic"))
	wait(t, srv, id)
	out := call(t, tool, map[string]any{"prompt_id": id})
	if out.Found == nil || !*out.Found || out.State != "finished" || len(out.Entries) != 1 {
		t.Fatalf("lookup = %+v", out)
	}
	e := out.Entries[0]
	if e.Outcome != "success" || len(e.Outputs) != 1 || e.Outputs[0].ClassType != "SaveImage" || len(e.Outputs[0].Files) != 1 {
		t.Fatalf("entry = %+v", e)
	}
	f := e.Outputs[0].Files[0]
	if f.URI != "comfyui://output/sub/"+f.Filename || f.Subfolder != "sub" || f.Type != "output" || f.Kind != "images" {
		t.Errorf("file = %+v", f)
	}
	if _, ok := srv.File(f.Type, f.Subfolder, f.Filename); !ok {
		t.Errorf("the emulator has no file %+v", f)
	}
}

func TestFailedJob(t *testing.T) {
	srv, tool := load(t)
	srv.FailJob("bad", comfyuitest.ExecutionError{NodeID: "2", ExceptionType: "torch.OutOfMemoryError", ExceptionMessage: "Allocation on device "})
	srv.Submit(t, workflow(1, "f"), comfyuitest.WithPromptID("bad"))
	wait(t, srv, "bad")
	e := call(t, tool, map[string]any{"prompt_id": "bad"}).Entries[0]
	want := ErrorDigest{NodeID: "2", NodeType: "SaveImage", ExceptionType: "torch.OutOfMemoryError",
		ExceptionMessage: "Allocation on device \nThis error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.",
		OutOfMemory:      true, Advice: comfy.OutOfMemoryAdvice}
	if e.Outcome != "error" || e.Error == nil || *e.Error != want {
		t.Errorf("entry = %+v, error %+v", e, e.Error)
	}
}

// /history/{id} answers {} for pending and running jobs too; the tool must
// say where they are rather than call them unknown.
func TestUnfinishedAndUnknownJobs(t *testing.T) {
	srv, tool := load(t)
	srv.HoldJob("run")
	srv.Submit(t, workflow(1, "u"), comfyuitest.WithPromptID("run"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.WaitHeld(ctx, "run"); err != nil {
		t.Fatal(err)
	}
	srv.PauseWorker()
	srv.Submit(t, workflow(2, "u"), comfyuitest.WithPromptID("later"))
	srv.Submit(t, workflow(3, "u"), comfyuitest.WithPromptID("next"), comfyuitest.WithFront())
	tests := []struct {
		id, state string
		position  int
	}{
		{"run", "running", 0},
		{"next", "pending", 1},
		{"later", "pending", 2},
		{"nope", "unknown", 0},
	}
	for _, tt := range tests {
		out := call(t, tool, map[string]any{"prompt_id": tt.id})
		if out.Found == nil || *out.Found || out.State != tt.state || out.QueuePosition != tt.position || out.PromptID != tt.id || out.Entries == nil || len(out.Entries) != 0 {
			t.Errorf("%s: %+v, want found=false state %s position %d", tt.id, out, tt.state, tt.position)
		}
	}
	srv.ReleaseJob("run")
}

func TestFailures(t *testing.T) {
	srv, tool := load(t)
	tests := []struct {
		name  string
		route string
		fault comfyuitest.Fault
		args  map[string]any
		want  []string
	}{
		{name: "max_items too big", args: map[string]any{"max_items": 51}, want: []string{"max_items", "50"}},
		{name: "max_items zero", args: map[string]any{"max_items": 0}, want: []string{"max_items"}},
		{name: "prompt_id not a string", args: map[string]any{"prompt_id": 7}, want: []string{"prompt_id"}},
		{name: "prompt_id too long", args: map[string]any{"prompt_id": strings.Repeat("x", 300)}, want: []string{"prompt_id"}},
		{name: "500 on listing", route: "GET /history", fault: comfyuitest.Fault{Status: 500, Body: "boom"},
			args: map[string]any{}, want: []string{"500", "/history", "boom"}},
		{name: "502 on lookup", route: "GET /history/*", fault: comfyuitest.Fault{Status: 502, Body: "bad gateway"},
			args: map[string]any{"prompt_id": "x"}, want: []string{"502", "/history/x"}},
		{name: "queue 500 on lookup", route: "GET /queue", fault: comfyuitest.Fault{Status: 500},
			args: map[string]any{"prompt_id": "x"}, want: []string{"500", "/queue"}},
		{name: "not ComfyUI", route: "GET /history", fault: comfyuitest.Fault{Status: 200, Body: "<html>", ContentType: "text/html"},
			args: map[string]any{}, want: []string{"did not answer like ComfyUI"}},
		{name: "a JSON list", route: "GET /history", fault: comfyuitest.Fault{Status: 200, Body: "[]", ContentType: "application/json"},
			args: map[string]any{}, want: []string{"not a JSON object"}},
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
	res := tool.Call(t, map[string]any{"prompt_id": "x"})
	if !res.IsError || !strings.Contains(res.Text(), srv.URL+"/history/x") {
		t.Fatalf("ComfyUI down: %s", res.Raw)
	}
}
