package sdk

import (
	"errors"
	"fmt"
)

// Thumb is a thumbnail made by the host.
type Thumb struct {
	Data           []byte
	MimeType       string `json:"mime_type"`
	Width          int    `json:"width"`
	Height         int    `json:"height"`
	OriginalWidth  int    `json:"original_width"`
	OriginalHeight int    `json:"original_height"`
	OriginalFormat string `json:"original_format"`
}

// Thumbnail asks the host to scale an image (PNG, JPEG or GIF bytes) down to
// fit maxDimension×maxDimension pixels and maxBytes bytes: JPEG, or PNG when
// the image has transparency. The host does it natively, several times
// faster than Go code running as WebAssembly.
func (c *Call) Thumbnail(data []byte, maxDimension, maxBytes int) (*Thumb, error) {
	req, err := encodeFrame(map[string]int{"max_dimension": maxDimension, "max_bytes": maxBytes}, data)
	if err != nil {
		return nil, err
	}
	var h struct {
		Thumb
		Error string `json:"error"`
	}
	body, err := decodeFrame(c.inst.host.imageThumbnail(req), &h)
	if err != nil {
		return nil, fmt.Errorf("sdk: the host's thumbnail answer is malformed: %v", err)
	}
	if h.Error != "" {
		return nil, errors.New("thumbnail: " + h.Error)
	}
	t := h.Thumb
	t.Data = body
	return &t, nil
}
