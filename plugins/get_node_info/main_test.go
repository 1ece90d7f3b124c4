package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

func TestClassAgainstEmulator(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithInputFile("mine.png", []byte("\x89PNG\r\n\x1a\n")))
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	info, _ := json.Marshal(tool.Info())
	t.Logf("tool JSON: %d bytes", len(info))

	res := tool.Call(t, map[string]any{"class_type": "KSampler"})
	if res.IsError {
		t.Fatal(res.Text())
	}
	if !strings.Contains(string(res.StructuredContent), `"max":18446744073709551615`) {
		t.Errorf("seed max not exact: %s", res.StructuredContent)
	}
	var out Info
	res.Decode(t, &out)
	if out.Search != nil || out.Node == nil || out.Node.Name != "KSampler" || len(out.Node.Inputs) != 10 {
		t.Fatalf("KSampler = %s", res.StructuredContent)
	}
	t.Logf("KSampler answer: %d bytes", len(res.StructuredContent))

	// Uploaded input files are LoadImage's choices.
	out = Info{}
	tool.Call(t, map[string]any{"class_type": "LoadImage"}).Decode(t, &out)
	if img := out.Node.Inputs[0]; img.Choices == nil || !strings.Contains(string(mustJSON(t, *img.Choices)), `"mine.png"`) {
		t.Errorf("LoadImage choices = %+v", img)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnknownClass(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	tests := []struct {
		class string
		want  []string
	}{
		{"ksampler", []string{`no node class "ksampler"`, "Close names: KSampler,", "376 classes"}},
		{"VAEDecoder", []string{"Close names: VAEDecode"}},
		{"Qwerty", []string{"No class name resembles it", `"search"`}},
	}
	for _, tt := range tests {
		res := tool.Call(t, map[string]any{"class_type": tt.class})
		for _, w := range tt.want {
			if !res.IsError || !strings.Contains(res.Text(), w) {
				t.Errorf("%s: want an error containing %q, got %s", tt.class, w, res.Raw)
			}
		}
	}

	// A name the per-class route cannot carry may get a 404: still an
	// unknown class, not a failure.
	srv.SetFault("GET /object_info/Foo*", comfyuitest.Fault{Status: 404, Body: "404: Not Found"})
	if res := tool.Call(t, map[string]any{"class_type": "Foo/Bar"}); !res.IsError || !strings.Contains(res.Text(), `no node class "Foo/Bar"`) {
		t.Errorf("Foo/Bar: %s", res.Raw)
	}

	// A class the per-class route does not find but the full list has (a
	// name the route cannot carry) is still described.
	srv.SetFault("GET /object_info/SaveImage", comfyuitest.Fault{Status: 200, Body: "{}", ContentType: "application/json"})
	var out Info
	tool.Call(t, map[string]any{"class_type": "SaveImage"}).Decode(t, &out)
	if out.Node == nil || !out.Node.OutputNode {
		t.Errorf("SaveImage from the full list = %+v", out)
	}
}

func TestSearchAgainstEmulator(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	var out Info
	tool.Call(t, map[string]any{"search": "load image", "limit": 2}).Decode(t, &out)
	if out.Node != nil || out.Search == nil || matchNames(out.Search) != "LoadImage,LoadImageMask" || !out.Search.Truncated || out.Search.Total < 3 {
		t.Fatalf("search = %+v", out.Search)
	}
	out = Info{}
	res := tool.Call(t, map[string]any{"search": "no such node anywhere"})
	res.Decode(t, &out)
	if out.Search == nil || out.Search.Total != 0 || !strings.Contains(string(res.StructuredContent), `"matches":[]`) {
		t.Errorf("empty search = %s", res.StructuredContent)
	}
}

func TestFailures(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	args := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{}, `"class_type"`},
		{map[string]any{"class_type": "  "}, `"search"`},
		{map[string]any{"class_type": "KSampler", "search": "k"}, "only one"},
		{map[string]any{"search": "k", "limit": 0}, `"limit"`},
		{map[string]any{"search": "k", "limit": 101}, `"limit"`},
		{map[string]any{"class": "KSampler"}, `"class"`},
	}
	for _, tt := range args {
		if res := tool.Call(t, tt.args); !res.IsError || !strings.Contains(res.Text(), tt.want) {
			t.Errorf("%v: want an error containing %s, got %s", tt.args, tt.want, res.Raw)
		}
	}

	faults := []struct {
		name, route string
		args        map[string]any
		want        string
	}{
		{"class 500", "GET /object_info/KSampler", map[string]any{"class_type": "KSampler"}, "/object_info/KSampler"},
		{"full 500 for unknown class", "GET /object_info", map[string]any{"class_type": "Nope"}, "/object_info"},
		{"full 500 for search", "GET /object_info", map[string]any{"search": "image"}, "/object_info"},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFault(tt.route, comfyuitest.Fault{Status: 500, Body: "Server got itself in trouble"})
			defer srv.ClearFaults()
			res := tool.Call(t, tt.args)
			if !res.IsError || !strings.Contains(res.Text(), "500") || !strings.Contains(res.Text(), tt.want) {
				t.Fatalf("got %s", res.Raw)
			}
		})
	}
	srv.Down()
	if res := tool.Call(t, map[string]any{"search": "image"}); !res.IsError || !strings.Contains(res.Text(), srv.URL+"/object_info") {
		t.Fatalf("down: %s", res.Raw)
	}
}

func TestFullListNotJSON(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	srv.SetFault("GET /object_info", comfyuitest.Fault{Status: 200, Body: "<html>login</html>", ContentType: "text/html"})
	res := tool.Call(t, map[string]any{"search": "image"})
	if !res.IsError || !strings.Contains(res.Text(), "did not answer like ComfyUI") || !strings.Contains(res.Text(), "<html>login") {
		t.Fatalf("got %s", res.Raw)
	}
}

// BenchmarkSearch searches the emulator's full /object_info (376 classes,
// about 290 KB) through the plugin and the host, the emulator in this
// process.
//
//	go test ./plugins/get_node_info -run xxx -bench Search
func BenchmarkSearch(b *testing.B) {
	srv := comfyuitest.NewServer(b)
	tool := plugintest.Load(b, ".", plugintest.WithComfyUI(srv.URL))
	for b.Loop() {
		res := tool.Call(b, map[string]any{"search": "sampler"})
		if res.IsError || !strings.Contains(res.Text(), "KSampler") {
			b.Fatalf("search: %s", res.Text())
		}
	}
}
