package plugin

import (
	"context"
	"log/slog"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/policy"
)

// TestComfyUIRequestSelect checks a comfyui_request's select and omit: the
// host hands back only the value the pointer names in a 2xx JSON answer,
// without what omit names in it, an empty body when there is none, and
// anything else whole and unmarked.
func TestComfyUIRequestSelect(t *testing.T) {
	const history = `{"j1": {"prompt": [0, "j1", {}, {}, []], "outputs": {}, "status": {"status_str": "success", "completed": true, "messages": []}}}`
	answers := map[string]*comfyui.Response{
		"/history/j1":   {Status: 200, ContentType: "application/json", Body: []byte(history)},
		"/history/html": {Status: 200, ContentType: "text/html", Body: []byte("<html>a proxy's login page</html>")},
		"/history/500":  {Status: 500, ContentType: "application/json", Body: []byte(`{"error": "boom"}`)},
		"/history/j2":   {Status: 200, ContentType: "application/json", Body: []byte(history)},
	}
	rec := requesterFunc(func(_ context.Context, req comfyui.Request) (*comfyui.Response, error) {
		resp := *answers[req.Path]
		resp.URL = "http://comfy.test" + req.Path
		return &resp, nil
	})
	p := &Plugin{name: "t", requester: rec, perms: policy.All(), logger: slog.New(slog.DiscardHandler), maxResponse: 1 << 20}
	for _, tc := range []struct{ path, shape, want string }{
		{"/history/j1", `"select":"/j1","omit":["/prompt/2","/status/*"]`, `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1","selected":true}` + "\n" +
			`{"prompt": [0, "j1", null, {}, []], "outputs": {}, "status": {"status_str": null, "completed": null, "messages": null}}`},
		{"/history/j1", `"select":"","omit":["/*/prompt"]`, `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1","selected":true}` + "\n" +
			`{"j1": {"prompt": null, "outputs": {}, "status": {"status_str": "success", "completed": true, "messages": []}}}`},
		{"/history/j2", `"select":"/j2","omit":["/prompt"]`, `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j2","selected":true}` + "\n"},
		{"/history/j1", `"omit":["/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a","/a"]`,
			`{"status":0,"error":"request refused: omit has 33 patterns, more than the 32 the host reads"}` + "\n"},
		{"/history/j1", `"select":"","omit":[""]`, `{"status":0,"error":"request refused: omit: omit pattern \"\" names the whole value"}` + "\n"},
		{"/history/j1", `"select":"/j1/status"`, `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1","selected":true}` + "\n" +
			`{"status_str": "success", "completed": true, "messages": []}`},
		{"/history/j1", `"select":"/j1/status/completed"`, `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1","selected":true}` + "\ntrue"},
		{"/history/j1", `"select":"/j2/status"`, `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1","selected":true}` + "\n"},
		{"/history/j1", `"select":""`, `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1"}` + "\n" + history},
		{"/history/html", `"select":"/j1/status"`, `{"status":200,"content_type":"text/html","url":"http://comfy.test/history/html"}` + "\n<html>a proxy's login page</html>"},
		{"/history/500", `"select":"/error"`, `{"status":500,"content_type":"application/json","url":"http://comfy.test/history/500"}` + "\n" + `{"error": "boom"}`},
		{"/history/j1", `"select":"j1/status"`, `{"status":0,"error":"request refused: select: JSON pointer \"j1/status\" does not start with /"}` + "\n"},
	} {
		msg := `{"method":"GET","path":"` + tc.path + `",` + tc.shape + `}` + "\n"
		if got := string(p.comfyUIRequest(context.Background(), &callState{}, []byte(msg))); got != tc.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tc.path, tc.shape, got, tc.want)
		}
	}
}
