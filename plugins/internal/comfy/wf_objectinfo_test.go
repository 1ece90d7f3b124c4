package comfy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// wfObjectInfo returns the full /object_info of the recorded ComfyUI 0.3.64
// (376 classes): from the shared recordings, or from the emulator's copy of
// the same answer when the recordings are not beside the repository.
func wfObjectInfo(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	var info map[string]json.RawMessage
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "comfyui", "recordings", "get_object_info_full.json"))
	if err == nil {
		var rec struct {
			Response struct {
				JSON map[string]json.RawMessage `json:"json"`
			} `json:"response"`
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		info = rec.Response.JSON
	} else {
		data, err = os.ReadFile(filepath.Join("..", "..", "..", "host", "comfyui", "comfyuitest", "data", "object_info.json"))
		if err != nil {
			t.Skipf("no recorded /object_info: %v", err)
		}
		if err := json.Unmarshal(data, &info); err != nil {
			t.Fatal(err)
		}
	}
	return info
}

// wfLookup is a ClassLookup over the recorded /object_info that counts its
// calls.
func wfLookup(t *testing.T, calls *int) ClassLookup {
	info := wfObjectInfo(t)
	return func(names []string) (map[string]*ClassInputs, error) {
		*calls++
		out := map[string]*ClassInputs{}
		for _, name := range names {
			if raw, ok := info[name]; ok {
				nc, err := ParseClassInputs(name, raw)
				if err != nil {
					return nil, err
				}
				out[name] = nc
			}
		}
		return out, nil
	}
}

func TestParseClassInputsFromRecording(t *testing.T) {
	info := wfObjectInfo(t)
	tests := []struct {
		class string
		want  []ClassInput
	}{
		{"KSampler", []ClassInput{
			{Name: "model", Type: "MODEL"},
			{Name: "seed", Type: "INT", ControlAfterGenerate: true},
			{Name: "steps", Type: "INT"},
			{Name: "cfg", Type: "FLOAT"},
			{Name: "sampler_name", Type: "COMBO"},
			{Name: "scheduler", Type: "COMBO"},
			{Name: "positive", Type: "CONDITIONING"},
			{Name: "negative", Type: "CONDITIONING"},
			{Name: "latent_image", Type: "LATENT"},
			{Name: "denoise", Type: "FLOAT"},
		}},
		{"LoadImage", []ClassInput{{Name: "image", Type: "COMBO", Upload: true}}},
		{"SaveImage", []ClassInput{{Name: "images", Type: "IMAGE"}, {Name: "filename_prefix", Type: "STRING"}}},
		{"SaveLoRANode", []ClassInput{
			{Name: "lora", Type: "LORA_MODEL"},
			{Name: "prefix", Type: "STRING"},
			{Name: "steps", Type: "INT", Optional: true, ForceInput: true},
		}},
		// A newer-schema combo: ["COMBO", {"options": [...]}].
		{"ContextWindowsManual", []ClassInput{
			{Name: "model", Type: "MODEL"},
			{Name: "context_length", Type: "INT"},
			{Name: "context_overlap", Type: "INT"},
			{Name: "context_schedule", Type: "COMBO"},
			{Name: "context_stride", Type: "INT"},
			{Name: "closed_loop", Type: "BOOLEAN"},
			{Name: "fuse_method", Type: "COMBO"},
			{Name: "dim", Type: "INT"},
		}},
	}
	for _, tt := range tests {
		nc, err := ParseClassInputs(tt.class, info[tt.class])
		if err != nil {
			t.Fatalf("%s: %v", tt.class, err)
		}
		if !reflect.DeepEqual(nc.Inputs, tt.want) {
			t.Errorf("%s inputs =\n%+v\nwant\n%+v", tt.class, nc.Inputs, tt.want)
		}
	}
}

// Without input_order (older servers), the inputs keep the order of the
// JSON keys, not Go's map order.
func TestParseClassInputsWithoutInputOrder(t *testing.T) {
	raw := `{"input": {"required": {"zeta": ["INT", {}], "alpha": [["a", "b"]], "mid": ["IMAGE"]},
	                   "optional": {"b2": ["STRING", {"forceInput": true}], "a2": ["FLOAT"]}}}`
	nc, err := ParseClassInputs("Old", json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range nc.Inputs {
		names = append(names, in.Name)
	}
	if want := []string{"zeta", "alpha", "mid", "b2", "a2"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("order = %v, want %v", names, want)
	}
	if !nc.Inputs[3].Optional || !nc.Inputs[3].ForceInput || nc.Inputs[1].Type != "COMBO" {
		t.Fatalf("specs = %+v", nc.Inputs)
	}
}

func TestParseClassInputsRejectsNonObjects(t *testing.T) {
	for _, raw := range []string{`[]`, `{"input": {"required": [1, 2]}}`} {
		if _, err := ParseClassInputs("Bad", json.RawMessage(raw)); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
}
