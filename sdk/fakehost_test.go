package sdk

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// fakeHost is the host interface for native tests: it records what the
// plugin sent and answers ComfyUI requests with a function of the test's.
type fakeHost struct {
	t          testing.TB
	cfg        string // the config host function's answer
	cfgCalls   int
	logs       []string // "level message"
	progresses []string
	requests   []fakeRequest
	// files are the granted files by name.
	files map[string]string
	// respond answers a request; nil answers 404 with an empty body.
	respond func(req fakeRequest) []byte
	// clientLogs are the client_log messages; logLevel, when set, is the
	// least severe level the fake client accepts.
	clientLogs []string
	// sample and elicit answer client_sample and client_elicit; nil
	// answers an error.
	sample, elicit func(req []byte) []byte
	clientRequests []string
}

func (h *fakeHost) clientLog(msg []byte) bool {
	h.clientLogs = append(h.clientLogs, string(msg))
	return true
}

func (h *fakeHost) clientSample(req []byte) []byte {
	h.clientRequests = append(h.clientRequests, string(req))
	if h.sample == nil {
		return []byte(`{"error":"the client has no sampling"}`)
	}
	return h.sample(req)
}

func (h *fakeHost) clientElicit(req []byte) []byte {
	h.clientRequests = append(h.clientRequests, string(req))
	if h.elicit == nil {
		return []byte(`{"error":"the client has no elicitation"}`)
	}
	return h.elicit(req)
}

// fakeRequest is one decoded comfyui_request.
type fakeRequest struct {
	requestHeader
	Body string
}

func (h *fakeHost) config() []byte {
	h.cfgCalls++
	if h.cfg == "" {
		return []byte(`{"tool":"fake","config":{}}`)
	}
	return []byte(h.cfg)
}

func (h *fakeHost) log(level int32, msg string) {
	h.logs = append(h.logs, fmt.Sprintf("%d %s", level, msg))
}

func (h *fakeHost) progress(msg []byte) { h.progresses = append(h.progresses, string(msg)) }

func (h *fakeHost) comfyuiRequest(msg []byte) []byte {
	var req fakeRequest
	body, err := decodeFrame(msg, &req.requestHeader)
	if err != nil {
		h.t.Fatalf("plugin sent a malformed request %q: %v", msg, err)
	}
	req.Body = string(body)
	h.requests = append(h.requests, req)
	if h.respond == nil {
		return frame(h.t, responseHeader{Status: 404, URL: "http://127.0.0.1:8188" + req.Path}, "")
	}
	return h.respond(req)
}

func (h *fakeHost) file(name string) []byte {
	data, ok := h.files[name]
	if !ok {
		return frame(h.t, map[string]string{"error": fmt.Sprintf("file %q is not granted to this tool", name)}, "")
	}
	return frame(h.t, struct{}{}, data)
}

// httpRequest answers outbound requests like a host whose grant allows
// only https://api.example.com.
func (h *fakeHost) httpRequest(msg []byte) []byte {
	var req httpRequestHeader
	body, err := decodeFrame(msg, &req)
	if err != nil {
		h.t.Fatalf("plugin sent a malformed http request %q: %v", msg, err)
	}
	if !strings.HasPrefix(req.URL, "https://api.example.com/") {
		return frame(h.t, httpResponseHeader{Error: "request refused: not granted", Refused: true}, "")
	}
	if strings.HasSuffix(req.URL, "/down") {
		return frame(h.t, httpResponseHeader{Error: "api.example.com unreachable"}, "")
	}
	return frame(h.t, httpResponseHeader{Status: 200, URL: req.URL, Headers: map[string]string{"Content-Type": "text/plain"}}, req.Method+" "+req.Headers["X-Key"]+" "+string(body))
}

func (h *fakeHost) imageThumbnail(req []byte) []byte {
	return frame(h.t, map[string]any{"mime_type": "image/jpeg", "width": 2, "height": 1, "original_width": 4, "original_height": 2, "original_format": "png"}, "thumb:"+string(req[bytes.IndexByte(req, '\n')+1:]))
}

// frame encodes a framed message or fails the test.
func frame(t testing.TB, header any, body string) []byte {
	t.Helper()
	msg, err := encodeFrame(header, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// answer returns a respond function that gives every request the same
// status, content type and body, with the URL the host would report.
func answer(t testing.TB, status int, contentType, body string) func(fakeRequest) []byte {
	return func(req fakeRequest) []byte {
		return frame(t, responseHeader{Status: status, ContentType: contentType, URL: "http://127.0.0.1:8188" + req.Path}, body)
	}
}
