package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
)

// pngBytes is a real w×h PNG of one colour, which the emulator's LoadImage
// can decode.
func pngBytes(t *testing.T, w, h int, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func upload(t *testing.T, tool *plugintest.Tool, args map[string]any) Output {
	t.Helper()
	res := tool.Call(t, args)
	if res.IsError {
		t.Fatalf("upload %v: %s", args["filename"], res.Text())
	}
	var out Output
	res.Decode(t, &out)
	return out
}

// runLoadImage queues LoadImage(value) → SaveImage and waits: ComfyUI
// validates the value (the file must exist) and the job must succeed.
func runLoadImage(t *testing.T, srv *comfyuitest.Server, value string) {
	t.Helper()
	id := srv.Submit(t, map[string]any{
		"1": map[string]any{"class_type": "LoadImage", "inputs": map[string]any{"image": value}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "up"}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitJob(ctx, id); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/history/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h map[string]struct {
		Status struct {
			StatusStr string `json:"status_str"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || h[id].Status.StatusStr != "success" {
		t.Fatalf("LoadImage(%q): %+v, %v", value, h, err)
	}
}

func TestUploadAndLoad(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	info, _ := json.Marshal(tool.Info())
	t.Logf("tool JSON: %d bytes", len(info))

	red := pngBytes(t, 16, 8, color.NRGBA{255, 0, 0, 255})
	out := upload(t, tool, map[string]any{"data": base64.StdEncoding.EncodeToString(red), "filename": "cat.png"})
	want := Output{Name: "cat.png", Type: "input", LoadImageValue: "cat.png", SizeBytes: len(red), Format: "PNG",
		URI: "comfyui://input/cat.png", Verified: true}
	if out != want {
		t.Errorf("upload = %+v, want %+v", out, want)
	}
	if got, ok := srv.File("input", "", "cat.png"); !ok || !bytes.Equal(got, red) {
		t.Fatalf("stored file: %v, %d bytes", ok, len(got))
	}
	runLoadImage(t, srv, out.LoadImageValue)

	// What ComfyUI received: the four form fields.
	fields := lastUpload(t, srv)
	if fields["type"] != "input" || fields["subfolder"] != "" || fields["overwrite"] != "false" || fields["image"] != "cat.png" {
		t.Errorf("form = %v", fields)
	}
}

// lastUpload parses the last POST /upload/image the emulator received: its
// fields, with the file part's file name under "image".
func lastUpload(t *testing.T, srv *comfyuitest.Server) map[string]string {
	t.Helper()
	var req *comfyuitest.RecordedRequest
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == "/upload/image" {
			req = &r
		}
	}
	if req == nil {
		t.Fatal("no upload received")
	}
	_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	r := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return fields
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		if p.FormName() == "image" {
			fields["image"] = p.FileName()
		} else {
			fields[p.FormName()] = string(data)
		}
	}
}

func TestRenameAndOverwrite(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	red := base64.StdEncoding.EncodeToString(pngBytes(t, 4, 4, color.NRGBA{255, 0, 0, 255}))
	blue := pngBytes(t, 4, 4, color.NRGBA{0, 0, 255, 255})
	upload(t, tool, map[string]any{"data": red, "filename": "x.png"})

	// Identical content: ComfyUI keeps the name and writes nothing.
	if out := upload(t, tool, map[string]any{"data": red, "filename": "x.png"}); out.Name != "x.png" || out.Renamed || out.Note != "" {
		t.Errorf("same content = %+v", out)
	}
	// Different content: ComfyUI numbers the new file.
	out := upload(t, tool, map[string]any{"data": base64.StdEncoding.EncodeToString(blue), "filename": "x.png"})
	if out.Name != "x (1).png" || !out.Renamed || out.LoadImageValue != "x (1).png" || !strings.Contains(out.Note, `stored this one as "x (1).png"`) ||
		out.URI != "comfyui://input/x%20%281%29.png" || !out.Verified {
		t.Errorf("different content = %+v", out)
	}
	runLoadImage(t, srv, out.LoadImageValue)
	// overwrite replaces the file under its own name.
	out = upload(t, tool, map[string]any{"data": base64.StdEncoding.EncodeToString(blue), "filename": "x.png", "overwrite": true})
	if got, _ := srv.File("input", "", "x.png"); out.Name != "x.png" || out.Renamed || !bytes.Equal(got, blue) {
		t.Errorf("overwrite = %+v", out)
	}
	if fields := lastUpload(t, srv); fields["overwrite"] != "true" {
		t.Errorf("form = %v", fields)
	}
}

func TestSubfolderAndTypes(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	green := pngBytes(t, 8, 8, color.NRGBA{0, 255, 0, 255})
	data := "data:image/png;base64," + base64.StdEncoding.EncodeToString(green)

	out := upload(t, tool, map[string]any{"data": data, "filename": "g.png", "subfolder": "refs//été/"})
	if out.Subfolder != "refs/été" || out.LoadImageValue != "refs/été/g.png" || out.URI != "comfyui://input/refs/%C3%A9t%C3%A9/g.png" || !out.Verified {
		t.Errorf("subfolder = %+v", out)
	}
	if _, ok := srv.File("input", "refs/été", "g.png"); !ok {
		t.Error("not stored in the subfolder")
	}
	runLoadImage(t, srv, out.LoadImageValue)

	for _, typ := range []string{"output", "temp"} {
		out := upload(t, tool, map[string]any{"data": data, "filename": "g.png", "subfolder": "s", "type": typ})
		if out.Type != typ || out.LoadImageValue != "s/g.png ["+typ+"]" || out.URI != "comfyui://"+typ+"/s/g.png" || !out.Verified {
			t.Errorf("%s = %+v", typ, out)
		}
		if _, ok := srv.File(typ, "s", "g.png"); !ok {
			t.Errorf("not stored in %s", typ)
		}
		runLoadImage(t, srv, out.LoadImageValue)
	}

	// JPEG content under a .png name works, with a note.
	var jbuf bytes.Buffer
	_ = jpeg.Encode(&jbuf, image.NewGray(image.Rect(0, 0, 4, 4)), nil)
	out = upload(t, tool, map[string]any{"data": base64.RawURLEncoding.EncodeToString(jbuf.Bytes()), "filename": "j.png"})
	if out.Format != "JPEG" || !strings.Contains(out.Note, "JPEG") {
		t.Errorf("jpeg as png = %+v", out)
	}
}

func TestBadArguments(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	ok := base64.StdEncoding.EncodeToString(pngBytes(t, 2, 2, color.NRGBA{A: 255}))
	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"filename": "a.png"}, `"data"`},
		{map[string]any{"data": ok}, `"filename"`},
		{map[string]any{"data": "not base64!", "filename": "a.png"}, `argument "data" is not base64: '!' at offset 10`},
		{map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("GIF00 no")), "filename": "a.png"}, "not a PNG, JPEG"},
		{map[string]any{"data": ok, "filename": "../a.png"}, `argument "filename"`},
		{map[string]any{"data": ok, "filename": "a.svg"}, "must end in .png"},
		{map[string]any{"data": ok, "filename": "a.png", "subfolder": "../up"}, `argument "subfolder"`},
		{map[string]any{"data": ok, "filename": "a.png", "type": "models"}, `"type"`},
		{map[string]any{"data": ok, "filename": "a.png", "overwrite": "yes"}, `"overwrite"`},
	}
	for _, tt := range tests {
		res := tool.Call(t, tt.args)
		if !res.IsError || !strings.Contains(res.Text(), tt.want) {
			t.Errorf("%v: want an error containing %s, got %s", tt.args["filename"], tt.want, res.Raw)
		}
	}
	for _, r := range srv.Requests() {
		if r.Path == "/upload/image" {
			t.Errorf("a refused call reached ComfyUI: %s", r)
		}
	}
}

func TestComfyUIFailures(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	args := map[string]any{"data": base64.StdEncoding.EncodeToString(pngBytes(t, 2, 2, color.NRGBA{A: 255})), "filename": "a.png"}
	tests := []struct {
		name  string
		fault comfyuitest.Fault
		want  []string
	}{
		{"500", comfyuitest.Fault{Status: 500, Body: "500 Internal Server Error"}, []string{"500", "POST", "/upload/image"}},
		{"413", comfyuitest.Fault{Status: 413, Body: "Request Entity Too Large"}, []string{"413", "--max-upload-size"}},
		{"not JSON", comfyuitest.Fault{Status: 200, Body: "<html>", ContentType: "text/html"}, []string{"did not answer like ComfyUI", "/upload/image"}},
		{"no name", comfyuitest.Fault{Status: 200, Body: `{"ok": true}`, ContentType: "application/json"}, []string{"did not answer like ComfyUI"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFault("POST /upload/image", tt.fault)
			defer srv.ClearFaults()
			res := tool.Call(t, args)
			for _, w := range tt.want {
				if !res.IsError || !strings.Contains(res.Text(), w) {
					t.Fatalf("want an error containing %q, got %s", w, res.Raw)
				}
			}
		})
	}

	// The upload succeeded but reading it back did not: not an error, but
	// verified is false and the note says why.
	srv.SetFault("HEAD /view", comfyuitest.Fault{Status: 404})
	var out Output
	tool.Call(t, args).Decode(t, &out)
	if out.Verified || !strings.Contains(out.Note, "404") || out.Name != "a.png" {
		t.Errorf("unverified = %+v", out)
	}
	srv.ClearFaults()

	srv.Down()
	if res := tool.Call(t, args); !res.IsError || !strings.Contains(res.Text(), srv.URL+"/upload/image") {
		t.Errorf("down: %s", res.Raw)
	}
}

// A file of many decoding chunks, wrapped in lines as MIME base64 is,
// arrives byte for byte.
func TestLargeUpload(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	tool := plugintest.Load(t, ".", plugintest.WithComfyUI(srv.URL))
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7 % 251)
	}
	copy(data, "\x89PNG\r\n\x1a\n")
	text := base64.StdEncoding.EncodeToString(data)
	var wrapped strings.Builder
	for i := 0; i < len(text); i += 76 {
		wrapped.WriteString(text[i:min(i+76, len(text))] + "\r\n")
	}
	out := upload(t, tool, map[string]any{"data": wrapped.String(), "filename": "large.png"})
	if got, _ := srv.File("input", "", "large.png"); out.SizeBytes != len(data) || !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes, reported %d, want %d", len(got), out.SizeBytes, len(data))
	}
}
