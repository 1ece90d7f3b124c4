package comfyui_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

func TestFileURIRoundTrip(t *testing.T) {
	tests := []struct {
		ref comfyui.FileRef
		uri string
	}{
		{comfyui.FileRef{Type: "output", Filename: "test_00001_.png"}, "comfyui://output/test_00001_.png"},
		{comfyui.FileRef{Type: "output", Subfolder: "sub/deep", Filename: "a b.png"}, "comfyui://output/sub/deep/a%20b.png"},
		{comfyui.FileRef{Type: "temp", Filename: "ComfyUI_temp_lrzye_00001_.png"}, "comfyui://temp/ComfyUI_temp_lrzye_00001_.png"},
	}
	for _, tt := range tests {
		if got := tt.ref.URI(); got != tt.uri {
			t.Errorf("%+v.URI() = %s, want %s", tt.ref, got, tt.uri)
		}
		got, err := comfyui.ParseFileURI(tt.uri)
		if err != nil || got != tt.ref {
			t.Errorf("ParseFileURI(%s) = %+v, %v", tt.uri, got, err)
		}
	}
}

func TestFileRefsCannotEscape(t *testing.T) {
	for _, uri := range []string{
		"comfyui://output/../secret.png", "comfyui://output/sub/%2e%2e/x.png", "comfyui://models/x.safetensors",
		"comfyui://output/", "http://output/x.png", "comfyui://output/a%5Cb.png", "comfyui://output/a%00.png",
	} {
		if ref, err := comfyui.ParseFileURI(uri); err == nil {
			t.Errorf("ParseFileURI(%s) = %+v, want an error", uri, ref)
		}
	}
}

func TestView(t *testing.T) {
	srv := comfyuitest.NewServer(t, comfyuitest.WithInputFile("in.png", []byte("\x89PNG fake")))
	c, err := comfyui.New(comfyui.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	data, mt, err := c.View(context.Background(), comfyui.FileRef{Type: "input", Filename: "in.png"})
	if err != nil || string(data) != "\x89PNG fake" || mt != "image/png" {
		t.Fatalf("View = %q, %q, %v", data, mt, err)
	}
	_, _, err = c.View(context.Background(), comfyui.FileRef{Type: "output", Filename: "missing.png"})
	if err == nil || !strings.Contains(err.Error(), `no output file "missing.png"`) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want an error that names it and is fs.ErrNotExist", err)
	}
}
