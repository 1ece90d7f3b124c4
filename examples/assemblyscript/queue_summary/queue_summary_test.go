// Package queuesummary tests the AssemblyScript plugin in this folder with
// the same kit a Go plugin uses: the built module, loaded by
// host/plugintest against the ComfyUI emulator. .ci/run builds the module
// first, so CI never skips these tests.
package queuesummary

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

const module = "build/queue_summary.wasm"

// load skips when the module was not built (npm ci && npm run build here),
// except in CI, whose .ci/run builds it first.
func load(t *testing.T) (*plugintest.Tool, *comfyuitest.Server) {
	t.Helper()
	if _, err := os.Stat(module); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not built: .ci/run builds it before the tests: %v", module, err)
		}
		t.Skipf("%s is not built (run npm ci && npm run build in examples/assemblyscript/queue_summary): %v", module, err)
	}
	return plugintest.LoadEmulated(t, module)
}

type job struct {
	PromptID string `json:"prompt_id"`
	Number   int    `json:"number"`
	Nodes    int    `json:"nodes"`
}

type summary struct {
	ComfyUIVersion string `json:"comfyui_version"`
	Idle           bool   `json:"idle"`
	Running        []job  `json:"running"`
	PendingCount   int    `json:"pending_count"`
	Pending        []job  `json:"pending"`
	Devices        []struct {
		Name      string `json:"name"`
		Type      string `json:"type"`
		VRAMTotal int64  `json:"vram_total"`
		VRAMFree  int64  `json:"vram_free"`
	} `json:"devices"`
	RAMTotal int64 `json:"ram_total"`
	RAMFree  int64 `json:"ram_free"`
}

var prompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 64, "height": 64, "batch_size": 1, "color": 0}},
	"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "as"}},
}

func TestDescribes(t *testing.T) {
	tool, _ := load(t)
	info := tool.Info()
	if info.Name != "queue_summary" || !strings.Contains(info.Description, "pending") || len(info.OutputSchema) == 0 {
		t.Fatalf("description: %+v", info)
	}
}

func TestIdle(t *testing.T) {
	tool, _ := load(t)
	res := tool.Call(t, map[string]any{})
	if res.IsError {
		t.Fatal(res.Text())
	}
	var s summary
	res.Decode(t, &s)
	// The emulator answers /system_stats with the recording of ComfyUI 0.3.64 on a CPU.
	if !s.Idle || s.ComfyUIVersion != "0.3.64" || len(s.Running) != 0 || s.PendingCount != 0 {
		t.Errorf("idle summary: %+v", s)
	}
	if len(s.Devices) != 1 || s.Devices[0].Name != "cpu" || s.Devices[0].VRAMTotal != 25276510208 || s.RAMFree != 24488394752 {
		t.Errorf("devices and RAM: %+v", s)
	}
	if want := "ComfyUI 0.3.64: idle. cpu: 22.8 GiB of 23.5 GiB VRAM free. RAM: 22.8 GiB of 23.5 GiB free."; res.Text() != want {
		t.Errorf("text = %q, want %q", res.Text(), want)
	}
}

func TestBusyQueueInExecutionOrder(t *testing.T) {
	tool, srv := load(t)
	running := "as-running"
	srv.HoldJob(running)
	srv.Submit(t, prompt, comfyuitest.WithPromptID(running))
	waitRunning(t, srv, running)
	ids := []string{"as-1", "as-2", "as-3", "as-4"}
	for _, id := range ids {
		srv.Submit(t, prompt, comfyuitest.WithPromptID(id))
	}
	defer srv.ReleaseJob(running)

	res := tool.Call(t, map[string]any{"max_pending": 2})
	if res.IsError {
		t.Fatal(res.Text())
	}
	var s summary
	res.Decode(t, &s)
	if s.Idle || len(s.Running) != 1 || s.Running[0].PromptID != running || s.Running[0].Nodes != 2 {
		t.Errorf("running: %+v", s.Running)
	}
	if s.PendingCount != 4 || len(s.Pending) != 2 || s.Pending[0].PromptID != "as-1" || s.Pending[1].PromptID != "as-2" || s.Pending[0].Number >= s.Pending[1].Number {
		t.Errorf("pending: count %d, %+v; want 4 with as-1, as-2 first", s.PendingCount, s.Pending)
	}
	if !strings.Contains(res.Text(), "1 running (as-running), 4 pending; next: as-1, as-2.") {
		t.Errorf("text = %q", res.Text())
	}
}

func TestBadArguments(t *testing.T) {
	tool, _ := load(t)
	for _, tc := range []struct {
		args any
		want string
	}{
		{map[string]any{"max_pending": 500}, `argument "max_pending": must be an integer from 0 to 100, got 500`},
		{map[string]any{"max_pending": 1.5}, `argument "max_pending": must be an integer from 0 to 100, got 1.5`},
		{map[string]any{"max_pending": "3"}, `argument "max_pending": must be an integer from 0 to 100, got a string`},
		{map[string]any{"limit": 3}, `unknown argument "limit" (this tool takes: max_pending)`},
	} {
		res := tool.Call(t, tc.args)
		if !res.IsError || res.Text() != tc.want {
			t.Errorf("%v: got %q (isError %v), want %q", tc.args, res.Text(), res.IsError, tc.want)
		}
	}
}

func TestComfyUIFaults(t *testing.T) {
	tool, srv := load(t)
	t.Run("down", func(t *testing.T) {
		srv.Down()
		defer srv.Up()
		res := tool.Call(t, map[string]any{})
		if !res.IsError || !strings.Contains(res.Text(), "unreachable at "+srv.URL+"/queue") {
			t.Errorf("got %q, want the host's unreachable error naming %s/queue", res.Text(), srv.URL)
		}
	})
	t.Run("server error", func(t *testing.T) {
		srv.SetFault("GET /system_stats", comfyuitest.Fault{Status: 500, ContentType: "text/plain", Body: "Server got itself in trouble"})
		defer srv.ClearFaults()
		res := tool.Call(t, map[string]any{})
		want := "ComfyUI answered 500 for " + srv.URL + "/system_stats: Server got itself in trouble"
		if !res.IsError || res.Text() != want {
			t.Errorf("got %q, want %q", res.Text(), want)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		srv.SetFault("GET /queue", comfyuitest.Fault{Status: 200, ContentType: "text/html", Body: "<html>router login</html>"})
		defer srv.ClearFaults()
		res := tool.Call(t, map[string]any{})
		if !res.IsError || !strings.Contains(res.Text(), srv.URL+"/queue is not a JSON object") || !strings.Contains(res.Text(), "router login") {
			t.Errorf("got %q", res.Text())
		}
	})
	t.Run("large answer", func(t *testing.T) {
		// More than the plugin's 64 KiB first buffer: the host stashes the
		// answer and the plugin takes it.
		srv.PauseWorker()
		defer srv.ResumeWorker()
		big := map[string]any{"save": prompt["2"]}
		for i := range 1000 {
			big[strconv.Itoa(i+1)] = prompt["1"]
		}
		srv.Submit(t, big, comfyuitest.WithPromptID("as-big"))
		res := tool.Call(t, map[string]any{})
		var s summary
		res.Decode(t, &s)
		if res.IsError || s.PendingCount != 1 || s.Pending[0].Nodes != 1001 {
			t.Errorf("got %q, %+v", res.Text(), s)
		}
	})
}

// waitRunning polls ComfyUI's /queue until id is the running job.
func waitRunning(t *testing.T, srv *comfyuitest.Server, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(srv.URL + "/queue")
		if err != nil {
			t.Fatal(err)
		}
		var q struct {
			Running [][]any `json:"queue_running"`
		}
		err = json.NewDecoder(resp.Body).Decode(&q)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Running) == 1 && len(q.Running[0]) > 1 && q.Running[0][1] == id {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("job %s never ran", id)
}
