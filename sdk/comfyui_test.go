package sdk

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

func newComfyUI(t *testing.T, respond func(fakeRequest) []byte) (*ComfyUI, *fakeHost) {
	h := &fakeHost{t: t, respond: respond}
	return &ComfyUI{host: h}, h
}

func TestComfyUIDo(t *testing.T) {
	c, h := newComfyUI(t, answer(t, 404, "text/plain", "nope"))
	resp, err := c.Do(Request{Path: "/view", Query: map[string]string{"filename": "a b.png"}, Body: []byte("x"), ContentType: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	want := Response{Status: 404, ContentType: "text/plain", URL: "http://127.0.0.1:8188/view", Body: []byte("nope")}
	if !reflect.DeepEqual(*resp, want) {
		t.Errorf("response %+v, want %+v (Do returns every status)", *resp, want)
	}
	sent := fakeRequest{requestHeader{Method: "GET", Path: "/view", Query: map[string]string{"filename": "a b.png"}, ContentType: "text/plain"}, "x"}
	if len(h.requests) != 1 || !reflect.DeepEqual(h.requests[0], sent) {
		t.Errorf("sent %+v, want %+v", h.requests, sent)
	}
}

func TestComfyUIErrors(t *testing.T) {
	const base = "http://127.0.0.1:8188"
	unreachable := func(req fakeRequest) []byte {
		return frame(t, responseHeader{Status: 0, Error: "ComfyUI unreachable at " + base + req.Path + ": connection refused"}, "")
	}
	long := strings.Repeat("é", 200) // 400 bytes: the 300-byte cut falls between characters
	tests := []struct {
		name    string
		respond func(fakeRequest) []byte
		do      func(c *ComfyUI) error
		want    string
		as      any // a pointer to the error type errors.As must find
	}{
		{"unreachable", unreachable, func(c *ComfyUI) error { return c.GetJSON("/queue", nil, new(any)) },
			"ComfyUI unreachable at http://127.0.0.1:8188/queue: connection refused", new(*UnavailableError)},
		{"unreachable, Do", unreachable, func(c *ComfyUI) error { _, err := c.Do(Request{Path: "/queue"}); return err },
			"ComfyUI unreachable at http://127.0.0.1:8188/queue: connection refused", new(*UnavailableError)},
		{"no response and no reason", func(fakeRequest) []byte { return []byte("{\"status\":0}\n") }, func(c *ComfyUI) error { _, _, err := c.GetBytes("/view", nil); return err },
			"ComfyUI request GET /view failed and the host gave no reason", new(*UnavailableError)},
		{"malformed host answer", func(fakeRequest) []byte { return []byte("garbage") }, func(c *ComfyUI) error { return c.GetJSON("/queue", nil, nil) },
			"sdk: the host's answer to GET /queue is malformed: framed message has no header line", nil},
		{"400", answer(t, 400, "application/json", "{\"error\": {\"type\": \"prompt_outputs_failed_validation\"},\n\t\"node_errors\": {}}"),
			func(c *ComfyUI) error {
				return c.PostJSON("/prompt", map[string]any{"prompt": map[string]any{}}, new(any))
			},
			`ComfyUI answered 400 Bad Request to POST http://127.0.0.1:8188/prompt: {"error": {"type": "prompt_outputs_failed_validation"}, "node_errors": {}}`, new(*StatusError)},
		{"500 with a long body", answer(t, 500, "text/plain", long), func(c *ComfyUI) error { return c.GetJSON("/queue", nil, nil) },
			"ComfyUI answered 500 Internal Server Error to GET http://127.0.0.1:8188/queue: " + strings.Repeat("é", 150) + "…", new(*StatusError)},
		{"unusual status, empty body", answer(t, 418, "", ""), func(c *ComfyUI) error { _, _, err := c.GetBytes("/view", nil); return err },
			"ComfyUI answered 418 to GET http://127.0.0.1:8188/view", new(*StatusError)},
		{"not JSON", answer(t, 200, "text/html", "<html>\n  <body>Login</body>\n</html>"), func(c *ComfyUI) error { return c.GetJSON("/queue", nil, new(any)) },
			"the server at http://127.0.0.1:8188/queue did not answer like ComfyUI (text/html): <html> <body>Login</body> </html>", new(*NotAPIError)},
		{"JSON of another shape", answer(t, 200, "application/json", `[1,2]`), func(c *ComfyUI) error { return c.GetJSON("/queue", nil, new(struct{ A int })) },
			"the server at http://127.0.0.1:8188/queue did not answer like ComfyUI (application/json): [1,2]", new(*NotAPIError)},
		{"trailing data", answer(t, 200, "application/json", `{} {}`), func(c *ComfyUI) error { return c.PostJSON("/interrupt", nil, new(any)) },
			"the server at http://127.0.0.1:8188/interrupt did not answer like ComfyUI (application/json): {} {}", new(*NotAPIError)},
		{"empty body", answer(t, 200, "", ""), func(c *ComfyUI) error { return c.GetJSON("/queue", nil, new(any)) },
			"the server at http://127.0.0.1:8188/queue did not answer like ComfyUI (no content type): empty body", new(*NotAPIError)},
		{"unencodable body", answer(t, 200, "", ""), func(c *ComfyUI) error { return c.PostJSON("/prompt", func() {}, nil) },
			"sdk: encode the body of POST /prompt: json: unsupported type: func()", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newComfyUI(t, tt.respond)
			err := tt.do(c)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tt.want)
			}
			if tt.as != nil && !errors.As(err, tt.as) {
				t.Errorf("error %T is not a %T", err, tt.as)
			}
			var notAPI *NotAPIError
			if errors.As(err, &notAPI) && notAPI.Err == nil {
				t.Errorf("NotAPIError without the decoding error")
			}
		})
	}
}

func TestNotAPIErrorUnwraps(t *testing.T) {
	c, _ := newComfyUI(t, answer(t, 200, "text/html", "<html>"))
	err := c.GetJSON("/queue", nil, new(any))
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		t.Errorf("error %v does not unwrap to the *json.SyntaxError", err)
	}
}

func TestComfyUIJSON(t *testing.T) {
	c, h := newComfyUI(t, answer(t, 200, "application/json", `{"prompt_id":"p1","number":3,"seed":18446744073709551615}`))
	var out map[string]any
	if err := c.GetJSON(Path("history", "p1"), map[string]string{"max_items": "1"}, &out); err != nil {
		t.Fatal(err)
	}
	if out["seed"] != json.Number("18446744073709551615") || out["prompt_id"] != "p1" {
		t.Errorf("decoded %#v, want numbers as json.Number", out)
	}
	var typed struct {
		PromptID string `json:"prompt_id"`
		Seed     uint64 `json:"seed"`
	}
	if err := c.PostJSON("/prompt", json.RawMessage(`{"prompt": {"3": {}}}`), &typed); err != nil {
		t.Fatal(err)
	}
	if typed.PromptID != "p1" || typed.Seed != 18446744073709551615 {
		t.Errorf("decoded %+v", typed)
	}
	if err := c.PostJSON("/interrupt", nil, nil); err != nil {
		t.Fatal(err)
	}
	want := []fakeRequest{
		{requestHeader{Method: "GET", Path: "/history/p1", Query: map[string]string{"max_items": "1"}}, ""},
		{requestHeader{Method: "POST", Path: "/prompt", ContentType: "application/json"}, `{"prompt":{"3":{}}}`},
		{requestHeader{Method: "POST", Path: "/interrupt"}, ""},
	}
	if !reflect.DeepEqual(h.requests, want) {
		t.Errorf("sent\n %+v\nwant\n %+v", h.requests, want)
	}
}

func TestComfyUIGetBytes(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00"
	c, _ := newComfyUI(t, answer(t, 200, "image/png", png))
	body, ct, err := c.GetBytes("/view", map[string]string{"filename": "a.png", "type": "output"})
	if err != nil || string(body) != png || ct != "image/png" {
		t.Errorf("GetBytes = %q, %q, %v", body, ct, err)
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		segments []string
		want     string
	}{
		{nil, "/"},
		{[]string{"queue"}, "/queue"},
		{[]string{"history", "24e8d9f3-7fbb-42c0-8a3e-1a1b90d26b33"}, "/history/24e8d9f3-7fbb-42c0-8a3e-1a1b90d26b33"},
		{[]string{"history", "a/b?c#d"}, "/history/a%2Fb%3Fc%23d"},
		{[]string{"view", "x y%z;é"}, "/view/x%20y%25z%3B%C3%A9"},
		{[]string{"api", ""}, "/api/"},
	}
	for _, tt := range tests {
		if got := Path(tt.segments...); got != tt.want {
			t.Errorf("Path(%q) = %q, want %q", tt.segments, got, tt.want)
		}
	}
	// Every byte escapes exactly as url.PathEscape escapes it.
	for c := range 256 {
		s := "a" + string([]byte{byte(c)}) + "b"
		if got, want := Path(s), "/"+url.PathEscape(s); got != want {
			t.Errorf("Path(%q) = %q, url.PathEscape gives %q", s, got, want)
		}
	}
}

// recorder is a json.Unmarshaler that keeps what it is given.
type recorder struct{ got []byte }

func (r *recorder) UnmarshalJSON(b []byte) error { r.got = b; return nil }

// wholeRecorder also promises to check the whole value itself.
type wholeRecorder struct{ recorder }

func (*wholeRecorder) UnmarshalsWholeValue() {}

// DoJSON checks an answer before a type's own UnmarshalJSON reads it,
// unless the type is a WholeValueUnmarshaler: then the type's verdict
// is the only one, and the answer is scanned once.
func TestDoJSONTrustsWholeValueUnmarshalers(t *testing.T) {
	c, _ := newComfyUI(t, answer(t, 200, "application/json", `{"a": 1} trailing`))
	var plain recorder
	var nae *NotAPIError
	if err := c.GetJSON("/history", nil, &plain); !errors.As(err, &nae) || plain.got != nil {
		t.Errorf("an Unmarshaler got %q of a broken answer, error %v; want the SDK to refuse it first", plain.got, err)
	}
	var whole wholeRecorder
	if err := c.GetJSON("/history", nil, &whole); err != nil || string(whole.got) != `{"a": 1} trailing` {
		t.Errorf("a WholeValueUnmarshaler got %q, error %v; want the answer as it is", whole.got, err)
	}
}

// TestComfyUISelect checks Request.Select against a host that selects
// (as easel does) and one that sends the whole answer (an older easel):
// the plugin sees the same either way.
func TestComfyUISelect(t *testing.T) {
	const history = `{"j/1": {"prompt": [0, "j/1", {}, {}, []], "status": {"status_str": "success", "completed": true}}}`
	hosts := map[string]func(fakeRequest) []byte{
		"selecting": func(req fakeRequest) []byte {
			value, err := jsonread.Shape([]byte(history), req.Select, req.Omit)
			if err != nil {
				t.Fatal(err)
			}
			return frame(t, responseHeader{Status: 200, ContentType: "application/json", URL: "http://h" + req.Path, Selected: true}, string(value))
		},
		"older": answer(t, 200, "application/json", history),
	}
	for name, respond := range hosts {
		c, h := newComfyUI(t, respond)
		var st struct {
			StatusStr string `json:"status_str"`
		}
		resp, err := c.DoJSON(Request{Path: "/history/j%2F1", Select: jsonread.Pointer("j/1", "status")}, &st)
		if err != nil || resp.Missing || st.StatusStr != "success" {
			t.Errorf("%s host: %+v, %v, %+v; want the status", name, resp, err, st)
		}
		if got := h.requests[0].Select; got != "/j~11/status" || h.requests[0].Omit != nil {
			t.Errorf("%s host: sent select %q", name, got)
		}
		var entry struct {
			Prompt json.RawMessage `json:"prompt"`
		}
		if _, err := c.DoJSON(Request{Path: "/history/j%2F1", Select: "/j~11", Omit: []string{"/prompt/*"}}, &entry); err != nil || string(entry.Prompt) != "[null, null, null, null, null]" {
			t.Errorf("%s host, omit: %s, %v; want the prompt's items left out", name, entry.Prompt, err)
		}
		st.StatusStr = "untouched"
		resp, err = c.DoJSON(Request{Path: "/history/j2", Select: jsonread.Pointer("j2", "status")}, &st)
		if err != nil || !resp.Missing || resp.Body != nil || st.StatusStr != "untouched" {
			t.Errorf("%s host, no entry: %+v, %v, %+v; want Missing and out untouched", name, resp, err, st)
		}
	}
	c, _ := newComfyUI(t, answer(t, 200, "text/html", "<html>login</html>"))
	_, err := c.Do(Request{Path: "/history/j", Select: "/j"})
	var notAPI *NotAPIError
	if !errors.As(err, &notAPI) {
		t.Errorf("a 2xx answer that is not JSON, with Select: %v; want a *NotAPIError", err)
	}
	c, _ = newComfyUI(t, answer(t, 404, "text/plain", "404: Not Found"))
	if resp, err := c.Do(Request{Path: "/history/j", Select: "/j"}); err != nil || string(resp.Body) != "404: Not Found" {
		t.Errorf("a 404 with Select: %+v, %v; want the answer whole", resp, err)
	}
}
