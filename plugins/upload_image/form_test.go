package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
)

func TestCheckFilename(t *testing.T) {
	good := []string{"cat.png", "Ünïcode café.JPG", "a b (2).webp", "x.tiff", "photo.jpeg", "anim.gif", "scan.BMP"}
	for _, name := range good {
		if err := checkFilename(name); err != nil {
			t.Errorf("checkFilename(%q) = %v", name, err)
		}
	}
	bad := []struct{ name, why string }{
		{"../x.png", "without a path"},
		{"a/b.png", "without a path"},
		{`a\b.png`, "without a path"},
		{"a..b.png", `".."`},
		{".hidden.png", "dot"},
		{" lead.png", "space"},
		{"a\nb.png", "control"},
		{"a\x7fb.png", "control"},
		{"a:b.png", "Windows"},
		{`a"b.png`, "Windows"},
		{"x.txt", "must end in .png"},
		{"noext", "must end in .png"},
		{"x.png.exe", "must end in .png"},
		{"bad\xffutf8.png", "UTF-8"},
		{strings.Repeat("é", 130) + ".png", "255 bytes"},
	}
	for _, tt := range bad {
		err := checkFilename(tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), `argument "filename"`) {
			t.Errorf("checkFilename(%q) = %v, want an error about %s", tt.name, err, tt.why)
		}
	}
}

func TestCleanSubfolder(t *testing.T) {
	good := map[string]string{"": "", "refs": "refs", "a/b": "a/b", "a//b/": "a/b", "été/2024": "été/2024"}
	for in, want := range good {
		if got, err := cleanSubfolder(in); err != nil || got != want {
			t.Errorf("cleanSubfolder(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []struct{ sub, why string }{
		{"/etc", "relative"},
		{"..", `".."`},
		{"a/../../b", `".."`},
		{"a/./b", `"."`},
		{`a\b`, `"/"`},
		{"C:/x", "Windows"},
		{"a /b", "space"},
		{"a\tb", "control"},
	}
	for _, tt := range bad {
		_, err := cleanSubfolder(tt.sub)
		if err == nil || !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), `argument "subfolder"`) {
			t.Errorf("cleanSubfolder(%q) = %v, want an error about %s", tt.sub, err, tt.why)
		}
	}
}

func decode(t *testing.T, s string) ([]byte, error) {
	t.Helper()
	s, err := stripDataURL(s)
	if err != nil {
		return nil, err
	}
	dst := make([]byte, maxDecodedLen(len(s)))
	n, err := decodeBase64(dst, s)
	return dst[:n], err
}

func TestBase64(t *testing.T) {
	raw := []byte("\x89PNG\r\n\x1a\n\x00\x01\xfe\xff?>~") // holds bytes that differ between alphabets
	std := base64.StdEncoding.EncodeToString(raw)
	wrapped := std[:8] + "\n" + std[8:16] + "\r\n " + std[16:] + "\n"
	for _, in := range []string{
		std,
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		wrapped,
		strings.ReplaceAll(strings.ReplaceAll(wrapped, "+", "-"), "/", "_"),
		"data:image/png;base64," + std,
		"data:image/png;name=x.png;base64," + wrapped,
	} {
		got, err := decode(t, in)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("decode(%q) = %q, %v", in, got, err)
		}
	}
	// Every length, across chunk boundaries: padding and the decoded size
	// agree.
	for _, size := range []int{1, 2, 3, 4, 5, 6, 7, chunk/4*3 - 1, chunk / 4 * 3, chunk/4*3 + 1, chunk/4*3 + 2, 3 * chunk} {
		data := bytes.Repeat([]byte{0xfb, 0xef, 0x01}, size)[:size]
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			text := enc.EncodeToString(data)
			if got, err := decode(t, text); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%d bytes: %d decoded, %v", size, len(got), err)
			}
			var wrapped strings.Builder // as MIME writes it: 76 characters a line
			for i := 0; i < len(text); i += 76 {
				wrapped.WriteString(text[i:min(i+76, len(text))] + "\r\n")
			}
			if got, err := decode(t, wrapped.String()); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%d bytes in lines: %d decoded, %v", size, len(got), err)
			}
		}
	}
	// Padding followed by line breaks or spaces.
	for _, in := range []string{"QUJDRA==\n", "QUJD\nRA==\r\n", "QUJD\n RA==", "QUJD\tRA"} {
		if got, err := decode(t, in); err != nil || string(got) != "ABCD" {
			t.Errorf("decode(%q) = %q, %v", in, got, err)
		}
	}
	if got, err := decode(t, " \n "); err != nil || len(got) != 0 {
		t.Errorf("whitespace only: %q, %v", got, err)
	}
	bad := []struct{ in, why string }{
		{"iVBOR%w0K", `'%' at offset 5`},
		{"iVBOR w0K%", `'%' at offset 9`},
		{"iVBORw0KGgo=AAAA", `goes on after the "=" padding at offset 11`},
		{"iVBORw0KGgo= AAAA", `goes on after the "=" padding at offset 11`},
		{"QUJDR", "cut short"},
		{"QUJD R", "cut short"},
		{"QQ=", "cut short"},
		{"QQ===", "cut short"},

		{"ab+/cd-_", "mixes"},
		{"ab+/ cd-_", "mixes"},
		{"data:image/png,rawbytes", "without \";base64,\""},
		{"héllo", "'é' at offset 1"},
	}
	for _, tt := range bad {
		_, err := decode(t, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), `argument "data"`) {
			t.Errorf("decode(%q) = %v, want an error about %s", tt.in, err, tt.why)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	f := uploadForm{Filename: "a.png", Type: "input"}
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n\x00"))[:12] // 9 bytes
	// 4 characters are 3 bytes, "AAA=" 2 and "AA==" 1: this text decodes
	// to one byte more than 16 MiB, the next to exactly 16 MiB.
	over := png + strings.Repeat("AAAA", (maxImageBytes-9)/3) + "AAA="
	if _, _, _, err := f.build(over); err == nil || !strings.Contains(err.Error(), "16777217 bytes") || !strings.Contains(err.Error(), "the limit is 16 MiB") {
		t.Errorf("one byte over the limit: %v", err)
	}
	exact := png + strings.Repeat("AAAA", (maxImageBytes-9)/3) + "AA=="
	if _, _, img, err := f.build(exact); err != nil || len(img.data) != maxImageBytes {
		t.Errorf("at the limit: %d bytes, %v", len(img.data), err)
	}
	// Far over the limit is refused before decoding.
	if _, _, _, err := f.build(strings.Repeat("A", maxImageBytes*2)); err == nil || !strings.Contains(err.Error(), "about 24.0 MiB") {
		t.Errorf("far over the limit: %v", err)
	}
	if _, _, _, err := f.build(" "); err == nil || !strings.Contains(err.Error(), `argument "data" is empty`) {
		t.Errorf("empty: %v", err)
	}
}

func TestSniff(t *testing.T) {
	tests := map[string]string{
		"\x89PNG\r\n\x1a\nrest":           "PNG",
		"\xff\xd8\xff\xe0":                "JPEG",
		"RIFF\x00\x00\x00\x00WEBPVP8 ":    "WebP",
		"GIF89a..":                        "GIF",
		"BM" + strings.Repeat("\x00", 30): "BMP",
		"II*\x00....":                     "TIFF",
		"MM\x00*....":                     "TIFF",
		"<svg></svg>":                     "",
		"RIFF\x00\x00\x00\x00WAVE":        "",
		"":                                "",
	}
	for in, want := range tests {
		if got := sniff([]byte(in)); got != want {
			t.Errorf("sniff(%q) = %q, want %q", in, got, want)
		}
	}
}

// The body is multipart/form-data that a standard parser reads back into
// the four fields, the image byte for byte.
func TestBuildForm(t *testing.T) {
	img := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 255, 13, 10, '-'}, 1000)...)
	f := uploadForm{Filename: "café (1).png", Subfolder: "a/b", Type: "temp", Overwrite: true}
	body, ctype, got, err := f.build(base64.StdEncoding.EncodeToString(img))
	if err != nil {
		t.Fatal(err)
	}
	if got.format != "PNG" || !bytes.Equal(got.data, img) {
		t.Fatalf("image = %s, %d bytes", got.format, len(got.data))
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("content type %q: %v", ctype, err)
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	fields := map[string]string{}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		if p.FormName() == "image" {
			if p.FileName() != "café (1).png" || p.Header.Get("Content-Type") != "image/png" || !bytes.Equal(data, img) {
				t.Errorf("file part %q %q, %d bytes", p.FileName(), p.Header.Get("Content-Type"), len(data))
			}
			continue
		}
		fields[p.FormName()] = string(data)
	}
	if fields["type"] != "temp" || fields["subfolder"] != "a/b" || fields["overwrite"] != "true" || len(fields) != 3 {
		t.Errorf("fields = %v", fields)
	}

	if _, _, _, err := f.build(base64.StdEncoding.EncodeToString([]byte("hello, world"))); err == nil ||
		!strings.Contains(err.Error(), "not a PNG") || !strings.Contains(err.Error(), "68 65 6c 6c") {
		t.Errorf("text as an image: %v", err)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		up        uploaded
		load, uri string
	}{
		{uploaded{"cat.png", "", "input"}, "cat.png", "comfyui://input/cat.png"},
		{uploaded{"cat (1).png", "refs/été", "input"}, "refs/été/cat (1).png", "comfyui://input/refs/" + url.PathEscape("été") + "/" + url.PathEscape("cat (1).png")},
		{uploaded{"x.png", "", "output"}, "x.png [output]", "comfyui://output/x.png"},
		{uploaded{"x.png", "s", "temp"}, "s/x.png [temp]", "comfyui://temp/s/x.png"},
	}
	for _, tt := range tests {
		if got := loadImageValue(tt.up); got != tt.load {
			t.Errorf("loadImageValue(%+v) = %q, want %q", tt.up, got, tt.load)
		}
		if got := describeUpload(tt.up.Name, tt.up, decoded{format: "PNG"}).URI; got != tt.uri {
			t.Errorf("uri of %+v = %q, want %q", tt.up, got, tt.uri)
		}
	}
}

func TestExtensionNote(t *testing.T) {
	if n := (decoded{format: "PNG"}).extensionNote("a.PNG"); n != "" {
		t.Errorf("matching: %q", n)
	}
	if n := (decoded{format: "JPEG"}).extensionNote("a.png"); !strings.Contains(n, "JPEG") || !strings.Contains(n, ".png") {
		t.Errorf("mismatch: %q", n)
	}
	if n := (decoded{format: "JPEG"}).extensionNote("a.jpg"); n != "" {
		t.Errorf("jpg: %q", n)
	}
}
