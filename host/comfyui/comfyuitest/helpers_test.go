package comfyuitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// recordingsDir holds the real ComfyUI 0.3.64 captures. CI clones the repository with
// shared/ beside it; elsewhere the golden tests skip.
const recordingsDir = "../../../../shared/comfyui/recordings"

func recordings(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(recordingsDir, "INDEX.tsv")); err != nil {
		t.Skipf("recordings not found at %s: %v", recordingsDir, err)
	}
	return recordingsDir
}

// exchange is one recorded HTTP exchange (get_*, post_*, extra_* files).
type exchange struct {
	Request struct {
		Method  string            `json:"method"`
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers"`
		JSON    json.RawMessage   `json:"json"`
		RawBody *string           `json:"raw_body"`
	} `json:"request"`
	Response struct {
		Status     int               `json:"status"`
		Headers    map[string]string `json:"headers"`
		JSON       json.RawMessage   `json:"json"`
		Text       *string           `json:"text"`
		BodyLength *int              `json:"body_length"`
		SavedAs    string            `json:"body_saved_as"`
	} `json:"response"`
}

func loadExchange(t testing.TB, name string) exchange {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(recordings(t), name))
	if err != nil {
		t.Fatalf("reading recording: %v", err)
	}
	var e exchange
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return e
}

// body is the recorded request body, as the recording client sent it.
func (e exchange) body() []byte {
	switch {
	case e.Request.RawBody != nil:
		return []byte(*e.Request.RawBody)
	case len(e.Request.JSON) > 0:
		return e.Request.JSON
	}
	return nil
}

// responseJSON decodes the recorded response body keeping key order and number literals.
func (e exchange) responseJSON(t testing.TB) any {
	t.Helper()
	v, err := decodeJSON(e.Response.JSON)
	if err != nil {
		t.Fatalf("decoding recorded response: %v", err)
	}
	return v
}

// wsCapture is a recorded WebSocket stream (ws_* files).
type wsCapture struct {
	Messages []struct {
		Direction string          `json:"direction"`
		Data      json.RawMessage `json:"data"`
	} `json:"messages"`
	PromptID  string            `json:"prompt_id"`
	PromptIDs map[string]string `json:"prompt_ids"`
}

// frames returns the server→client frames of a capture, decoded.
func loadFrames(t testing.TB, name string) ([]any, wsCapture) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(recordings(t), name))
	if err != nil {
		t.Fatalf("reading recording: %v", err)
	}
	var c wsCapture
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	var out []any
	for _, m := range c.Messages {
		if m.Direction != "server->client" {
			continue
		}
		v, err := decodeJSON(m.Data)
		if err != nil {
			t.Fatalf("decoding frame of %s: %v", name, err)
		}
		out = append(out, v)
	}
	return out, c
}

// do sends a request to the emulator and returns status, headers and body.
func do(t testing.TB, method, url string, body []byte, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = nil
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, data
}

// normalizer rewrites what legitimately differs between two runs: generated prompt ids
// (mapped to the recording's), timestamps, client sids, PreviewImage's random prefix, the
// printed tensors of current_inputs, and the lists ComfyUI builds from Python sets.
type normalizer struct {
	ids map[string]string // emulator prompt id → recorded prompt id
}

var tempName = regexp.MustCompile(`ComfyUI_temp_[a-z]{5}_`)

func (n *normalizer) apply(v any) any { return n.walk(v, "") }

func (n *normalizer) walk(v any, key string) any {
	switch x := v.(type) {
	case string:
		if id, ok := n.ids[x]; ok {
			return id
		}
		return tempName.ReplaceAllString(x, "ComfyUI_temp_XXXXX_")
	case json.Number, float64, int, int64:
		if key == "timestamp" {
			return json.Number("0")
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = n.walk(e, "")
		}
		switch key {
		case "executed", "current_outputs":
			sortStrings(out)
		case "prompt", "queue_item":
			if len(out) == 5 {
				if outs, ok := out[4].([]any); ok {
					sortStrings(outs)
				}
			}
		case "queue_running", "queue_pending":
			for i, it := range out {
				out[i] = n.walk(it, "queue_item")
			}
			for _, it := range out {
				if l, ok := it.([]any); ok && len(l) == 5 {
					sortStrings(l[4].([]any))
				}
			}
		}
		return out
	case *object:
		out := newObject()
		for _, k := range x.keys {
			nk := k
			if id, ok := n.ids[k]; ok {
				nk = id
			}
			val := x.vals[k]
			switch {
			case k == "sid":
				val = "SID"
			case key == "current_inputs":
				if list, ok := val.([]any); ok && len(list) == 1 {
					if s, ok := list[0].(string); ok && strings.HasPrefix(s, "tensor(") {
						val = []any{"<tensor>"}
					}
				}
			}
			out.set(nk, n.walk(val, k))
		}
		return out
	}
	return v
}

func sortStrings(list []any) {
	sort.SliceStable(list, func(i, j int) bool {
		a, _ := list[i].(string)
		b, _ := list[j].(string)
		return a < b
	})
}

// sameJSON compares two values after normalisation, key order included.
func (n *normalizer) same(t testing.TB, what string, got, want any) bool {
	t.Helper()
	g, w := encodeJSON(n.apply(got)), encodeJSON(n.apply(want))
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from the recording:\n got: %s\nwant: %s", what, clip(g), clip(w))
		return false
	}
	return true
}

func clip(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

// wsRecorder collects every frame a WebSocket client receives, in order.
type wsRecorder struct {
	conn *websocket.Conn
	mu   sync.Mutex
	msgs []any
	more chan struct{} // closed and replaced when a frame arrives
	done chan struct{}
}

func dialWS(t testing.TB, url string, header http.Header) *wsRecorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("dialling %s: %v", url, err)
	}
	conn.SetReadLimit(1 << 24)
	w := &wsRecorder{conn: conn, more: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			v, err := decodeJSON(data)
			if err != nil {
				v = string(data)
			}
			w.mu.Lock()
			w.msgs = append(w.msgs, v)
			close(w.more)
			w.more = make(chan struct{})
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		conn.CloseNow()
		<-w.done
	})
	return w
}

func (w *wsRecorder) send(t testing.TB, v any) {
	t.Helper()
	if err := w.conn.Write(context.Background(), websocket.MessageText, encodeJSON(v)); err != nil {
		t.Fatalf("writing to WebSocket: %v", err)
	}
}

// len is the number of frames received so far.
func (w *wsRecorder) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.msgs)
}

// waitFor waits for the first frame at index from or later that satisfies pred, and returns
// its index. It fails the test if the connection ends or 30s pass (a hang, not a timing
// assertion).
func (w *wsRecorder) waitFor(t testing.TB, from int, what string, pred func(msg *object) bool) int {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		for i := from; i < len(w.msgs); i++ {
			if m, ok := w.msgs[i].(*object); ok && pred(m) {
				w.mu.Unlock()
				return i
			}
		}
		more := w.more
		w.mu.Unlock()
		select {
		case <-more:
		case <-w.done:
			t.Fatalf("WebSocket closed while waiting for %s", what)
		case <-deadline.C:
			t.Fatalf("no %s after 30s; frames: %s", what, clip(encodeJSON(w.frames(from, -1))))
		}
	}
}

// frames returns frames [from, to); to < 0 means all received so far.
func (w *wsRecorder) frames(from, to int) []any {
	w.mu.Lock()
	defer w.mu.Unlock()
	if to < 0 {
		to = len(w.msgs)
	}
	return append([]any(nil), w.msgs[from:to]...)
}

// isType matches frames of a message type, optionally for one prompt and node.
func isType(typ string) func(*object) bool {
	return func(m *object) bool { return m.str("type") == typ }
}

// isDone matches `executing {node: null}` for a prompt: ComfyUI's end-of-prompt signal.
func isDone(promptID string) func(*object) bool {
	return func(m *object) bool {
		if m.str("type") != "executing" {
			return false
		}
		d, _ := m.vals["data"].(*object)
		node, hasNode := d.get("node")
		return d != nil && hasNode && node == nil && d.str("prompt_id") == promptID
	}
}

// isStatus matches a status frame with the given queue_remaining.
func isStatus(remaining int) func(*object) bool {
	return func(m *object) bool {
		if m.str("type") != "status" {
			return false
		}
		d := m.vals["data"].(*object).vals["status"].(*object).vals["exec_info"].(*object)
		return d.vals["queue_remaining"] == remaining || d.vals["queue_remaining"] == json.Number(itoa(remaining))
	}
}

func itoa(n int) string { return string(encodeJSON(n)) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
