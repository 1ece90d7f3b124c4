package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/plugintest"
	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

// enqueued checks that a workflow tool ran its job to a successful end
// (the default: the tool waits) and returns what it reported.
func enqueued(t *testing.T, res *plugintest.Result) comfy.RunOutput {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", res.Text())
	}
	var out comfy.RunOutput
	res.Decode(t, &out)
	if out.PromptID == "" || !out.Done || out.Outcome != comfy.OutcomeSuccess || len(out.Outputs) == 0 {
		t.Fatalf("result = %+v", out)
	}
	return out
}

func decodePNG(t *testing.T, srv *comfyuitest.Server, f comfy.File) image.Image {
	t.Helper()
	data, ok := srv.File(f.Type, f.Subfolder, f.Filename)
	if !ok {
		t.Fatalf("no file %+v in the emulator", f)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDescribesItselfUnderTheDeclaredName(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	for name, entry := range exampleTools(t) {
		info := loadTool(t, srv.URL, entry).Info()
		b, _ := json.Marshal(info)
		t.Logf("%s: tool JSON %d bytes", name, len(b))
		if info.Name != name {
			t.Errorf("name = %q, want %q", info.Name, name)
		}
		wt, err := newWorkflowTool(parseConfig(t, string(entry.Config)), mustRead(t, entry.Files["workflow"]))
		if err != nil {
			t.Fatal(err)
		}
		if info.Description != wt.description || string(info.InputSchema) != string(wt.InputSchema()) {
			t.Errorf("described %s / %s, want the config's", info.Description, info.InputSchema)
		}
		if n := len([]rune(info.Description)); n > 600 {
			t.Errorf("description is %d characters", n)
		}
		if string(info.Annotations) != `{"readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}` {
			t.Errorf("annotations = %s", info.Annotations)
		}
	}
}

func TestInvertImageRuns(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := loadTool(t, srv.URL, exampleTools(t)["invert_image"])
	out := enqueued(t, tool.Call(t, callArgs(map[string]any{
		"width": 40, "height": 20, "color": 16711680, "prefix": "inv"})))
	files := jobFiles(t, srv, out.PromptID)
	if len(files) != 1 || files[0].Filename != "inv_00001_.png" || files[0].NodeID != "3" {
		t.Fatalf("outputs = %+v", files)
	}
	img := decodePNG(t, srv, files[0])
	if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 20 {
		t.Errorf("size = %v, want 40x20", b)
	}
	if c := color.NRGBAModel.Convert(img.At(5, 5)).(color.NRGBA); c.R != 0 || c.G != 255 || c.B != 255 {
		t.Errorf("pixel = %v, want cyan (red inverted)", c)
	}
	prompt, clientID := postedPrompt(t, srv)
	if clientID != tool.ClientID || clientID == "" {
		t.Errorf("client_id = %q, want the host's %q", clientID, tool.ClientID)
	}
	if got := prompt["1"].(map[string]any)["inputs"].(map[string]any)["batch_size"]; got != 1.0 {
		t.Errorf("batch_size = %v: inputs without a parameter keep the file's value", got)
	}
}

// With no arguments at all, the defaults of tools.yaml apply.
func TestInvertImageDefaults(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := loadTool(t, srv.URL, exampleTools(t)["invert_image"])
	for _, args := range []any{map[string]any{}, callArgs(map[string]any{})} { // both mean "no parameters"
		out := enqueued(t, tool.Call(t, args))
		files := jobFiles(t, srv, out.PromptID)
		if len(files) != 1 || !strings.HasPrefix(files[0].Filename, "inverted_") {
			t.Fatalf("outputs = %+v", files)
		}
		if b := decodePNG(t, srv, files[0]).Bounds(); b.Dx() != 512 || b.Dy() != 512 {
			t.Errorf("size = %v, want the default 512x512", b)
		}
	}
}

func TestBlurImageRuns(t *testing.T) {
	photo := new(bytes.Buffer)
	img := image.NewNRGBA(image.Rect(0, 0, 12, 10))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	png.Encode(photo, img)
	srv := comfyuitest.NewServer(t, comfyuitest.WithInputFile("photo.png", photo.Bytes()))
	tool := loadTool(t, srv.URL, exampleTools(t)["blur_image"])
	out := enqueued(t, tool.Call(t, callArgs(map[string]any{"image": "photo.png", "radius": 2, "sigma": 0.5})))
	files := jobFiles(t, srv, out.PromptID)
	if len(files) != 1 || files[0].Filename != "blurred_00001_.png" {
		t.Fatalf("outputs = %+v", files)
	}
	if b := decodePNG(t, srv, files[0]).Bounds(); b.Dx() != 12 || b.Dy() != 10 {
		t.Errorf("size = %v, want the input's 12x10", b)
	}
	prompt, _ := postedPrompt(t, srv)
	blur := prompt["2"].(map[string]any)["inputs"].(map[string]any)
	load := prompt["1"].(map[string]any)["inputs"].(map[string]any)
	if blur["blur_radius"] != 2.0 || blur["sigma"] != 0.5 || load["image"] != "photo.png" {
		t.Errorf("posted inputs = %v, %v", load, blur)
	}
}

func TestArgumentErrorsNameTheArgument(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := loadTool(t, srv.URL, exampleTools(t)["blur_image"])
	tests := []struct {
		args any
		want []string
	}{
		{map[string]any{}, []string{`argument "image" is required`}},
		{callArgs(map[string]any{"image": "a.png", "radius": 99}), []string{`argument "radius": must be at most 31, got 99`}},
		{callArgs(map[string]any{"image": 5, "sigma": "soft"}),
			[]string{`argument "image": expected a string, got a number`, `argument "sigma": expected a number, got a string`}},
		{callArgs(map[string]any{"image": "a.png", "size": 3}),
			[]string{`unknown argument "size" (this tool takes: image, prefix, radius, sigma)`}},
		{callArgs(map[string]any{"image": "a.png", "prefix": "../etc"}), []string{`argument "prefix": must match the pattern`}},
	}
	for _, tt := range tests {
		res := tool.Call(t, tt.args)
		for _, want := range tt.want {
			if !res.IsError || !strings.Contains(res.Text(), want) {
				t.Errorf("%v: %s, want %q", tt.args, res.Raw, want)
			}
		}
	}
	if prompt, _ := postedPrompt(t, srv); prompt != nil {
		t.Errorf("a bad call reached POST /prompt: %v", prompt)
	}
}

// ComfyUI's own validation still applies: a file that is not in the input
// folder is rejected with the node, its class and the details.
func TestComfyUIRejection(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := loadTool(t, srv.URL, exampleTools(t)["blur_image"])
	res := tool.Call(t, callArgs(map[string]any{"image": "nope.png"}))
	want := "- node 1 (LoadImage): Custom validation failed for node: image - Invalid image file: nope.png"
	if !res.IsError || !strings.Contains(res.Text(), want) {
		t.Fatalf("%s, want %q", res.Raw, want)
	}
}

func TestComfyUIDown(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := loadTool(t, srv.URL, exampleTools(t)["invert_image"])
	srv.Down()
	res := tool.Call(t, map[string]any{})
	if !res.IsError || !strings.Contains(res.Text(), srv.URL+"/prompt") {
		t.Fatalf("%s, want an error naming %s/prompt", res.Raw, srv.URL)
	}
}

// A broken entry is reported with the key at fault, and nothing is queued.
func TestMisconfiguredTool(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	entry := exampleTools(t)["invert_image"]
	uiFile := filepath.Join(t.TempDir(), "ui.json")
	os.WriteFile(uiFile, []byte(`{"nodes": [], "links": [], "version": 0.4}`), 0o600)
	tests := []struct {
		name   string
		change func(e *config.Tool)
		want   string
	}{
		{"target input missing", func(e *config.Tool) {
			e.Config = json.RawMessage(strings.Replace(string(e.Config), `"input":"color"`, `"input":"colour"`, 1))
		}, "invert_image is misconfigured in tools.yaml: config.parameters.color.targets[0]: node 1 (EmptyImage) has no input colour"},
		{"no workflow file", func(e *config.Tool) { e.Files = nil }, "files.workflow"},
		{"editor-format file", func(e *config.Tool) { e.Files = map[string]string{"workflow": uiFile} }, "Workflow → Export (API)"},
		{"unknown type", func(e *config.Tool) {
			e.Config = json.RawMessage(`{"description": "d", "parameters": {"w": {"type": "int", "targets": [{"node": "1", "input": "width"}]}}}`)
		}, `"parameters.w.type": "int" is not one of string, integer, number, boolean`},
	}
	for _, tt := range tests {
		e := entry
		tt.change(&e)
		if msg := misconfiguration(t, srv.URL, e); !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %s, want %q", tt.name, msg, tt.want)
		}
	}
	if prompt, _ := postedPrompt(t, srv); prompt != nil {
		t.Errorf("a misconfigured tool reached POST /prompt: %v", prompt)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
