package comfyuitest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

// A test starts the emulator with NewServer(t), which stops it when the test ends. An
// example has no t, so this one uses StartServer, which NewServer wraps, and closes it
// itself. It then does what a client of ComfyUI does: queue a prompt, wait for it, and read
// its history entry.
func ExampleNewServer() {
	srv, err := comfyuitest.StartServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	prompt := `{"prompt": {
		"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}},
		"2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "example"}}}}`
	resp, err := http.Post(srv.URL+"/prompt", "application/json", strings.NewReader(prompt))
	if err != nil {
		panic(err)
	}
	var queued struct {
		PromptID string `json:"prompt_id"`
		Number   int    `json:"number"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&queued)
	resp.Body.Close()
	fmt.Println("queued as number", queued.Number)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitJob(ctx, queued.PromptID); err != nil {
		panic(err)
	}

	resp, err = http.Get(srv.URL + "/history/" + queued.PromptID)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var history map[string]struct {
		Outputs map[string]struct {
			Images []struct{ Filename, Subfolder, Type string } `json:"images"`
		} `json:"outputs"`
		Status struct {
			StatusStr string `json:"status_str"`
		} `json:"status"`
	}
	_ = json.Unmarshal(body, &history)
	entry := history[queued.PromptID]
	fmt.Println("status:", entry.Status.StatusStr)
	fmt.Println("saved:", entry.Outputs["2"].Images[0].Filename)
	// Output:
	// queued as number 0
	// status: success
	// saved: example_00001_.png
}
