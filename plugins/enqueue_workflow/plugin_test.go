package main

import (
	"bytes"
	"encoding/json"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

var invertWorkflow = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 16, "height": 8, "batch_size": 1, "color": 255}},
	"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
	"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "enq"}},
}

func decodeOutput(t *testing.T, res *plugintest.Result) Output {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", res.Text())
	}
	var out Output
	res.Decode(t, &out)
	return out
}

func TestDescription(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	info := load(t, srv.URL).Info()
	b, _ := json.Marshal(info)
	t.Logf("tool JSON: %d bytes", len(b))
	if n := len([]rune(info.Description)); n > 600 {
		t.Errorf("description is %d characters, want at most 600", n)
	}
	var schema struct {
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	json.Unmarshal(info.InputSchema, &schema)
	for name, p := range schema.Properties {
		if n := len([]rune(p.Description)); n == 0 || n > 120 {
			t.Errorf("property %s description is %d characters", name, n)
		}
	}
	if strings.Join(schema.Required, ",") != "workflow" {
		t.Errorf("required = %v", schema.Required)
	}
	if got := string(info.Annotations); got != `{"readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}` {
		t.Errorf("annotations = %s", got)
	}
}

func TestEnqueueRunsOnTheEmulator(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := load(t, srv.URL)
	out := decodeOutput(t, tool.Call(t, map[string]any{"workflow": invertWorkflow}))
	if out.PromptID == "" || out.QueueRemaining == nil || out.QueueRemainingError != "" || out.ConvertedFromUI {
		t.Fatalf("output = %+v", out)
	}
	if !strings.Contains(out.NextStep, "wait_for_job") || !strings.Contains(out.NextStep, "get_job_status") {
		t.Errorf("next_step = %q", out.NextStep)
	}
	files := waitFiles(t, srv, out.PromptID)
	if len(files) != 1 || files[0].Filename != "enq_00001_.png" || files[0].Type != "output" {
		t.Fatalf("outputs = %+v", files)
	}
	posted := postedPrompts(t, srv.Requests())
	if len(posted) != 1 || posted[0]["client_id"] != tool.ClientID || tool.ClientID == "" {
		t.Fatalf("POST /prompt bodies = %v, want client_id %s", posted, tool.ClientID)
	}
	if _, ok := posted[0]["front"]; ok {
		t.Errorf("front sent although not asked: %v", posted[0])
	}
}

func TestFrontAndQueueRemaining(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := load(t, srv.URL)
	srv.PauseWorker()
	first := decodeOutput(t, tool.Call(t, map[string]any{"workflow": invertWorkflow}))
	second := decodeOutput(t, tool.Call(t, map[string]any{"workflow": invertWorkflow, "front": true,
		"extra_data": map[string]any{"extra_pnginfo": map[string]any{"note": "hi"}}}))
	if first.Number < 0 || second.Number >= 0 {
		t.Errorf("numbers = %v, %v; want the front job negative", first.Number, second.Number)
	}
	if first.QueueRemaining == nil || *first.QueueRemaining != 1 || second.QueueRemaining == nil || *second.QueueRemaining != 2 {
		t.Errorf("queue_remaining = %v, %v; want 1, 2", first.QueueRemaining, second.QueueRemaining)
	}
	posted := postedPrompts(t, srv.Requests())
	if posted[1]["front"] != true || posted[1]["extra_data"] == nil {
		t.Errorf("second body = %v", posted[1])
	}
}

// Each recorded validation failure, replayed through the plugin, comes back
// as an error that names every failing node, its class and the details, as
// ComfyUI recorded them.
func TestRecordedRejections(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := load(t, srv.URL)
	replayed := 0
	for name, rec := range readRecordings(t, "post_prompt_invalid_*.json") {
		prompt, ok := rec.Request.JSON["prompt"]
		if !ok || rec.Response.Status != 400 {
			continue // no_prompt_key and malformed_json: see TestNoWorkflowAndServerErrors
		}
		replayed++
		t.Run(name, func(t *testing.T) {
			res := tool.Call(t, json.RawMessage(`{"workflow": `+string(prompt)+`}`))
			if !res.IsError {
				t.Fatalf("not an error: %s", res.Raw)
			}
			msg := res.Text()
			var want struct {
				Error struct {
					Message, Details string
				}
				NodeErrors map[string]struct {
					ClassType string `json:"class_type"`
					Errors    []struct{ Message, Details string }
				} `json:"node_errors"`
			}
			json.Unmarshal(rec.Response.JSON, &want)
			parts := []string{"ComfyUI rejected the workflow: " + want.Error.Message}
			if len(want.NodeErrors) == 0 {
				parts = append(parts, want.Error.Details)
			}
			for id, ne := range want.NodeErrors {
				for _, e := range ne.Errors {
					parts = append(parts, "node "+id+" ("+ne.ClassType+"): "+e.Message+": "+e.Details)
				}
			}
			for _, p := range parts {
				if !strings.Contains(msg, p) {
					t.Errorf("error lacks %q:\n%s", p, msg)
				}
			}
		})
	}
	if replayed < 12 {
		t.Fatalf("replayed %d recordings, want the 12 with a prompt", replayed)
	}
}

func TestNoWorkflowAndServerErrors(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := load(t, srv.URL)
	// The no_prompt_key recording has no workflow: the SDK refuses it first.
	if res := tool.Call(t, map[string]any{"front": true}); !res.IsError || !strings.Contains(res.Text(), `argument "workflow" is required`) {
		t.Errorf("missing workflow: %s", res.Raw)
	}
	// The malformed_json recording's 500 page: the plugin never sends bad
	// JSON, so the emulator is told to answer with it.
	page := "500 Internal Server Error\n\nServer got itself in trouble"
	if recs := readRecordings(t, "post_prompt_invalid_malformed_json.json"); len(recs) == 1 {
		page = recs["post_prompt_invalid_malformed_json.json"].Response.Text
	}
	srv.SetFault("POST /prompt", comfyuitest.Fault{Status: 500, Body: page, Times: 1})
	res := tool.Call(t, map[string]any{"workflow": invertWorkflow})
	if !res.IsError || !strings.Contains(res.Text(), "500") || !strings.Contains(res.Text(), "Server got itself in trouble") {
		t.Errorf("500 page: %s", res.Raw)
	}
	srv.Down()
	res = tool.Call(t, map[string]any{"workflow": invertWorkflow})
	// "unreachable", or "connection closed" when a kept-alive connection
	// dies with the server: either way the error names the URL.
	if !res.IsError || !strings.Contains(res.Text(), srv.URL+"/prompt") {
		t.Errorf("down: %s", res.Raw)
	}
}

func TestBadArguments(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := load(t, srv.URL)
	tests := []struct {
		args any
		want string
	}{
		{map[string]any{"workflow": "EmptyImage"}, `argument "workflow": expected an object`},
		{map[string]any{"workflow": invertWorkflow, "priority": 1}, `unknown argument "priority"`},
		{map[string]any{"workflow": map[string]any{"1": "SaveImage"}}, `argument "workflow": node "1" of the workflow is not an object`},
		{map[string]any{"workflow": map[string]any{"prompt": invertWorkflow, "client_id": "x"}}, `pass the value of its "prompt" key`},
		{map[string]any{"workflow": invertWorkflow, "extra_data": []any{1}}, `argument "extra_data": expected an object`},
	}
	for _, tt := range tests {
		if res := tool.Call(t, tt.args); !res.IsError || !strings.Contains(res.Text(), tt.want) {
			t.Errorf("%v: %s, want %q", tt.args, res.Raw, tt.want)
		}
	}
	if posted := postedPrompts(t, srv.Requests()); len(posted) != 0 {
		t.Errorf("bad arguments reached ComfyUI: %v", posted)
	}
}

// ComfyUI queues a prompt when at least one output is valid and reports the
// others in node_errors: the result lists each dropped output.
func TestDroppedOutputs(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := load(t, srv.URL)
	wf := map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "kept"}},
		"3": map[string]any{"class_type": "ImageToMask", "inputs": map[string]any{"image": []any{"1", 0}, "channel": "purple"}},
		"4": map[string]any{"class_type": "MaskToImage", "inputs": map[string]any{"mask": []any{"3", 0}}},
		"5": map[string]any{"class_type": "PreviewImage", "inputs": map[string]any{"images": []any{"4", 0}}},
	}
	out := decodeOutput(t, tool.Call(t, map[string]any{"workflow": wf}))
	if len(out.DroppedOutputs) != 1 {
		t.Fatalf("dropped = %+v", out.DroppedOutputs)
	}
	d := out.DroppedOutputs[0]
	if d.NodeID != "5" || d.ClassType != "PreviewImage" || len(d.Reasons) != 1 ||
		!strings.HasPrefix(d.Reasons[0], "node 3 (ImageToMask): Value not in list: channel: 'purple' not in") {
		t.Fatalf("dropped = %+v", d)
	}
	if files := waitFiles(t, srv, out.PromptID); len(files) != 1 || files[0].NodeID != "2" {
		t.Fatalf("outputs = %+v, want only SaveImage 2", files)
	}
}

// An editor-format graph (EmptyImage → bypassed ImageBlur → ImageInvert →
// reroute → SaveImage, with a note and a group) is converted and runs.
func TestEditorWorkflowRuns(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := load(t, srv.URL)
	ui := readJSON(t, "testdata/ui_invert.json")
	out := decodeOutput(t, tool.Call(t, map[string]any{"workflow": ui}))
	if !out.ConvertedFromUI || len(out.ConversionNotes) != 1 || !strings.Contains(out.ConversionNotes[0], "bypassed node 5 (ImageBlur)") {
		t.Fatalf("conversion = %v %q", out.ConvertedFromUI, out.ConversionNotes)
	}
	files := waitFiles(t, srv, out.PromptID)
	if len(files) != 1 || files[0].Filename != "ui_inverted_00001_.png" {
		t.Fatalf("outputs = %+v", files)
	}
	data, ok := srv.File("output", "", files[0].Filename)
	if !ok {
		t.Fatal("output file missing")
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 24 {
		t.Errorf("size = %v, want 32x24 from the widget values", b)
	}
	if c := color.NRGBAModel.Convert(img.At(3, 3)).(color.NRGBA); c.R != 0 || c.G != 255 || c.B != 255 {
		t.Errorf("pixel = %v, want cyan (red inverted)", c)
	}
	posted := postedPrompts(t, srv.Requests())
	prompt := posted[0]["prompt"].(map[string]any)
	if len(prompt) != 3 || prompt["5"] != nil || prompt["4"] != nil || prompt["6"] != nil {
		t.Errorf("posted prompt nodes = %v, want 1, 2, 3", prompt)
	}
	extra, _ := posted[0]["extra_data"].(map[string]any)
	if png, _ := extra["extra_pnginfo"].(map[string]any); png["workflow"] == nil {
		t.Errorf("extra_data = %v, want the editor workflow in extra_pnginfo", extra)
	}
}

func TestEditorWorkflowRefused(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := load(t, srv.URL)
	ui := readJSON(t, "testdata/ui_invert.json")
	ui["nodes"] = append(ui["nodes"].([]any), map[string]any{"id": 9, "type": "Anything Everywhere", "mode": 0, "inputs": []any{}, "outputs": []any{}})
	res := tool.Call(t, map[string]any{"workflow": ui})
	for _, want := range []string{"node 9 (Anything Everywhere)", "not installed", "Workflow → Export (API)"} {
		if !res.IsError || !strings.Contains(res.Text(), want) {
			t.Errorf("refusal lacks %q: %s", want, res.Raw)
		}
	}
	if posted := postedPrompts(t, srv.Requests()); len(posted) != 0 {
		t.Errorf("a refused conversion reached POST /prompt: %v", posted)
	}
	srv.Down()
	res = tool.Call(t, map[string]any{"workflow": readJSON(t, "testdata/ui_invert.json")})
	if !res.IsError || !strings.Contains(res.Text(), srv.URL+"/object_info/") {
		t.Errorf("down during conversion: %s", res.Raw)
	}
}
