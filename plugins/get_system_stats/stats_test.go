package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

func TestFromRecording(t *testing.T) {
	var raw systemStatsJSON
	if err := json.Unmarshal(comfyuitest.Recording(t, "get_system_stats.json"), &raw); err != nil {
		t.Fatal(err)
	}
	st := fromJSON(&raw)
	if st.ComfyUIVersion != "0.3.64" || st.PyTorchVersion != "1.13.0a0" || st.FrontendVersion != "1.27.10" ||
		st.OS != "posix" || !strings.HasPrefix(st.PythonVersion, "3.11.2") {
		t.Errorf("versions = %+v", st)
	}
	if st.RAM.TotalBytes != 25276510208 || st.RAM.FreeBytes != 24488394752 || st.RAM.TotalGiB != 23.54 || st.RAM.FreeGiB != 22.81 {
		t.Errorf("ram = %+v", st.RAM)
	}
	if len(st.Devices) != 1 {
		t.Fatalf("devices = %+v", st.Devices)
	}
	d := st.Devices[0]
	if d.Name != "cpu" || d.Type != "cpu" || d.Index != nil || d.VRAM.TotalBytes != 25276510208 {
		t.Errorf("device = %+v", d)
	}
	if len(st.Argv) == 0 || st.Argv[1] != "--cpu" {
		t.Errorf("argv = %q", st.Argv)
	}
}

// Newer servers add keys, list several devices, and Python may write floats;
// none of that may break decoding.
func TestTolerantDecoding(t *testing.T) {
	body := `{"system": {"os": "linux", "ram_total": 68719476736.0, "ram_free": 1.5e10, "comfyui_version": "0.35.1",
		"python_version": "3.12", "pytorch_version": "2.7", "embedded_python": true, "argv": [],
		"comfy_package_versions": {"x": 1}, "deploy_environment": "local", "required_frontend_version": null},
	 "devices": [{"name": "cuda:0 NVIDIA RTX : cudaMallocAsync", "type": "cuda", "index": 0, "vram_total": 25757220864,
	              "vram_free": "n/a", "torch_vram_total": 0, "torch_vram_free": 0, "new_key": [1]},
	             {"name": "cuda:1", "type": "cuda", "index": 1.0, "vram_total": 1073741824, "vram_free": 536870912}]}`
	var raw systemStatsJSON
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	st := fromJSON(&raw)
	if st.RAM.TotalBytes != 68719476736 || st.RAM.TotalGiB != 64 || st.RAM.FreeBytes != 15000000000 {
		t.Errorf("ram = %+v", st.RAM)
	}
	if len(st.Devices) != 2 || st.Devices[0].Index == nil || *st.Devices[0].Index != 0 || *st.Devices[1].Index != 1 {
		t.Fatalf("devices = %+v", st.Devices)
	}
	if st.Devices[0].VRAM.FreeBytes != 0 || st.Devices[0].VRAM.TotalGiB != 23.99 || st.Devices[1].VRAM.FreeGiB != 0.5 {
		t.Errorf("vram = %+v / %+v", st.Devices[0].VRAM, st.Devices[1].VRAM)
	}
	if st.FrontendVersion != "" {
		t.Errorf("stats = %+v", st)
	}
}

func TestAgainstEmulator(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	info, _ := json.Marshal(tool.Info())
	t.Logf("tool JSON: %d bytes", len(info))

	srv.PauseWorker()
	for range 2 {
		srv.Submit(t, map[string]any{
			"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
			"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "t"}},
		})
	}
	res := tool.Call(t, map[string]any{})
	if res.IsError {
		t.Fatal(res.Text())
	}
	var st Stats
	res.Decode(t, &st)
	if st.ComfyUIVersion != "0.3.64" || st.QueueRemaining != 2 || len(st.Devices) != 1 || st.RAM.TotalBytes == 0 {
		t.Errorf("stats = %+v", st)
	}
	var generic map[string]any
	_ = json.Unmarshal(res.StructuredContent, &generic)
	if _, ok := generic["devices"].([]any)[0].(map[string]any)["index"]; ok {
		t.Errorf("a null index must be left out: %s", res.StructuredContent)
	}
}

func TestFailures(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	tests := []struct {
		name  string
		fault comfyuitest.Fault
		want  []string
	}{
		{"500", comfyuitest.Fault{Status: 500, Body: "500 Internal Server Error"}, []string{"500", "/system_stats"}},
		{"proxy page", comfyuitest.Fault{Status: 200, Body: "<html>login</html>", ContentType: "text/html"}, []string{"did not answer like ComfyUI", "/system_stats"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFault("GET /system_stats", tt.fault)
			defer srv.ClearFaults()
			res := tool.Call(t, map[string]any{})
			for _, w := range tt.want {
				if !res.IsError || !strings.Contains(res.Text(), w) {
					t.Fatalf("want an error containing %q, got %s", w, res.Raw)
				}
			}
		})
	}
	t.Run("queue fails", func(t *testing.T) {
		srv.SetFault("GET /prompt", comfyuitest.Fault{Status: 502, Body: "bad gateway"})
		defer srv.ClearFaults()
		if res := tool.Call(t, map[string]any{}); !res.IsError || !strings.Contains(res.Text(), "/prompt") {
			t.Fatalf("got %s", res.Raw)
		}
	})
	t.Run("arguments", func(t *testing.T) {
		if res := tool.Call(t, map[string]any{"verbose": true}); !res.IsError || !strings.Contains(res.Text(), "verbose") {
			t.Fatalf("got %s", res.Raw)
		}
	})
	t.Run("down", func(t *testing.T) {
		srv.Down()
		res := tool.Call(t, map[string]any{})
		if !res.IsError || !strings.Contains(res.Text(), srv.URL) {
			t.Fatalf("got %s", res.Raw)
		}
	})
}
