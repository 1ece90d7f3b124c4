package comfy

import (
	"net/url"
	"strings"
	"testing"
)

func TestFileURI(t *testing.T) {
	tests := []struct {
		f    File
		want string
	}{
		{File{Filename: "test_00001_.png", Type: "output"}, "comfyui://output/test_00001_.png"},
		{File{Filename: "dir_test_00001_.png", Subfolder: "sub", Type: "output"}, "comfyui://output/sub/dir_test_00001_.png"},
		{File{Filename: "ComfyUI_temp_lrzye_00001_.png", Type: "temp"}, "comfyui://temp/ComfyUI_temp_lrzye_00001_.png"},
		{File{Filename: "a.png", Subfolder: "x/y z", Type: "output"}, "comfyui://output/x/y%20z/a.png"},
		{File{Filename: "a#1?%.png", Subfolder: "/lead//trail/", Type: "input"}, "comfyui://input/lead/trail/a%231%3F%25.png"},
		{File{Filename: "odd/name.png", Type: "output"}, "comfyui://output/odd%2Fname.png"},
		{File{Filename: "clip.mp4", Subfolder: "video"}, "comfyui://output/video/clip.mp4"},
		{File{Filename: "é.wav", Type: "output"}, "comfyui://output/%C3%A9.wav"},
		{File{Subfolder: "sub", Type: "output"}, ""},
	}
	for _, tt := range tests {
		if got := FileURI(tt.f); got != tt.want {
			t.Errorf("FileURI(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

// A URI must give back the file's type, subfolder and name when the host
// parses it with net/url and unescapes each segment.
func TestFileURIRoundTrip(t *testing.T) {
	for _, f := range []File{
		{Filename: "dir_test_00001_.png", Subfolder: "sub/deeper", Type: "output"},
		{Filename: "100% done #2.png", Subfolder: "a b", Type: "temp"},
		{Filename: "x.png", Type: "output"},
	} {
		u, err := url.Parse(FileURI(f))
		if err != nil {
			t.Fatal(err)
		}
		segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
		for i, s := range segs {
			if segs[i], err = url.PathUnescape(s); err != nil {
				t.Fatal(err)
			}
		}
		got := File{Type: u.Host, Subfolder: strings.Join(segs[:len(segs)-1], "/"), Filename: segs[len(segs)-1]}
		if u.Scheme != URIScheme || got != f {
			t.Errorf("%s parsed as scheme %q, %+v; want %+v", FileURI(f), u.Scheme, got, f)
		}
	}
}

// ParseFileURI is FileURI's inverse, and refuses what FileURI never makes.
func TestParseFileURI(t *testing.T) {
	for _, f := range []File{
		{Filename: "dir_test_00001_.png", Subfolder: "sub/deeper", Type: "output"},
		{Filename: "100% done #2?.png", Subfolder: "a b", Type: "temp"},
		{Filename: "odd/name.png", Type: "output"},
		{Filename: "é.wav", Type: "input", Backend: "gpu-2"},
	} {
		got, err := ParseFileURI(FileURI(f))
		if err != nil || got != f {
			t.Errorf("ParseFileURI(%s) = %+v, %v; want %+v", FileURI(f), got, err, f)
		}
	}
	for _, bad := range []string{"output/x.png", "http://output/x.png", "comfyui://output", "comfyui://output/", "comfyui://output/%zz.png", "comfyui://output/a%2"} {
		if f, err := ParseFileURI(bad); err == nil {
			t.Errorf("ParseFileURI(%q) = %+v, want an error", bad, f)
		}
	}
}

func FuzzParseFileURI(f *testing.F) {
	f.Add("x.png", "sub", "output", "")
	f.Add("100% #?.png", "a b/c", "temp", "b1")
	f.Fuzz(func(t *testing.T, name, sub, typ, backend string) {
		if name == "" || typ == "" || strings.ContainsAny(typ+backend, "/?&=%#") || strings.Contains(sub, "//") || strings.HasPrefix(sub, "/") || strings.HasSuffix(sub, "/") {
			return
		}
		want := File{Filename: name, Subfolder: sub, Type: typ, Backend: backend}
		got, err := ParseFileURI(FileURI(want))
		if err != nil || got != want {
			t.Fatalf("ParseFileURI(%s) = %+v, %v; want %+v", FileURI(want), got, err, want)
		}
	})
}
