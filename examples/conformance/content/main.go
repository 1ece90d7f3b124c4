// Command content is the conformance suite's fixed-content tools, one
// generic plugin declared once per tool in tools.yaml: each answers with
// the kind of content its name promises (text, image, audio, an embedded
// resource, all of them, or a tool error).
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/easel-mcp/easel/sdk"
)

// fixture is one tool this plugin can serve.
type fixture struct {
	description string
	result      func() *sdk.Result
}

var fixtures = map[string]fixture{
	"test_simple_text": {"Returns a simple text response.", func() *sdk.Result {
		return sdk.Text("This is a simple text response for testing.")
	}},
	"test_image_content": {"Returns a 1x1 PNG image.", func() *sdk.Result {
		return (&sdk.Result{}).WithImage(pixelPNG, "image/png")
	}},
	"test_audio_content": {"Returns a short WAV clip.", func() *sdk.Result {
		return (&sdk.Result{}).WithAudio(silentWAV(), "audio/wav")
	}},
	"test_embedded_resource": {"Returns an embedded text resource.", func() *sdk.Result {
		return (&sdk.Result{}).WithResourceText("test://embedded-resource", "text/plain", "This is an embedded resource content.")
	}},
	"test_multiple_content_types": {"Returns text, an image and an embedded resource.", func() *sdk.Result {
		return sdk.Text("Multiple content types test:").
			WithImage(pixelPNG, "image/png").
			WithResourceText("test://mixed-content-resource", "application/json", `{"test":"data","value":123}`)
	}},
	"test_error_handling": {"Always fails with a tool error, for testing error reporting.", func() *sdk.Result {
		return sdk.Error("This tool intentionally returns an error for testing")
	}},
}

func init() {
	sdk.Register(sdk.Tool[struct{}, *sdk.Result]{
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Describe: func(c *sdk.Call) (sdk.Description, error) {
			f, ok := fixtures[c.Tool()]
			if !ok {
				return sdk.Description{}, fmt.Errorf("plugin content serves %s, not %q", names(), c.Tool())
			}
			return sdk.Description{Description: f.description}, nil
		},
		Handler: func(c *sdk.Call, _ struct{}) (*sdk.Result, error) {
			f, ok := fixtures[c.Tool()]
			if !ok {
				return nil, fmt.Errorf("plugin content has no tool %q", c.Tool())
			}
			return f.result(), nil
		},
	})
}

func main() {}

func names() []string {
	var out []string
	for n := range fixtures {
		out = append(out, n)
	}
	return out
}

// pixelPNG is a 1x1 red PNG.
var pixelPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")

// silentWAV is a valid 8 kHz, 8-bit mono WAV file of 100 ms of silence.
func silentWAV() []byte {
	const rate, samples = 8000, 800
	b := make([]byte, 0, 44+samples)
	le32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	le16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	b = append(b, "RIFF"...)
	le32(36 + samples)
	b = append(b, "WAVEfmt "...)
	le32(16)   // fmt chunk size
	le16(1)    // PCM
	le16(1)    // mono
	le32(rate) // sample rate
	le32(rate) // byte rate
	le16(1)    // block align
	le16(8)    // bits per sample
	b = append(b, "data"...)
	le32(samples)
	for range samples {
		b = append(b, 128) // 8-bit PCM silence
	}
	return b
}
