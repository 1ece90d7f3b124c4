package comfyuitest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

// txt2img is the standard checkpoint → CLIP → KSampler → VAE → SaveImage graph.
func txt2img(ckpt string, steps int) map[string]any {
	return map[string]any{
		"4": map[string]any{"class_type": "CheckpointLoaderSimple", "inputs": map[string]any{"ckpt_name": ckpt}},
		"6": map[string]any{"class_type": "CLIPTextEncode", "inputs": map[string]any{"text": "a cat", "clip": []any{"4", 1}}},
		"7": map[string]any{"class_type": "CLIPTextEncode", "inputs": map[string]any{"text": "", "clip": []any{"4", 1}}},
		"5": map[string]any{"class_type": "EmptyLatentImage", "inputs": map[string]any{"width": 512, "height": 512, "batch_size": 1}},
		"3": map[string]any{"class_type": "KSampler", "inputs": map[string]any{"model": []any{"4", 0}, "positive": []any{"6", 0}, "negative": []any{"7", 0},
			"latent_image": []any{"5", 0}, "seed": 42, "steps": steps, "cfg": 7, "sampler_name": "euler", "scheduler": "normal", "denoise": 1}},
		"8": map[string]any{"class_type": "VAEDecode", "inputs": map[string]any{"samples": []any{"3", 0}, "vae": []any{"4", 2}}},
		"9": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"8", 0}, "filename_prefix": "txt2img"}},
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestModels(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithModels("checkpoints", "sd15.safetensors", "a/b.ckpt"))
	if code, body := get(t, srv.URL+"/models/checkpoints"); code != 200 || body != `["a/b.ckpt", "sd15.safetensors"]` {
		t.Errorf("/models/checkpoints = %d %s", code, body)
	}
	if _, body := get(t, srv.URL+"/object_info/CheckpointLoaderSimple"); !strings.Contains(body, `"ckpt_name": [["a/b.ckpt", "sd15.safetensors"]`) {
		t.Errorf("object_info does not list the checkpoints: %.300s", body)
	}
	if code, body := get(t, srv.URL+"/models/loras"); code != 200 || body != `[]` {
		t.Errorf("/models/loras = %d %s", code, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, srv.WebSocketURL("c1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	id := srv.Submit(t, txt2img("sd15.safetensors", 5), comfyuitest.WithClientID("c1"))
	var steps []string
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var msg struct {
			Type string
			Data struct {
				Value, Max float64
				Node       *string
				PromptID   string `json:"prompt_id"`
			}
		}
		json.Unmarshal(data, &msg)
		if msg.Type == "progress" {
			steps = append(steps, strings.TrimSuffix(strings.TrimSuffix(string(data), "}}"), ""))
			if *msg.Data.Node != "3" || msg.Data.Max != 5 || msg.Data.PromptID != id {
				t.Errorf("progress %s", data)
			}
		}
		if msg.Type == "executing" && msg.Data.Node == nil {
			break
		}
	}
	if len(steps) != 5 {
		t.Errorf("got %d progress messages, want 5", len(steps))
	}
	if code, body := get(t, srv.URL+"/history/"+id); code != 200 || !strings.Contains(body, "txt2img_00001_.png") {
		t.Errorf("history: %s", body)
	}
}

func TestMissingModelFailsValidation(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithModels("checkpoints", "sd15.safetensors"))
	body, _ := json.Marshal(map[string]any{"prompt": txt2img("sdxl.safetensors", 5)})
	resp, err := http.Post(srv.URL+"/prompt", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(b), `ckpt_name: 'sdxl.safetensors' not in ['sd15.safetensors']`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	// input_config carries the choices ComfyUI had, as its details do (the
	// recording post_prompt_invalid_missing_model_file.json, with no model
	// files, has [] in both).
	var answer struct {
		NodeErrors map[string]struct {
			Errors []struct {
				ExtraInfo struct {
					InputConfig []json.RawMessage `json:"input_config"`
				} `json:"extra_info"`
			}
		} `json:"node_errors"`
	}
	if err := json.Unmarshal(b, &answer); err != nil {
		t.Fatal(err)
	}
	errs := answer.NodeErrors["4"].Errors
	if len(errs) != 1 || len(errs[0].ExtraInfo.InputConfig) != 2 || string(errs[0].ExtraInfo.InputConfig[0]) != `["sd15.safetensors"]` {
		t.Errorf("input_config: %s", b)
	}
}
