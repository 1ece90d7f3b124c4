package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

// recordedNode parses the one class of a get_object_info_<class>.json.
func recordedNode(t *testing.T, class string) *Node {
	t.Helper()
	var one map[string]json.RawMessage
	if err := json.Unmarshal(comfyuitest.Recording(t, "get_object_info_"+class+".json"), &one); err != nil {
		t.Fatal(err)
	}
	n, err := parseNode(class, one[class])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func names(ins []NodeInput) string {
	var s []string
	for _, in := range ins {
		s = append(s, in.Name)
	}
	return strings.Join(s, ",")
}

func find(t *testing.T, ins []NodeInput, name string) NodeInput {
	t.Helper()
	for _, in := range ins {
		if in.Name == name {
			return in
		}
	}
	t.Fatalf("no input %q in %s", name, names(ins))
	return NodeInput{}
}

func TestKSampler(t *testing.T) {
	n := recordedNode(t, "KSampler")
	if got := names(n.Inputs); got != "model,seed,steps,cfg,sampler_name,scheduler,positive,negative,latent_image,denoise" {
		t.Errorf("required in declared order = %s", got)
	}
	if n.OutputNode || n.Category != "sampling" || n.DisplayName != "KSampler" {
		t.Errorf("node = %+v", n)
	}
	seed := find(t, n.Inputs, "seed")
	if seed.Type != "INT" || string(seed.Default) != "0" || seed.Min != "0" || seed.Max != "18446744073709551615" {
		t.Errorf("seed = %+v", seed)
	}
	cfg := find(t, n.Inputs, "cfg")
	if cfg.Type != "FLOAT" || string(cfg.Default) != "8.0" || cfg.Step != "0.1" || cfg.Max != "100.0" || cfg.Tooltip != "" {
		t.Errorf("cfg = %+v (its tooltip is over %d characters)", cfg, maxTooltip)
	}
	if m := find(t, n.Inputs, "model"); m.Type != "MODEL" || m.Tooltip != "The model used for denoising the input latent." || m.Default != nil {
		t.Errorf("model = %+v", m)
	}
	sampler := find(t, n.Inputs, "sampler_name")
	if sampler.Type != "COMBO" || len(*sampler.Choices) != 42 || string((*sampler.Choices)[0]) != `"euler"` || sampler.ChoicesTotal != 0 {
		t.Errorf("sampler_name = %s, %d choices, total %d", sampler.Type, len(*sampler.Choices), sampler.ChoicesTotal)
	}
	if len(n.Outputs) != 1 || n.Outputs[0] != (NodeOutput{Index: 0, Name: "LATENT", Type: "LATENT"}) {
		t.Errorf("outputs = %+v", n.Outputs)
	}
	// The seed bound must survive encoding exactly: it does not fit int64
	// or float64.
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"max":18446744073709551615`) {
		t.Errorf("seed max not exact in %s", b)
	}
}

func TestLoadImageSaveImageImageBlur(t *testing.T) {
	load := recordedNode(t, "LoadImage")
	img := find(t, load.Inputs, "image")
	if img.Type != "COMBO" || !img.ImageUpload || fmt.Sprintf("%s", *img.Choices) != `["example.png"]` {
		t.Errorf("LoadImage image = %+v", img)
	}
	if len(load.Outputs) != 2 || load.Outputs[1].Name != "MASK" || load.Outputs[1].Index != 1 || load.DisplayName != "Load Image" {
		t.Errorf("LoadImage = %+v", load)
	}

	save := recordedNode(t, "SaveImage")
	if !save.OutputNode || len(save.Outputs) != 0 || names(save.Inputs) != "images,filename_prefix" {
		t.Errorf("SaveImage = %+v", save)
	}
	if p := find(t, save.Inputs, "filename_prefix"); p.Type != "STRING" || string(p.Default) != `"ComfyUI"` || !strings.HasPrefix(p.Tooltip, "The prefix") {
		t.Errorf("filename_prefix = %+v", p)
	}

	// The newer schema: display_name null, output_tooltips [null], and all
	// the optional flags present.
	blur := recordedNode(t, "ImageBlur")
	if blur.DisplayName != "ImageBlur" || blur.Deprecated || blur.APINode || blur.Category != "image/postprocessing" {
		t.Errorf("ImageBlur = %+v", blur)
	}
	if r := find(t, blur.Inputs, "blur_radius"); r.Min != "1" || r.Max != "31" || r.Step != "1" || string(r.Default) != "1" {
		t.Errorf("blur_radius = %+v", r)
	}
	if len(blur.Outputs) != 1 || blur.Outputs[0].Type != "IMAGE" {
		t.Errorf("outputs = %+v", blur.Outputs)
	}
}

// Every class of the full recording parses, and the forms it holds come out
// as documented.
func TestFullRecording(t *testing.T) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(comfyuitest.Recording(t, "get_object_info_full.json"), &all); err != nil {
		t.Fatal(err)
	}
	if len(all) != 376 {
		t.Fatalf("%d classes", len(all))
	}
	nodes := map[string]*Node{}
	for name, raw := range all {
		n, err := parseNode(name, raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := json.Marshal(n); err != nil {
			t.Fatalf("%s does not encode: %v", name, err)
		}
		for i, in := range n.Inputs {
			if i > 0 && n.Inputs[i-1].Optional && !in.Optional {
				t.Errorf("%s: required input %s after an optional one", name, in.Name)
			}
			if in.Type == "" || in.Choices != nil && len(*in.Choices) > maxChoices || in.Choices == nil && in.Type == "COMBO" && name != "LoadImageOutput" {
				t.Errorf("%s.%s = %+v", name, in.Name, in)
			}
		}
		nodes[name] = n
	}
	// ["COMBO", {"options": [...]}] is the newer combo form.
	if dim := find(t, nodes["LatentConcat"].Inputs, "dim"); dim.Type != "COMBO" || len(*dim.Choices) != 6 || string((*dim.Choices)[1]) != `"-x"` {
		t.Errorf("LatentConcat.dim = %+v", dim)
	}
	if a := find(t, nodes["LoadAudio"].Inputs, "audio"); a.Type != "COMBO" || a.Choices == nil || len(*a.Choices) != 0 {
		t.Errorf("LoadAudio.audio = %+v", a)
	}
	if text := find(t, nodes["CLIPTextEncode"].Inputs, "text"); !text.Multiline || text.Type != "STRING" || text.Optional {
		t.Errorf("CLIPTextEncode.text = %+v", text)
	}
	// Optional inputs follow the required ones and say so.
	clip := nodes["CLIPLoader"].Inputs
	if names(clip) != "clip_name,type,device" || clip[1].Optional || !clip[2].Optional {
		t.Errorf("CLIPLoader inputs = %+v", clip)
	}
	if len(nodes["KSamplerAdvanced"].Inputs) == 0 || nodes["PreviewImage"].OutputNode != true {
		t.Error("KSamplerAdvanced / PreviewImage")
	}
}

func TestOddDeclarations(t *testing.T) {
	var choices []string
	for i := range 120 {
		choices = append(choices, fmt.Sprintf("%q", fmt.Sprintf("file_%03d.png", i)))
	}
	raw := `{"input": {"required": {"z": ["INT", {"min": "low", "max": 1e3, "default": null}], "image": [[` + strings.Join(choices, ",") + `], {}],
	          "flag": "BOOLEAN", "bare": ["IMAGE"], "weird": [42, "nope"]},
	          "optional": null, "hidden": {"p": "PROMPT"}},
	 "output": ["IMAGE", ["a", "b"]], "output_is_list": [null, true], "output_name": ["image"], "output_tooltips": "none", "api_node": 1,
	 "display_name": 7, "description": null, "category": null, "output_node": "yes", "deprecated": true}`
	n, err := parseNode("Odd", json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if names(n.Inputs) != "z,image,flag,bare,weird" || n.DisplayName != "Odd" || n.OutputNode || !n.Deprecated {
		t.Errorf("node = %+v", n)
	}
	z := n.Inputs[0]
	if z.Min != "" || z.Max != "1e3" || z.Default != nil {
		t.Errorf("z = %+v", z)
	}
	if img := n.Inputs[1]; len(*img.Choices) != maxChoices || img.ChoicesTotal != 120 || string((*img.Choices)[49]) != `"file_049.png"` {
		t.Errorf("image: %d choices, total %d", len(*img.Choices), img.ChoicesTotal)
	}
	if n.Inputs[2].Type != "BOOLEAN" || n.Inputs[3].Type != "IMAGE" || n.Inputs[4].Type != "" {
		t.Errorf("types = %+v", n.Inputs[2:])
	}
	want := []NodeOutput{{Index: 0, Name: "image", Type: "IMAGE"}, {Index: 1, Name: "COMBO", Type: "COMBO", IsList: true}}
	if fmt.Sprint(n.Outputs) != fmt.Sprint(want) {
		t.Errorf("outputs = %+v", n.Outputs)
	}
	if _, err := parseNode("Bad", json.RawMessage(`[1, 2]`)); err == nil || !strings.Contains(err.Error(), `"Bad"`) {
		t.Errorf("a non-object class: %v", err)
	}
}
