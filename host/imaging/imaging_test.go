package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// testPNG draws a w×h gradient, with transparency when alpha is set.
func testPNG(t testing.TB, w, h int, alpha bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 128
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 90, a})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestThumbnail(t *testing.T) {
	tests := []struct {
		name           string
		w, h           int
		alpha          bool
		maxDim         int
		wantW, wantH   int
		wantMime       string
		maxBytesBudget int
	}{
		{"landscape shrinks to fit", 1024, 512, false, 256, 256, 128, "image/jpeg", 1 << 20},
		{"portrait shrinks to fit", 300, 600, false, 100, 50, 100, "image/jpeg", 1 << 20},
		{"small is never enlarged", 64, 64, false, 1024, 64, 64, "image/jpeg", 1 << 20},
		{"transparency stays PNG", 512, 512, true, 128, 128, 128, "image/png", 1 << 20},
		{"a tight budget shrinks further", 1024, 1024, false, 1024, 0, 0, "image/jpeg", 8 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := Thumbnail(testPNG(t, tt.w, tt.h, tt.alpha), tt.maxDim, tt.maxBytesBudget)
			if err != nil {
				t.Fatal(err)
			}
			if th.MimeType != tt.wantMime || th.OriginalWidth != tt.w || th.OriginalHeight != tt.h || th.OriginalFormat != "png" {
				t.Errorf("thumb = %s %dx%d from %s %dx%d", th.MimeType, th.Width, th.Height, th.OriginalFormat, th.OriginalWidth, th.OriginalHeight)
			}
			if tt.wantW > 0 && (th.Width != tt.wantW || th.Height != tt.wantH) {
				t.Errorf("size %dx%d, want %dx%d", th.Width, th.Height, tt.wantW, tt.wantH)
			}
			if len(th.Data) > tt.maxBytesBudget {
				t.Errorf("%d bytes, over the %d budget", len(th.Data), tt.maxBytesBudget)
			}
			img, _, err := image.Decode(bytes.NewReader(th.Data))
			if err != nil || img.Bounds().Dx() != th.Width {
				t.Errorf("thumbnail does not decode to its size: %v", err)
			}
		})
	}
}

func TestThumbnailOfARecordedComfyUIImage(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "comfyui", "recordings", "binary", "get_view_output_png.bin"))
	if os.IsNotExist(err) {
		t.Skip("recordings not found")
	}
	if err != nil {
		t.Fatal(err)
	}
	th, err := Thumbnail(data, 32, 1<<20)
	if err != nil || th.Width != 32 || th.OriginalWidth != 64 {
		t.Fatalf("thumb = %+v, %v", th, err)
	}
}

func TestThumbnailErrors(t *testing.T) {
	if _, err := Thumbnail([]byte("not an image"), 100, 1000); err == nil {
		t.Error("garbage decoded")
	}
	if _, err := Thumbnail(testPNG(t, 64, 64, false), 100, 10); err != ErrTooSmallBudget {
		t.Errorf("10-byte budget: %v", err)
	}
}

func BenchmarkThumbnail1024To512(b *testing.B) {
	data := testPNG(b, 1024, 1024, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Thumbnail(data, 512, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
