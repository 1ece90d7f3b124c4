package plugintest_test

import (
	"context"
	"fmt"
	"log"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

// A plugin's test needs one line of setup: LoadEmulated builds the plugin in
// the test's folder, starts a ComfyUI emulator and loads the plugin against
// it. This is the test `easel new` writes.
func ExampleLoadEmulated() {
	testQueueSize := func(t *testing.T) {
		tool, srv := plugintest.LoadEmulated(t, "../../examples/queue_size")
		srv.PauseWorker() // jobs stay pending
		srv.Submit(t, map[string]any{
			"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
			"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "t"}},
		})
		res := tool.Call(t, map[string]any{})
		if res.IsError {
			t.Fatal(res.Text())
		}
		var out struct{ Running, Pending int }
		res.Decode(t, &out)
		if out.Pending != 1 {
			t.Errorf("pending = %d, want 1", out.Pending)
		}
	}
	_ = testQueueSize // in a _test.go file: func TestQueueSize(t *testing.T) { ... }
}

// Open runs a plugin outside a test, here against an emulator started
// without a *testing.T.
func Example() {
	srv, err := comfyuitest.StartServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	tool, err := plugintest.Open(ctx, "../../examples/queue_size", plugintest.WithComfyUI(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	defer tool.Close()
	res, err := tool.CallErr(ctx, map[string]any{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tool.Info().Name, res.Text(), res.IsError)
	// Output: queue_size {"running":0,"pending":0} false
}
