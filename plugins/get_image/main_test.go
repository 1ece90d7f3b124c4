package main

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

func TestGetImage(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithInputFile("notes.txt", []byte("not an image")))
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	id := srv.Submit(t, map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 512, "height": 256, "batch_size": 1, "color": 255}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "sub/img"}},
	})
	if err := srv.WaitJob(context.Background(), id); err != nil {
		t.Fatal(err)
	}

	res := tool.Call(t, map[string]any{"filename": "img_00001_.png", "subfolder": "sub", "max_dimension": 128})
	if res.IsError {
		t.Fatal(res.Text())
	}
	var meta Meta
	res.Decode(t, &meta)
	if meta.Width != 512 || meta.Height != 256 || meta.ThumbnailWidth != 128 || meta.ThumbnailHeight != 64 || meta.URI != "comfyui://output/sub/img_00001_.png" || meta.MimeType != "image/png" {
		t.Errorf("meta = %+v", meta)
	}
	var sawImage, sawLink bool
	for _, c := range res.Content {
		switch c.Type {
		case "image":
			data, err := base64.StdEncoding.DecodeString(c.Data)
			sawImage = err == nil && c.MimeType == "image/jpeg" && len(data) == meta.ThumbnailBytes
		case "resource_link":
			sawLink = c.URI == meta.URI && c.MimeType == "image/png"
		}
	}
	if !sawImage || !sawLink {
		t.Errorf("content %s lacks the thumbnail or the link", res.Raw)
	}

	// The uri every tool reports for an output names the same file.
	byURI := tool.Call(t, map[string]any{"filename": meta.URI, "max_dimension": 128})
	var again Meta
	if byURI.IsError {
		t.Fatalf("by uri: %s", byURI.Text())
	}
	byURI.Decode(t, &again)
	if again != meta {
		t.Errorf("by uri %s: %+v, want %+v", meta.URI, again, meta)
	}

	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"filename": "comfyui://output/sub/img_00001_.png", "subfolder": "other"}, `argument "subfolder": "other" disagrees with the uri`},
		{map[string]any{"filename": "comfyui://models/x.png"}, `argument "filename": the uri's type "models"`},
		{map[string]any{"filename": "comfyui://output/%zz.png"}, `argument "filename": "comfyui://output/%zz.png": bad escape`},
		{map[string]any{"filename": "comfyui://output/../secret.png"}, `argument "filename"`},
		{map[string]any{"filename": "missing.png"}, `ComfyUI has no output file "missing.png" (404 from ` + srv.URL + `/view`},
		{map[string]any{"filename": "../secret.png"}, `argument "filename"`},
		{map[string]any{"filename": "a.png", "subfolder": "../.."}, `argument "subfolder"`},
		{map[string]any{"filename": "a.png", "type": "models"}, `argument "type"`},
	}
	for _, tt := range tests {
		res := tool.Call(t, tt.args)
		if !res.IsError || !strings.Contains(res.Text(), tt.want) {
			t.Errorf("%v: got %q, want an error containing %q", tt.args, res.Text(), tt.want)
		}
	}

	res = tool.Call(t, map[string]any{"filename": "notes.txt", "type": "input"})
	if res.IsError || !strings.Contains(res.Text(), "no preview") {
		t.Errorf("a non-image file: %s", res.Raw)
	}
	srv.Down()
	if res := tool.Call(t, map[string]any{"filename": "x.png"}); !res.IsError || !strings.Contains(res.Text(), "unreachable") {
		t.Errorf("ComfyUI down: %s", res.Raw)
	}
}
