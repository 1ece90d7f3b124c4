package comfyuitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// saveGraph is the smallest prompt that runs: EmptyImage → SaveImage.
func saveGraph(color int, prefix string) map[string]any {
	return map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": color}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": prefix}},
	}
}

// submitHeld queues a prompt held at its first node (the worker is paused while the hold is
// set, so the prompt cannot finish first) and waits until it sits there.
func submitHeld(t *testing.T, s *Server, prompt map[string]any, opts ...SubmitOption) string {
	t.Helper()
	s.PauseWorker()
	id := s.Submit(t, prompt, opts...)
	s.HoldJob(id)
	s.ResumeWorker()
	if _, err := s.WaitHeld(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	return id
}

// getJSON fetches a route and decodes it, keeping order.
func getJSON(t *testing.T, url string) (int, any) {
	t.Helper()
	status, _, body := do(t, http.MethodGet, url, nil, nil)
	if len(body) == 0 {
		return status, nil
	}
	v, err := decodeJSON(body)
	if err != nil {
		t.Fatalf("GET %s: %q: %v", url, body, err)
	}
	return status, v
}

// historyEntry returns the history entry of a prompt, or nil.
func historyEntry(t *testing.T, s *Server, id string) *object {
	t.Helper()
	_, v := getJSON(t, s.URL+"/history/"+id)
	e, _ := v.(*object).vals[id].(*object)
	return e
}

func messageTypes(h *object) []string {
	var out []string
	for _, m := range h.vals["status"].(*object).vals["messages"].([]any) {
		out = append(out, m.([]any)[0].(string))
	}
	return out
}

func TestAuth(t *testing.T) {
	s := NewServer(t, WithAuth("Authorization", "Bearer s3cret"))
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"missing", nil, http.StatusUnauthorized},
		{"wrong", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"right", map[string]string{"Authorization": "Bearer s3cret"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/queue", "/api/system_stats", "/object_info/SaveImage"} {
				status, _, body := do(t, http.MethodGet, s.URL+path, nil, tt.header)
				if status != tt.want {
					t.Errorf("GET %s: %d, want %d", path, status, tt.want)
				}
				if tt.want == http.StatusUnauthorized && len(body) != 0 {
					t.Errorf("GET %s: 401 with body %q", path, body)
				}
			}
		})
	}
	t.Run("websocket", func(t *testing.T) {
		ctx := ctxT(t)
		_, resp, err := websocket.Dial(ctx, s.WebSocketURL("x"), nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("upgrade without the header: err %v, response %v", err, resp)
		}
		w := dialWS(t, s.WebSocketURL("x"), http.Header{"Authorization": {"Bearer s3cret"}})
		w.waitFor(t, 0, "status", isType("status"))
	})
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name      string
		route     string
		fault     Fault
		method    string
		path      string
		wantCode  int
		wantBody  string
		wantError bool
	}{
		{"status", "GET /queue", Fault{Status: 502, Body: "bad gateway"}, "GET", "/queue", 502, "bad gateway", false},
		{"under /api", "GET /queue", Fault{Status: 503}, "GET", "/api/queue", 503, "", false},
		{"prefix", "GET /history/*", Fault{Status: 500, Body: "x"}, "GET", "/history/abc", 500, "x", false},
		{"prefix does not match the bare route", "GET /history/*", Fault{Status: 500}, "GET", "/history", 200, "{}", false},
		{"other method", "POST /queue", Fault{Status: 500}, "GET", "/queue", 200, `{"queue_running": [], "queue_pending": []}`, false},
		{"any method", "* /queue", Fault{Status: 418}, "GET", "/queue", 418, "", false},
		{"everything", "*", Fault{Status: 599}, "GET", "/features", 599, "", false},
		{"delay then real answer", "GET /features", Fault{Delay: time.Millisecond}, "GET", "/features", 200,
			`{"supports_preview_metadata": true, "max_upload_size": 104857600}`, false},
		{"closed connection", "GET /queue", Fault{CloseConnection: true}, "GET", "/queue", 0, "", true},
		{"truncated real answer", "GET /object_info", Fault{Truncate: true}, "GET", "/object_info", 0, "", true},
		{"truncated fault body", "GET /queue", Fault{Status: 200, Body: "0123456789", Truncate: true}, "GET", "/queue", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(t)
			s.SetFault(tt.route, tt.fault)
			req, _ := http.NewRequest(tt.method, s.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if tt.wantError {
				if err == nil {
					t.Fatalf("got %d %q, want a transport error", resp.StatusCode, body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantCode || string(body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
		})
	}

	t.Run("times and clear", func(t *testing.T) {
		s := NewServer(t)
		s.SetFault("GET /queue", Fault{Status: 500, Times: 2})
		var codes []int
		for range 3 {
			code, _, _ := do(t, http.MethodGet, s.URL+"/queue", nil, nil)
			codes = append(codes, code)
		}
		if fmt.Sprint(codes) != "[500 500 200]" {
			t.Errorf("codes %v, want [500 500 200]", codes)
		}
		s.SetFault("*", Fault{Status: 500})
		s.ClearFaults()
		if code, _, _ := do(t, http.MethodGet, s.URL+"/queue", nil, nil); code != 200 {
			t.Errorf("after ClearFaults: %d", code)
		}
	})

	t.Run("most specific wins", func(t *testing.T) {
		s := NewServer(t)
		s.SetFault("*", Fault{Status: 501})
		s.SetFault("GET /history*", Fault{Status: 502})
		s.SetFault("GET /history/x", Fault{Status: 503})
		for path, want := range map[string]int{"/queue": 501, "/history/y": 502, "/history/x": 503, "/api/history/x": 503} {
			if code, _, _ := do(t, http.MethodGet, s.URL+path, nil, nil); code != want {
				t.Errorf("GET %s: %d, want %d", path, code, want)
			}
		}
	})
}

func TestRequests(t *testing.T) {
	s := NewServer(t)
	s.SetFault("GET /features", Fault{Status: 500})
	do(t, http.MethodGet, s.URL+"/history?max_items=2", nil, nil)
	do(t, http.MethodPost, s.URL+"/api/interrupt", []byte(`{}`), map[string]string{"X-Test": "1"})
	do(t, http.MethodGet, s.URL+"/features", nil, nil)
	s.Submit(t, saveGraph(0, "x")) // set-up, not recorded
	var got []string
	for _, r := range s.Requests() {
		got = append(got, r.String())
	}
	want := []string{"GET /history?max_items=2", "POST /api/interrupt", "GET /features"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("requests %q, want %q", got, want)
	}
	if r := s.Requests()[1]; string(r.Body) != "{}" || r.Header.Get("X-Test") != "1" {
		t.Errorf("recorded body %q and header %v", r.Body, r.Header)
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests after ResetRequests", n)
	}
}

func TestDownUp(t *testing.T) {
	s := NewServer(t)
	ctx := ctxT(t)
	first := s.Submit(t, saveGraph(1, "keep"))
	if err := s.WaitJob(ctx, first); err != nil {
		t.Fatal(err)
	}
	running := submitHeld(t, s, saveGraph(2, "lost"))
	w := dialWS(t, s.WebSocketURL("a"), nil)
	w.waitFor(t, 0, "status", isType("status"))

	s.Down()
	if _, err := http.Get(s.URL + "/queue"); err == nil {
		t.Error("GET /queue succeeded while down")
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		t.Error("WebSocket still open after Down")
	}
	if err := s.WaitJob(ctx, running); err == nil || !strings.Contains(err.Error(), "lost") {
		t.Errorf("WaitJob of the running job after Down: %v", err)
	}

	s.Up()
	if _, h := getJSON(t, s.URL+"/history"); h.(*object).len() != 0 {
		t.Errorf("history survived the restart: %s", encodeJSON(h))
	}
	id := s.Submit(t, saveGraph(3, "keep"))
	if err := s.WaitJob(ctx, id); err != nil {
		t.Fatal(err)
	}
	h := historyEntry(t, s, id)
	if n := h.vals["prompt"].([]any)[0]; fmt.Sprint(n) != "0" {
		t.Errorf("number after restart %v, want 0", n)
	}
	// Output files are on disk: the counter continues.
	name := h.vals["outputs"].(*object).vals["2"].(*object).vals["images"].([]any)[0].(*object).str("filename")
	if name != "keep_00002_.png" {
		t.Errorf("file after restart %q, want keep_00002_.png", name)
	}
	if code, _, _ := do(t, http.MethodGet, s.URL+"/view?filename=keep_00001_.png", nil, nil); code != 200 {
		t.Errorf("file saved before the restart: %d", code)
	}
	s.Up() // no-op on a running server
}

func TestHistoryDelay(t *testing.T) {
	s := NewServer(t, WithHistoryDelay(time.Hour))
	w := dialWS(t, s.WebSocketURL("a"), nil)
	id := s.Submit(t, saveGraph(0, "x"), WithClientID("a"))
	w.waitFor(t, 0, "execution_success", isType("execution_success"))
	// The job has left the queue but has no history yet: the race a poller must survive.
	if _, q := getJSON(t, s.URL+"/queue"); string(encodeJSON(q)) != `{"queue_running": [], "queue_pending": []}` {
		t.Errorf("queue %s", encodeJSON(q))
	}
	if _, h := getJSON(t, s.URL+"/history/"+id); h.(*object).len() != 0 {
		t.Errorf("history %s", encodeJSON(h))
	}
}

// TestServiceTime checks that requests are served one at a time, each
// taking at least the service time (a lower bound, which no scheduler
// delay can break), and that the event stream is not held back by it.
func TestServiceTime(t *testing.T) {
	const d, n = 30 * time.Millisecond, 4
	s := NewServer(t, WithServiceTime(d))
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, _, _ := do(t, http.MethodGet, s.URL+"/queue", nil, nil); status != 200 {
				t.Errorf("GET /queue: %d", status)
			}
		}()
	}
	wg.Wait()
	if took := time.Since(start); took < n*d {
		t.Errorf("%d concurrent requests took %v, want at least %v (served one at a time)", n, took, n*d)
	}
	w := dialWS(t, s.WebSocketURL("a"), nil)
	id := s.Submit(t, saveGraph(0, "st"), WithClientID("a"))
	w.waitFor(t, 0, "execution_success", isType("execution_success"))
	if _, h := getJSON(t, s.URL+"/history/"+id); h.(*object).len() != 1 {
		t.Errorf("history %s", encodeJSON(h))
	}
}

func TestPauseAndQueueOrder(t *testing.T) {
	s := NewServer(t)
	s.PauseWorker()
	post := func(body string) *object {
		status, _, b := do(t, http.MethodPost, s.URL+"/prompt", []byte(body), nil)
		if status != 200 {
			t.Fatalf("POST /prompt %s: %d %s", body, status, b)
		}
		v, _ := decodeJSON(b)
		return v.(*object)
	}
	graph := string(encodeJSON(mustGo(saveGraph(0, "q"))))
	a := post(`{"prompt": ` + graph + `}`)
	b := post(`{"prompt": ` + graph + `, "front": true}`)
	c := post(`{"prompt": ` + graph + `, "number": 5}`)
	for obj, want := range map[*object]string{a: "0", b: "-1", c: "5.0"} {
		if got := string(encodeJSON(obj.vals["number"])); got != want {
			t.Errorf("number %s, want %s", got, want)
		}
	}
	_, q := getJSON(t, s.URL+"/queue")
	pending := q.(*object).vals["queue_pending"].([]any)
	var order []string
	for _, it := range pending {
		order = append(order, pyStr(it.([]any)[0]))
	}
	// The raw heap after pushing 0, -1, 5.0: [-1, 0, 5.0].
	if strings.Join(order, " ") != "-1 0 5.0" {
		t.Errorf("pending numbers %v", order)
	}
	s.ResumeWorker()
	ctx := ctxT(t)
	for _, o := range []*object{a, b, c} {
		if err := s.WaitJob(ctx, o.str("prompt_id")); err != nil {
			t.Fatal(err)
		}
	}
	_, hist := getJSON(t, s.URL+"/history")
	if keys := hist.(*object).keys; strings.Join(keys, ",") != strings.Join([]string{b.str("prompt_id"), a.str("prompt_id"), c.str("prompt_id")}, ",") {
		t.Errorf("history order %v: want front, first, explicit number", keys)
	}
}

func mustGo(v any) any {
	o, err := fromGo(v)
	if err != nil {
		panic(err)
	}
	return o
}

func TestInterrupt(t *testing.T) {
	tests := []struct {
		name     string
		body     string // "" posts no body; "ID" is replaced by the running prompt's id
		wantStop bool
	}{
		{"global", "", true},
		{"this prompt", `{"prompt_id": "ID"}`, true},
		{"another prompt", `{"prompt_id": "other"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(t)
			ctx := ctxT(t)
			id := submitHeld(t, s, saveGraph(0, "i"))
			pending := s.Submit(t, saveGraph(1, "p"))
			code, _, body := do(t, http.MethodPost, s.URL+"/interrupt", []byte(strings.ReplaceAll(tt.body, "ID", id)), nil)
			if code != 200 || len(body) != 0 {
				t.Errorf("POST /interrupt: %d %q", code, body)
			}
			if !tt.wantStop {
				s.ReleaseJob(id)
			}
			if err := s.WaitJob(ctx, id); err != nil {
				t.Fatal(err)
			}
			h := historyEntry(t, s, id)
			types := strings.Join(messageTypes(h), ",")
			status := h.vals["status"].(*object).str("status_str")
			if tt.wantStop {
				if types != "execution_start,execution_cached,execution_interrupted" || status != "error" {
					t.Errorf("messages %s, status %s", types, status)
				}
				msg := h.vals["status"].(*object).vals["messages"].([]any)[2].([]any)[1].(*object)
				if msg.str("node_id") != "1" || msg.str("node_type") != "EmptyImage" {
					t.Errorf("interrupted at %s", encodeJSON(msg))
				}
			} else if types != "execution_start,execution_cached,execution_success" {
				t.Errorf("messages %s", types)
			}
			// Pending prompts are not affected.
			if err := s.WaitJob(ctx, pending); err != nil {
				t.Fatal(err)
			}
			if types := messageTypes(historyEntry(t, s, pending)); types[2] != "execution_success" {
				t.Errorf("pending prompt: %v", types)
			}
		})
	}
}

func TestFailJob(t *testing.T) {
	tests := []struct {
		name     string
		fail     ExecutionError
		wantNode string
		wantType string
		wantMsg  string
	}{
		{"named node", ExecutionError{NodeID: "2", ExceptionType: "IndexError", ExceptionMessage: "index 3 is out of bounds"},
			"2", "IndexError", "index 3 is out of bounds\n"},
		{"out of memory, with ComfyUI's tips", ExecutionError{NodeID: "2", ExceptionType: "torch.OutOfMemoryError", ExceptionMessage: "Allocation on device "},
			"2", "torch.OutOfMemoryError", "Allocation on device \nThis error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number."},
		{"defaults", ExecutionError{}, "1", "RuntimeError", "emulated failure\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(t)
			ctx := ctxT(t)
			w := dialWS(t, s.WebSocketURL("a"), nil)
			// The same prompt runs first without failure, so the second run would be cached.
			ok := s.Submit(t, saveGraph(0, "f"), WithClientID("a"))
			if err := s.WaitJob(ctx, ok); err != nil {
				t.Fatal(err)
			}
			s.FailJob("bad", tt.fail)
			id := s.Submit(t, saveGraph(0, "f"), WithClientID("a"), WithPromptID("bad"))
			end := w.waitFor(t, 0, "end", isDone(id))
			i := w.waitFor(t, 0, "execution_error", isType("execution_error"))
			if i > end {
				t.Fatal("execution_error after the end")
			}
			e := w.frames(i, i+1)[0].(*object).vals["data"].(*object)
			var keys []string
			keys = append(keys, e.keys...)
			if strings.Join(keys, ",") != "prompt_id,node_id,node_type,executed,exception_message,exception_type,traceback,current_inputs,current_outputs,timestamp" {
				t.Errorf("execution_error keys %v", keys)
			}
			if e.str("node_id") != tt.wantNode || e.str("exception_type") != tt.wantType || e.str("exception_message") != tt.wantMsg {
				t.Errorf("execution_error %s", encodeJSON(e))
			}
			h := historyEntry(t, s, id)
			if st := h.vals["status"].(*object); st.str("status_str") != "error" || st.vals["completed"] != false {
				t.Errorf("history status %s", encodeJSON(st))
			}
			// A failure applies to one run: the same id runs again normally.
			id2 := s.Submit(t, saveGraph(0, "f"), WithPromptID("bad"))
			if err := s.WaitJob(ctx, id2); err != nil {
				t.Fatal(err)
			}
			if types := messageTypes(historyEntry(t, s, id2)); types[2] != "execution_success" {
				t.Errorf("second run: %v", types)
			}
		})
	}
}

func TestPartialCache(t *testing.T) {
	s := NewServer(t)
	ctx := ctxT(t)
	w := dialWS(t, s.WebSocketURL("a"), nil)
	first := s.Submit(t, saveGraph(7, "c"), WithClientID("a"))
	w.waitFor(t, 0, "end", isDone(first))
	from := w.len()
	second := s.Submit(t, map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 7}},
		"3": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
		"4": map[string]any{"class_type": "PreviewImage", "inputs": map[string]any{"images": []any{"3", 0}}},
	}, WithClientID("a"))
	end := w.waitFor(t, from, "end", isDone(second))
	var seq []string
	for _, f := range w.frames(from, end+1) {
		m := f.(*object)
		d, _ := m.vals["data"].(*object)
		switch m.str("type") {
		case "executing":
			if n, _ := d.get("node"); n != nil {
				seq = append(seq, "executing "+n.(string))
			}
		case "execution_cached":
			seq = append(seq, "cached "+string(encodeJSON(d.vals["nodes"])))
		}
	}
	// EmptyImage is cached from the first prompt: it is neither re-run nor even staged.
	if got := strings.Join(seq, "; "); got != `cached ["1"]; executing 4; executing 3` && got != `cached ["1"]; executing 3; executing 4` {
		t.Errorf("sequence %s", got)
	}
	if err := s.WaitJob(ctx, second); err != nil {
		t.Fatal(err)
	}
}

func TestUpload(t *testing.T) {
	s := NewServer(t)
	png1 := examplePNG()
	png2 := append(append([]byte(nil), png1...), 0) // different content
	tests := []struct {
		name     string
		file     string
		data     []byte
		fields   map[string]string
		wantCode int
		wantName string
	}{
		{"new", "a.png", png1, nil, 200, "a.png"},
		{"same content keeps the name", "a.png", png1, nil, 200, "a.png"},
		{"different content is renamed", "a.png", png2, nil, 200, "a (1).png"},
		{"again renamed", "a.png", append(png2, 1), nil, 200, "a (2).png"},
		{"overwrite", "a.png", png2, map[string]string{"overwrite": "true"}, 200, "a.png"},
		{"subfolder", "b.png", png1, map[string]string{"subfolder": "sub"}, 200, "b.png"},
		{"escaping subfolder", "c.png", png1, map[string]string{"subfolder": "../x"}, 400, ""},
		{"bad type", "c.png", png1, map[string]string{"type": "models"}, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := postMultipart(t, s.URL+"/upload/image", tt.file, tt.data, tt.fields)
			if code != tt.wantCode {
				t.Fatalf("status %d %q, want %d", code, body, tt.wantCode)
			}
			if tt.wantName != "" {
				v, _ := decodeJSON(body)
				if name := v.(*object).str("name"); name != tt.wantName {
					t.Errorf("name %q, want %q", name, tt.wantName)
				}
			}
		})
	}
	_, info := getJSON(t, s.URL+"/object_info/LoadImage")
	combo := info.(*object).vals["LoadImage"].(*object).vals["input"].(*object).vals["required"].(*object).vals["image"].([]any)[0]
	if got := string(encodeJSON(combo)); got != `["a (1).png", "a (2).png", "a.png", "example.png"]` {
		t.Errorf("LoadImage combo %s", got)
	}
	// An upload in a subfolder is not listed but loads.
	id := s.Submit(t, map[string]any{
		"1": map[string]any{"class_type": "LoadImage", "inputs": map[string]any{"image": "sub/b.png"}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "l"}},
	})
	if err := s.WaitJob(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	saved, ok := s.File("output", "", "l_00001_.png")
	if !ok {
		t.Fatal("LoadImage → SaveImage wrote nothing")
	}
	if code, _, _ := do(t, http.MethodPost, s.URL+"/upload/image", []byte("x"), nil); code != 400 {
		t.Errorf("upload without a file: %d", code)
	}
	_ = saved
}

func TestView(t *testing.T) {
	s := NewServer(t)
	id := s.Submit(t, saveGraph(0xff0000, "sub/v"))
	if err := s.WaitJob(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  int
	}{
		{"filename=v_00001_.png&subfolder=sub", 200},
		{"filename=v_00001_.png&subfolder=sub&type=output", 200},
		{"filename=v_00001_.png [output]&subfolder=sub&type=bogus", 200},
		{"filename=v_00001_.png&subfolder=sub&channel=rgb", 200},
		{"filename=v_00001_.png&subfolder=sub&preview=jpeg;80", 200},
		{"filename=v_00001_.png", 404},
		{"filename=v_00001_.png&subfolder=sub&type=temp", 404},
		{"filename=v_00001_.png&subfolder=../sub", 403},
		{"filename=v_00001_.png&subfolder=/etc", 403},
		{"filename=../v_00001_.png", 400},
		{"filename=/v_00001_.png", 400},
		{"filename=", 400},
		{"filename=x.png&type=bogus", 400},
		{"type=output", 404},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, header, body := do(t, http.MethodGet, s.URL+"/view?"+strings.ReplaceAll(tt.query, " ", "%20"), nil, nil)
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if code == 200 && !strings.HasPrefix(header.Get("Content-Type"), "image/") {
				t.Errorf("Content-Type %q", header.Get("Content-Type"))
			}
			if code == 200 && !strings.Contains(tt.query, "preview") && !bytes.HasPrefix(body, []byte("\x89PNG")) {
				t.Errorf("body is not a PNG")
			}
		})
	}
}

func TestWebSocketReconnectWhileRunning(t *testing.T) {
	s := NewServer(t)
	ctx := ctxT(t)
	id := submitHeld(t, s, saveGraph(0, "r"), WithClientID("c"))
	_ = ctx
	w := dialWS(t, s.WebSocketURL("c"), nil)
	i := w.waitFor(t, 0, "executing", isType("executing"))
	if got := string(encodeJSON(w.frames(i, i+1)[0])); got != `{"type": "executing", "data": {"node": "1"}}` {
		t.Errorf("reconnect frame %s", got)
	}
	// feature_flags is answered only as the first message.
	w.send(t, newObject("type", "hello"))
	w.send(t, newObject("type", "feature_flags", "data", newObject()))
	s.ReleaseJob(id)
	end := w.waitFor(t, i, "end", isDone(id))
	for _, f := range w.frames(0, end) {
		if f.(*object).str("type") == "feature_flags" {
			t.Error("feature_flags answered after another first message")
		}
	}
}

func TestHistoryQuery(t *testing.T) {
	s := NewServer(t)
	ctx := ctxT(t)
	var ids []string
	for i := range 4 {
		id := s.Submit(t, saveGraph(i, "h"))
		if err := s.WaitJob(ctx, id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	tests := []struct {
		query string
		want  []string // nil: status 500
	}{
		{"", ids},
		{"max_items=2", ids[2:]},
		{"offset=1", ids[1:]},
		{"offset=1&max_items=2", ids[1:3]},
		{"offset=1&max_items=0", ids[1:2]}, // ComfyUI's off-by-one
		{"max_items=0", []string{}},
		{"max_items=x", nil},
		{"offset=1.5", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, _, body := do(t, http.MethodGet, s.URL+"/history?"+tt.query, nil, nil)
			if tt.want == nil {
				if code != 500 || string(body) != "500 Internal Server Error\n\nServer got itself in trouble" {
					t.Errorf("%d %q, want the 500 page", code, body)
				}
				return
			}
			v, _ := decodeJSON(body)
			if got := v.(*object).keys; strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("entries %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidationQuirks(t *testing.T) {
	s := NewServer(t)
	tests := []struct {
		name   string
		prompt string
		status int
		check  func(t *testing.T, body *object)
	}{
		{"one valid output is enough", `{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
			"2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "ok"}},
			"3": {"class_type": "EmptyImage", "inputs": {"width": 0, "height": 8, "batch_size": 1, "color": 0}},
			"4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "bad"}}}`, 200,
			func(t *testing.T, body *object) {
				ne := body.vals["node_errors"].(*object)
				if ne.len() != 1 || ne.vals["3"] == nil {
					t.Errorf("node_errors %s", encodeJSON(ne))
				}
			}},
		{"bad link", `{"2": {"class_type": "SaveImage", "inputs": {"images": ["1"], "filename_prefix": "x"}}}`, 400,
			func(t *testing.T, body *object) {
				if !strings.Contains(string(encodeJSON(body)), `"type": "bad_linked_input"`) {
					t.Errorf("body %s", encodeJSON(body))
				}
			}},
		{"inner exception", `{"1": {"class_type": "ImageInvert", "inputs": {"image": ["99", 0]}},
			"2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}`, 400,
			func(t *testing.T, body *object) {
				e := body.vals["node_errors"].(*object).vals["1"].(*object).vals["errors"].([]any)[0].(*object)
				if e.str("type") != "exception_during_inner_validation" || e.str("details") != "'99'" {
					t.Errorf("error %s", encodeJSON(e))
				}
			}},
		{"coercion is stored", `{"1": {"class_type": "EmptyImage", "inputs": {"width": "8", "height": 8.9, "batch_size": 1, "color": 0}},
			"2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": 5}}}`, 200, nil},
		{"cycle", `{"1": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
			"2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
			"3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}`, 400,
			func(t *testing.T, body *object) {
				if body.vals["error"].(*object).str("type") != "prompt_outputs_failed_validation" {
					t.Errorf("body %s", encodeJSON(body))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, b := do(t, http.MethodPost, s.URL+"/prompt", []byte(`{"prompt": `+tt.prompt+`}`), nil)
			if code != tt.status {
				t.Fatalf("status %d %s", code, b)
			}
			v, _ := decodeJSON(b)
			if tt.check != nil {
				tt.check(t, v.(*object))
			}
		})
	}
	t.Run("coerced values in the queue", func(t *testing.T) {
		s := NewServer(t)
		s.PauseWorker()
		id := s.Submit(t, map[string]any{
			"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": "8", "height": 8.9, "batch_size": 1, "color": 0}},
			"2": map[string]any{"class_type": "ImageBlur", "inputs": map[string]any{"image": []any{"1", 0}, "blur_radius": 1, "sigma": 5}},
			"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": 5}},
		})
		_, q := getJSON(t, s.URL+"/queue")
		item := q.(*object).vals["queue_pending"].([]any)[0].([]any)
		got := string(encodeJSON(item[2]))
		for _, want := range []string{`"width": 8}`, `"height": 8,`, `"sigma": 5.0`, `"filename_prefix": "5"`} {
			if !strings.Contains(got, want) {
				t.Errorf("queued prompt %s lacks %s", got, want)
			}
		}
		_ = id
	})
}

func TestExampleImageAndOrigin(t *testing.T) {
	s := NewServer(t)
	tests := []struct {
		name   string
		method string
		origin string
		want   int
	}{
		{"no origin", "GET", "", 200},
		{"same origin", "GET", s.URL, 200},
		{"same host, no port", "GET", "http://127.0.0.1", 200},
		{"foreign", "GET", "http://evil.example", 403},
		{"options", "OPTIONS", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.origin != "" {
				h["Origin"] = tt.origin
			}
			if code, _, _ := do(t, tt.method, s.URL+"/queue", nil, h); code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
		})
	}
	if code, _, _ := do(t, http.MethodGet, s.URL+"/view?filename=example.png&type=input", nil, nil); code != 200 {
		t.Errorf("example.png: %d", code)
	}
	if code, _, body := do(t, http.MethodDelete, s.URL+"/queue", nil, nil); code != 405 || string(body) != "405: Method Not Allowed" {
		t.Errorf("DELETE /queue: %d %q", code, body)
	}
	if code, _, body := do(t, http.MethodGet, s.URL+"/api/internal/files/output", nil, nil); code != 404 || string(body) != "404: Not Found" {
		t.Errorf("/api/internal: %d %q", code, body)
	}
}

// ownGoroutine matches stack frames of the emulator's goroutines: worker, handlers (the
// WebSockets' included) and WebSocket writers.
var ownGoroutine = regexp.MustCompile(`comfyuitest\.\(\*(instance|Server|wsClient|run)\)`)

// TestNoLeaks checks that Close stops every goroutine the emulator started, WebSockets and
// blocked workers included.
func TestNoLeaks(t *testing.T) {
	s, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	submitHeld(t, s, saveGraph(0, "x"))
	conn, _, err := websocket.Dial(ctx, s.WebSocketURL("a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	s.SetFault("GET /queue", Fault{Delay: time.Hour})
	go http.Get(s.URL + "/queue") //nolint:errcheck // cut off by Close
	for len(s.Requests()) == 0 {
		runtime.Gosched()
	}
	s.Close()
	s.Close() // idempotent
	// Close returns after the process's goroutines ended; net/http's own connection
	// goroutines may take a moment to notice their closed sockets.
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !ownGoroutine.MatchString(stacks) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("goroutines left after Close:\n%s", stacks)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestWaitJobContext(t *testing.T) {
	s := NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitJob(ctx, "never-submitted"); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitJob: %v", err)
	}
}

func TestOptions(t *testing.T) {
	s := NewServer(t, WithNodeDuration(0), WithInputFile("mine.png", examplePNG()))
	ctx := ctxT(t)
	_, info := getJSON(t, s.URL+"/object_info/LoadImageMask")
	combo := info.(*object).vals["LoadImageMask"].(*object).vals["input"].(*object).vals["required"].(*object).vals["image"].([]any)[0]
	if got := string(encodeJSON(combo)); got != `["example.png", "mine.png"]` {
		t.Errorf("LoadImageMask combo %s", got)
	}
	s.PauseWorker()
	first := s.Submit(t, saveGraph(0, "o"))
	front := s.Submit(t, map[string]any{
		"1": map[string]any{"class_type": "LoadImage", "inputs": map[string]any{"image": "mine.png"}},
		"2": map[string]any{"class_type": "PreviewImage", "inputs": map[string]any{"images": []any{"1", 0}}},
	}, WithFront(), WithExtraData(map[string]any{"extra_pnginfo": map[string]any{"workflow": map[string]any{"id": "w"}}}))
	s.ResumeWorker()
	for _, id := range []string{first, front} {
		if err := s.WaitJob(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	_, hist := getJSON(t, s.URL+"/history")
	if keys := hist.(*object).keys; len(keys) != 2 || keys[0] != front {
		t.Errorf("history order %v: the front prompt runs first", keys)
	}
	h := historyEntry(t, s, front)
	if n := string(encodeJSON(h.vals["prompt"].([]any)[0])); n != "-1" {
		t.Errorf("front number %s", n)
	}
	img := h.vals["outputs"].(*object).vals["2"].(*object).vals["images"].([]any)[0].(*object)
	data, ok := s.File(img.str("type"), img.str("subfolder"), img.str("filename"))
	if !ok {
		t.Fatalf("no file %s", encodeJSON(img))
	}
	if texts := pngTexts(data); texts["workflow"] != `{"id": "w"}` || !strings.Contains(texts["prompt"], `"LoadImage"`) {
		t.Errorf("PNG text chunks %v", texts)
	}
}
