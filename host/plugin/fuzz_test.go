package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/policy"
)

// The ABI boundary, fuzzed: what a plugin hands the host must never panic
// the host (other than the ABI violations that end the call on purpose),
// and what the host accepts must have the shape it promises. Seeds are in
// testdata/fuzz.

// FuzzOutcome feeds easel_call results to the outcome decoder.
func FuzzOutcome(f *testing.F) {
	for _, s := range []string{
		okOutcome,
		`{"await":{"job":{"prompt_id":"p","timeout_ms":1000},"state":{"n":1}}}`,
		`{"result":{},"await":{}}`,
		`{"result":[1]}`,
		`{"result":null}`,
		`{"result":{"content":[]}} trailing`,
		`{"await":null,"result":{"isError":true}}`,
		`{"error":{"message":"the plugin says why"}}`,
		`{"error":{}}`,
		`{"error":"flat"}`,
		"\xff\xfe",
		`{"result":{"a":` + string(bytes.Repeat([]byte("["), 10000)),
	} {
		f.Add([]byte(s))
	}
	p := &Plugin{maxOutput: 1 << 16}
	f.Fuzz(func(t *testing.T, out []byte) {
		o, err := p.parseOutcome(out)
		if err != nil {
			if len(out) > p.maxOutput && o != nil {
				t.Fatal("an outcome over the limit was accepted")
			}
			return
		}
		members := 0
		for _, set := range []bool{len(o.Result) > 0, o.Await != nil, o.Error != nil} {
			if set {
				members++
			}
		}
		switch {
		case members != 1:
			t.Fatalf("accepted %d of result, await and error: %q", members, out)
		case o.Error != nil && o.Error.Message == "":
			t.Fatalf("accepted an error without a message: %q", out)
		case len(o.Result) > 0 && (o.Result[0] != '{' || !json.Valid(o.Result)):
			t.Fatalf("accepted result %q, not a JSON object", o.Result)
		}
	})
}

// recordingRequester answers every request and remembers the last one.
type recordingRequester struct{ last *comfyui.Request }

func (r *recordingRequester) Do(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	r.last = &req
	// The request's body comes back as the answer, so that the fuzzer also
	// shapes answers of its own making (select, omit).
	return &comfyui.Response{Status: 200, URL: "http://comfy.test" + req.Path, Body: bytes.Clone(req.Body)}, nil
}

// hostCall runs a host function's Go side and turns its ABI violation into
// an error; any other panic fails the test.
func hostCall(t *testing.T, fn func() []byte) (answer []byte, violation error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			v, ok := r.(abiViolation)
			if !ok {
				t.Fatalf("host function panicked with %T %v, not an ABI violation", r, r)
			}
			violation = v
		}
	}()
	return fn(), nil
}

// FuzzComfyUIRequest feeds comfyui_request messages (a framed message:
// header line, then body) to the host side: every answer is a framed
// response, and only requests that pass the host's checks reach ComfyUI.
func FuzzComfyUIRequest(f *testing.F) {
	for _, s := range []string{
		`{"method":"GET","path":"/queue"}` + "\n",
		`{"method":"POST","path":"/prompt","content_type":"application/json"}` + "\n" + `{"prompt":{}}`,
		`{"method":"GET","path":"/view","query":{"filename":"../../etc/passwd","type":"output"}}` + "\n",
		`{"method":"GET","path":"/a/%2e%2e/b"}` + "\n",
		`{"method":"GET","path":"/history/x?y"}` + "\n",
		`{"method":"TRACE","path":"/"}` + "\n",
		`{"method":"POST","path":"/upload/image","content_type":"multipart/form-data; boundary=x"}` + "\n--x--",
		`{"method":"POST","path":"/prompt","select":"/a/1","omit":["/b"]}` + "\n" + `{"a":[0,{"b":[1,2],"c":3}]}`,
		`{"method":"POST","path":"/prompt","omit":["/*/*/2","/q/0"]}` + "\n" + `{"q":[[1,"x",{"big":"graph"}]]}`,
		`{"method":"POST","path":"/prompt","select":"a"}` + "\n" + `{}`,
		`{"method":"POST","path":"/prompt","omit":[""]}` + "\n" + `{}`,
		`{"method":"POST","path":"/prompt","select":"/x"}` + "\n" + `not json`,
		"no header line",
		"{\n",
	} {
		f.Add([]byte(s))
	}
	rec := &recordingRequester{}
	p := &Plugin{name: "fuzz", requester: rec, perms: policy.All(), logger: slog.New(slog.DiscardHandler), maxResponse: 1 << 20}
	f.Fuzz(func(t *testing.T, msg []byte) {
		rec.last = nil
		answer, violation := hostCall(t, func() []byte { return p.comfyUIRequest(context.Background(), &callState{}, msg) })
		if violation != nil {
			if rec.last != nil {
				t.Fatal("a request reached ComfyUI although its message violated the ABI")
			}
			return
		}
		head, body, ok := bytes.Cut(answer, []byte{'\n'})
		var h responseHeader
		if !ok || json.Unmarshal(head, &h) != nil {
			t.Fatalf("answer %q is not a framed response", answer)
		}
		if h.Selected && len(body) > 0 && !json.Valid(body) {
			t.Fatalf("a selected answer %q is not one JSON value", body)
		}
		if rec.last == nil {
			if h.Status != 0 || h.Error == "" {
				t.Fatalf("a refused request answered %q, want status 0 and an error", head)
			}
			return
		}
		if err := comfyui.CheckPath(rec.last.Path); err != nil || !validMethod(rec.last.Method) {
			t.Fatalf("request %s %q reached ComfyUI: %v", rec.last.Method, rec.last.Path, err)
		}
	})
}

// FuzzThumbnailMessage feeds image_thumbnail messages to the host side.
func FuzzThumbnailMessage(f *testing.F) {
	f.Add([]byte(`{"max_dimension":64,"max_bytes":4096}` + "\n" + string(pngBomb())))
	f.Add([]byte(`{"max_dimension":-1,"max_bytes":1e300}` + "\n\x89PNG\r\n\x1a\n"))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		answer, violation := hostCall(t, func() []byte { return thumbnail(msg) })
		if violation != nil {
			return
		}
		head, _, ok := bytes.Cut(answer, []byte{'\n'})
		var h struct {
			Error         string `json:"error"`
			Width, Height int
		}
		if !ok || json.Unmarshal(head, &h) != nil {
			t.Fatalf("answer %q is not framed", answer)
		}
		if h.Error == "" && (h.Width > maxThumbDimension || h.Height > maxThumbDimension || h.Width < 1 || h.Height < 1) {
			t.Fatalf("thumbnail of %dx%d", h.Width, h.Height)
		}
	})
}
