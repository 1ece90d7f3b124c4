package comfyuitest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestWebUIGraph queues a prompt with a 60-node graph, as the web UI
// would, and checks that the emulator keeps it in the job's history entry,
// as ComfyUI does, at the size WebUIGraph's documentation gives.
func TestWebUIGraph(t *testing.T) {
	srv := NewServer(t)
	prompt := map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "ui"}},
	}
	id := srv.Submit(t, prompt, WithExtraData(map[string]any{"extra_pnginfo": map[string]any{"workflow": WebUIGraph(60)}}))
	if err := srv.WaitJob(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/history/" + id)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var h map[string]struct {
		Prompt []json.RawMessage `json:"prompt"`
	}
	if err := json.Unmarshal(body, &h); err != nil || len(h[id].Prompt) < 4 {
		t.Fatalf("history %.200s: %v", body, err)
	}
	var extra struct {
		ExtraPNGInfo struct {
			Workflow struct{ Nodes []any } `json:"workflow"`
		} `json:"extra_pnginfo"`
	}
	if err := json.Unmarshal(h[id].Prompt[3], &extra); err != nil || len(extra.ExtraPNGInfo.Workflow.Nodes) != 60 {
		t.Fatalf("extra_data %.200s: %v; want the 60-node graph", h[id].Prompt[3], err)
	}
	if len(body) < 25<<10 || len(body) > 40<<10 {
		t.Errorf("history entry is %d bytes, want about 30 KB", len(body))
	}
}
