package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

func TestSelectNames(t *testing.T) {
	var folders []string
	if err := json.Unmarshal(comfyuitest.Recording(t, "get_models.json"), &folders); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter    string
		limit     int
		want      string
		total     int
		truncated bool
	}{
		{"", 1000, strings.Join(folders, ","), 20, false},
		{"", 3, "checkpoints,configs,loras", 20, true},
		{"MODELS", 200, "diffusion_models,style_models,upscale_models", 3, false},
		{"model", 2, "diffusion_models,style_models", 4, true},
		{"zzz", 200, "", 0, false},
	}
	for _, tt := range tests {
		kept, total, truncated := selectNames(folders, tt.filter, tt.limit)
		if got := strings.Join(kept, ","); got != tt.want || total != tt.total || truncated != tt.truncated {
			t.Errorf("selectNames(%q, %d) = %q %d %v, want %q %d %v", tt.filter, tt.limit, got, total, truncated, tt.want, tt.total, tt.truncated)
		}
	}
}

func TestFolders(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	info, _ := json.Marshal(tool.Info())
	t.Logf("tool JSON: %d bytes", len(info))

	var out Output
	tool.Call(t, map[string]any{}).Decode(t, &out)
	if out.Total != 20 || len(out.Folders) != 20 || out.Folders[0] != "checkpoints" || out.Truncated || out.Files != nil {
		t.Errorf("folders = %+v", out)
	}
	out = Output{}
	tool.Call(t, map[string]any{"filter": "VAE", "limit": 1}).Decode(t, &out)
	if out.Total != 2 || strings.Join(out.Folders, ",") != "vae" || !out.Truncated {
		t.Errorf("filtered folders = %+v", out)
	}
	out = Output{}
	tool.Call(t, map[string]any{"filter": "nope"}).Decode(t, &out)
	if out.Total != 0 || !strings.Contains(out.Note, "nope") {
		t.Errorf("no match = %+v", out)
	}
}

func TestFiles(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))

	// The emulator has no model files: checkpoints is empty, as recorded.
	res := tool.Call(t, map[string]any{"folder": "checkpoints"})
	var out Output
	res.Decode(t, &out)
	if out.Folder != "checkpoints" || out.Total != 0 || out.Files != nil || !strings.Contains(out.Note, "no files in checkpoints") {
		t.Errorf("empty folder = %s", res.StructuredContent)
	}

	// A folder with files, as a real server answers it.
	srv.SetFault("GET /models/loras", comfyuitest.Fault{Status: 200, ContentType: "application/json; charset=utf-8",
		Body: `["detail_Tweaker.safetensors", "sdxl/Detail.safetensors", "style/anime.safetensors", "zz.pt"]`})
	out = Output{}
	tool.Call(t, map[string]any{"folder": "loras", "filter": "detail"}).Decode(t, &out)
	if strings.Join(out.Files, ",") != "detail_Tweaker.safetensors,sdxl/Detail.safetensors" || out.Total != 2 || out.Truncated {
		t.Errorf("filtered files = %+v", out)
	}
	out = Output{}
	tool.Call(t, map[string]any{"folder": "loras", "limit": 3}).Decode(t, &out)
	if len(out.Files) != 3 || out.Total != 4 || !out.Truncated || out.Note != "" {
		t.Errorf("limited files = %+v", out)
	}
	out = Output{}
	tool.Call(t, map[string]any{"folder": "loras", "filter": "xl_base"}).Decode(t, &out)
	if out.Total != 0 || !strings.Contains(out.Note, "None of the 4 files") {
		t.Errorf("no match = %+v", out)
	}
}

func TestUnknownFolder(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	tests := []struct {
		folder string
		want   []string
	}{
		{"nosuchfolder", []string{`no model folder "nosuchfolder"`, "checkpoints, configs, loras"}},
		{"Checkpoints", []string{`Did you mean "checkpoints"?`, "audio_encoders"}},
		{"checkpoint", []string{`Did you mean "checkpoints"?`}},
		{"Lora", []string{`Did you mean "loras"?`}},
		{"a b/c", []string{`no model folder "a b/c"`}},
		{"..", []string{`no model folder ".."`, "checkpoints"}},
		{"../etc", []string{`no model folder "../etc"`, "checkpoints"}},
		{"loras/./x", []string{`no model folder "loras/./x"`, "checkpoints"}},
	}
	for _, tt := range tests {
		res := tool.Call(t, map[string]any{"folder": tt.folder})
		for _, w := range tt.want {
			if !res.IsError || !strings.Contains(res.Text(), w) {
				t.Errorf("folder %q: want an error containing %q, got %s", tt.folder, w, res.Raw)
			}
		}
	}
}

func TestFailures(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	tests := []struct {
		name  string
		route string
		fault comfyuitest.Fault
		args  map[string]any
		want  []string
	}{
		{"folders 500", "GET /models", comfyuitest.Fault{Status: 500, Body: "Server got itself in trouble"}, map[string]any{},
			[]string{"500", "/models"}},
		{"files 500", "GET /models/vae", comfyuitest.Fault{Status: 500, Body: "Server got itself in trouble"}, map[string]any{"folder": "vae"},
			[]string{"500", "/models/vae"}},
		// A 404 for a folder ComfyUI lists is not "unknown folder": the
		// original answer is reported.
		{"proxy 404", "GET /models/vae", comfyuitest.Fault{Status: 404, Body: "no route"}, map[string]any{"folder": "vae"},
			[]string{"404", "/models/vae", "no route"}},
		{"not JSON", "GET /models", comfyuitest.Fault{Status: 200, Body: "<html>", ContentType: "text/html"}, map[string]any{},
			[]string{"did not answer like ComfyUI"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFault(tt.route, tt.fault)
			defer srv.ClearFaults()
			res := tool.Call(t, tt.args)
			for _, w := range tt.want {
				if !res.IsError || !strings.Contains(res.Text(), w) {
					t.Fatalf("want an error containing %q, got %s", w, res.Raw)
				}
			}
		})
	}
	for _, args := range []map[string]any{{"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"folders": "vae"}} {
		res := tool.Call(t, args)
		if !res.IsError || !strings.Contains(res.Text(), `"limit"`) && !strings.Contains(res.Text(), `"folders"`) {
			t.Errorf("args %v: got %s", args, res.Raw)
		}
	}
	srv.Down()
	if res := tool.Call(t, map[string]any{"folder": "vae"}); !res.IsError || !strings.Contains(res.Text(), srv.URL+"/models/vae") {
		t.Fatalf("down: %s", res.Raw)
	}
}
