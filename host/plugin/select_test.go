package plugin

import (
	"context"
	"log/slog"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/policy"
)

// TestComfyUIRequestSelect checks a comfyui_request's select: the host
// hands back only the value the pointer names in a 2xx JSON answer, an
// empty body when there is none, and anything else whole and unmarked.
func TestComfyUIRequestSelect(t *testing.T) {
	const history = `{"j1": {"prompt": [0, "j1", {}, {}, []], "outputs": {}, "status": {"status_str": "success", "completed": true, "messages": []}}}`
	answers := map[string]*comfyui.Response{
		"/history/j1":   {Status: 200, ContentType: "application/json", Body: []byte(history)},
		"/history/html": {Status: 200, ContentType: "text/html", Body: []byte("<html>a proxy's login page</html>")},
		"/history/500":  {Status: 500, ContentType: "application/json", Body: []byte(`{"error": "boom"}`)},
	}
	rec := requesterFunc(func(_ context.Context, req comfyui.Request) (*comfyui.Response, error) {
		resp := *answers[req.Path]
		resp.URL = "http://comfy.test" + req.Path
		return &resp, nil
	})
	p := &Plugin{name: "t", requester: rec, perms: policy.All(), logger: slog.New(slog.DiscardHandler), maxResponse: 1 << 20}
	for _, tc := range []struct{ path, sel, want string }{
		{"/history/j1", "/j1/status", `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1","selected":true}` + "\n" +
			`{"status_str": "success", "completed": true, "messages": []}`},
		{"/history/j1", "/j1/status/completed", `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1","selected":true}` + "\ntrue"},
		{"/history/j1", "/j2/status", `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1","selected":true}` + "\n"},
		{"/history/j1", "", `{"status":200,"content_type":"application/json","url":"http://comfy.test/history/j1"}` + "\n" + history},
		{"/history/html", "/j1/status", `{"status":200,"content_type":"text/html","url":"http://comfy.test/history/html"}` + "\n<html>a proxy's login page</html>"},
		{"/history/500", "/error", `{"status":500,"content_type":"application/json","url":"http://comfy.test/history/500"}` + "\n" + `{"error": "boom"}`},
		{"/history/j1", "j1/status", `{"status":0,"error":"request refused: select: JSON pointer \"j1/status\" does not start with /"}` + "\n"},
	} {
		msg := `{"method":"GET","path":"` + tc.path + `","select":"` + tc.sel + `"}` + "\n"
		if got := string(p.comfyUIRequest(context.Background(), &callState{}, []byte(msg))); got != tc.want {
			t.Errorf("%s select %q:\n got %s\nwant %s", tc.path, tc.sel, got, tc.want)
		}
	}
}
