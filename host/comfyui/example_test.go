package comfyui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

// The host talks to ComfyUI through one Client per server. A status of 4xx or 5xx is an
// answer to interpret; an *Error means there was no answer, and its Kind says why.
func ExampleClient_Do() {
	srv, err := comfyuitest.StartServer(comfyuitest.WithAuth("Authorization", "Bearer secret"))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client, err := comfyui.New(comfyui.Config{
		BaseURL: srv.URL,
		Header:  http.Header{"Authorization": {"Bearer secret"}},
	})
	if err != nil {
		panic(err)
	}
	resp, err := client.Do(context.Background(), comfyui.Request{Path: "/system_stats"})
	if err != nil {
		panic(err)
	}
	var stats struct {
		System struct {
			Version string `json:"comfyui_version"`
		} `json:"system"`
	}
	_ = json.Unmarshal(resp.Body, &stats)
	fmt.Println(resp.Status, stats.System.Version)

	srv.Down() // ComfyUI stops
	_, err = client.Do(context.Background(), comfyui.Request{Path: "/queue"})
	fmt.Println(comfyui.KindOf(err), errors.Is(err, &comfyui.Error{Kind: comfyui.Unreachable}))
	// Output:
	// 200 0.3.64
	// unreachable true
}
