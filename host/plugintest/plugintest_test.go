package plugintest_test

import (
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/plugintest"
)

func TestLoadAndCallAgainstTheEmulator(t *testing.T) {
	tool, srv := plugintest.LoadEmulated(t, "../../examples/queue_size")
	if tool.Info().Name != "queue_size" {
		t.Fatalf("tool name = %q", tool.Info().Name)
	}
	srv.PauseWorker()
	srv.Submit(t, map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "t"}},
	})
	res := tool.Call(t, map[string]any{})
	var out struct{ Running, Pending int }
	res.Decode(t, &out)
	if out.Running != 0 || out.Pending != 1 {
		t.Fatalf("queue_size = %+v, want 0 running, 1 pending", out)
	}
	srv.Down()
	if res := tool.Call(t, map[string]any{}); !res.IsError || !strings.Contains(res.Text(), "unreachable") {
		t.Fatalf("ComfyUI down: %s", res.Raw)
	}
}
