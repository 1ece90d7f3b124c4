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
