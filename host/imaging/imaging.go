// Package imaging makes thumbnails of ComfyUI's images for agents: small
// enough to fit a model's context, faithful enough to judge a result.
//
// It is pure Go (standard library only) so that the same code can run in the
// host or inside a plugin; docs/design.md records the measurement that put
// it in the host.
package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // decoders for what ComfyUI saves besides PNG
	"image/jpeg"
	"image/png"
)

// Thumb is a thumbnail and what it was made from.
type Thumb struct {
	Data           []byte
	MimeType       string
	Width, Height  int
	OriginalWidth  int
	OriginalHeight int
	OriginalFormat string // "png", "jpeg", "gif"
}

// ErrTooSmallBudget means no thumbnail fits in the byte budget.
var ErrTooSmallBudget = errors.New("no thumbnail fits the byte budget")

// Thumbnail decodes data, scales it down (never up) to fit maxDim×maxDim
// and encodes it under maxBytes: PNG when the image has transparency (an
// agent should see alpha), otherwise JPEG, lowering quality and then size
// until it fits.
func Thumbnail(data []byte, maxDim, maxBytes int) (*Thumb, error) {
	if maxDim < 1 || maxBytes < 1 {
		return nil, fmt.Errorf("thumbnail: max dimension %d and max bytes %d must be positive", maxDim, maxBytes)
	}
	src, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	b := src.Bounds()
	t := &Thumb{OriginalWidth: b.Dx(), OriginalHeight: b.Dy(), OriginalFormat: format}
	rgba := toNRGBA(src)
	alpha := hasAlpha(rgba)
	dim := maxDim
	for range 8 {
		scaled := fit(rgba, dim)
		for _, q := range []int{85, 70, 50} {
			var buf bytes.Buffer
			if alpha {
				err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, scaled)
				t.MimeType = "image/png"
			} else {
				// Opaque, so NRGBA and RGBA are the same bytes; the JPEG
				// encoder has a fast path for *image.RGBA only.
				opaque := &image.RGBA{Pix: scaled.Pix, Stride: scaled.Stride, Rect: scaled.Rect}
				err = jpeg.Encode(&buf, opaque, &jpeg.Options{Quality: q})
				t.MimeType = "image/jpeg"
			}
			if err != nil {
				return nil, fmt.Errorf("encode thumbnail: %w", err)
			}
			if buf.Len() <= maxBytes {
				t.Data = buf.Bytes()
				t.Width, t.Height = scaled.Bounds().Dx(), scaled.Bounds().Dy()
				return t, nil
			}
			if alpha {
				break // PNG has no quality knob: go smaller
			}
		}
		dim = dim * 3 / 4
		if dim < 16 {
			break
		}
	}
	return nil, ErrTooSmallBudget
}

// toNRGBA converts any image to non-premultiplied RGBA, using the standard
// library's fast paths for the common types.
func toNRGBA(src image.Image) *image.NRGBA {
	if n, ok := src.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, src, b.Min, draw.Src)
	return dst
}

func hasAlpha(img *image.NRGBA) bool {
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0xff {
			return true
		}
	}
	return false
}

// fit scales img down by area averaging (a box filter over each target
// pixel's footprint), which keeps detail and avoids the aliasing of nearest
// neighbour when shrinking a lot.
func fit(img *image.NRGBA, maxDim int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w <= maxDim && h <= maxDim {
		return img
	}
	tw, th := maxDim, maxDim
	if w > h {
		th = max(1, h*maxDim/w)
	} else {
		tw = max(1, w*maxDim/h)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, tw, th))
	for ty := range th {
		y0, y1 := ty*h/th, max((ty+1)*h/th, ty*h/th+1)
		for tx := range tw {
			x0, x1 := tx*w/tw, max((tx+1)*w/tw, tx*w/tw+1)
			var r, g, b, a, n uint64
			for y := y0; y < y1; y++ {
				row := img.Pix[y*img.Stride+x0*4 : y*img.Stride+x1*4]
				for i := 0; i < len(row); i += 4 {
					pa := uint64(row[i+3])
					r += uint64(row[i]) * pa
					g += uint64(row[i+1]) * pa
					b += uint64(row[i+2]) * pa
					a += pa
					n++
				}
			}
			o := ty*dst.Stride + tx*4
			if a > 0 {
				dst.Pix[o] = uint8(r / a)
				dst.Pix[o+1] = uint8(g / a)
				dst.Pix[o+2] = uint8(b / a)
			}
			dst.Pix[o+3] = uint8(a / n)
		}
	}
	return dst
}
