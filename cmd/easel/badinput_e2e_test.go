package main

// Bad input, end to end: raw frames an MCP client library would never send,
// over stdio and streamable HTTP. Each gets the right JSON-RPC or tool error
// with its id (or none when the id cannot be read); nothing crashes or hangs,
// and the next good request is served.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/mcpserver"
)

// JSON-RPC 2.0 error codes.
const (
	codeParse          = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
)

// badInput is one malformed request and the answer it must get.
type badInput struct {
	name  string
	frame string
	// Either JSON-RPC error codes (any of them; -1 for any code), or (none)
	// a tool result, with isError and text containing toolErr when set.
	codes    []int
	toolErr  string
	noAnswer bool // a notification gets none
	// mayIgnore: easel may answer with one of codes or not at all (an
	// object with an id but no method reads as a response to nothing).
	mayIgnore bool
	// id is the id the answer carries ("null" when it cannot be read).
	id string
}

func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

func badInputs() []badInput {
	call := func(id int, args string) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"get_job_status","arguments":%s}}`, id, args)
	}
	return []badInput{
		{name: "truncated JSON", frame: `{"jsonrpc":"2.0","id":1,"method":"tools/ca`, codes: []int{codeParse}, id: "null"},
		{name: "not JSON at all", frame: `hello easel`, codes: []int{codeParse}, id: "null"},
		// Valid JSON that is no request: -32600 by the letter of JSON-RPC,
		// mcp-go answers -32700.
		{name: "a bare number", frame: `42`, codes: []int{codeInvalidRequest, codeParse}, id: "null"},
		{name: "no method", frame: `{"jsonrpc":"2.0","id":2}`, codes: []int{codeInvalidRequest, codeMethodNotFound}, mayIgnore: true, id: "2"},
		{name: "wrong jsonrpc version", frame: `{"jsonrpc":"1.0","id":3,"method":"tools/list"}`, codes: []int{codeInvalidRequest}, id: "3"},
		{name: "unknown method", frame: `{"jsonrpc":"2.0","id":4,"method":"tools/destroy"}`, codes: []int{codeMethodNotFound}, id: "4"},
		{name: "unknown notification", frame: `{"jsonrpc":"2.0","method":"notifications/whatever"}`, noAnswer: true},
		{name: "params not an object", frame: `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":7}`, codes: []int{codeInvalidParams, codeInvalidRequest}, id: "5"},
		{name: "unknown tool", frame: `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"rm_rf","arguments":{}}}`, codes: []int{codeInvalidParams}, id: "6"},
		{name: "arguments not an object", frame: call(7, `"prompt_id=x"`), toolErr: "must be a JSON object", id: "7"},
		{name: "wrong argument type", frame: call(8, `{"prompt_id":42}`), toolErr: "prompt_id", id: "8"},
		{name: "missing required argument", frame: call(9, `{}`), toolErr: "prompt_id", id: "9"},
		{name: "unknown argument", frame: call(10, `{"prompt_id":"x","rm":true}`), toolErr: "rm", id: "10"},
		{name: "huge argument under the message limit", frame: call(11, `{"prompt_id":"`+strings.Repeat("x", 4<<20)+`"}`), toolErr: "prompt_id", id: "11"},
		// encoding/json turns invalid UTF-8 into U+FFFD: an id nobody has.
		{name: "invalid UTF-8 in a string", frame: call(12, "{\"prompt_id\":\"\xff\xfe\xfd\"}"), id: "12"},
		{name: "deeply nested JSON", frame: call(13, `{"prompt_id":"x","deep":`+nested(100000)+`}`), codes: []int{codeParse}, id: "null"},
		{name: "nested within the JSON limit", frame: call(14, `{"prompt_id":"x","deep":`+nested(5000)+`}`), toolErr: "deep", id: "14"},
		{name: "resources/read of a foreign URI", frame: `{"jsonrpc":"2.0","id":15,"method":"resources/read","params":{"uri":"file:///etc/passwd"}}`, codes: []int{-1}, id: "15"},
		{name: "resources/read escaping ComfyUI's folders", frame: `{"jsonrpc":"2.0","id":16,"method":"resources/read","params":{"uri":"comfyui://output/../../etc/passwd"}}`, codes: []int{-1}, id: "16"},
	}
}

// checkAnswer compares an answer with a row.
func checkAnswer(t *testing.T, tt badInput, f frame) {
	t.Helper()
	if string(f.ID) != tt.id {
		t.Errorf("answer id %s, want %s: %.300s", f.ID, tt.id, f.raw)
	}
	switch {
	case len(tt.codes) > 0:
		if f.Error == nil {
			t.Errorf("want JSON-RPC error %v, got %.300s", tt.codes, f.raw)
		} else if tt.codes[0] != -1 && !slices.Contains(tt.codes, f.Error.Code) {
			t.Errorf("error code %d (%s), want one of %v", f.Error.Code, f.Error.Message, tt.codes)
		}
	default:
		isErr, text := toolResult(t, f)
		if tt.toolErr != "" && (!isErr || !strings.Contains(text, tt.toolErr)) {
			t.Errorf("tool result isError=%v %.300q, want an error naming %q", isErr, text, tt.toolErr)
		}
	}
}

func TestBadInputStdio(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	srv := comfyuitest.NewServer(t)
	p := startServeProc(t, binary, srv.URL)
	for _, tt := range badInputs() {
		t.Run(tt.name, func(t *testing.T) {
			p.send(t, tt.frame)
			// A good request after each bad one: its answer proves the
			// process is alive, and fences the bad one's answer.
			p.sendJSON(t, map[string]any{"jsonrpc": "2.0", "id": "ping", "method": "ping"})
			// Tool calls run concurrently: their answer may follow the ping's.
			var answers []frame
			isAnswer := func(f frame) bool {
				// A late answer to an earlier case that easel may ignore
				// ("no method") is not this case's.
				return tt.id == "" || string(f.ID) == tt.id || tt.id == "null" && len(f.ID) == 0
			}
			for pinged := false; !pinged || (len(answers) == 0 && !tt.noAnswer && !tt.mayIgnore); {
				f := p.next(t, 2*time.Minute)
				switch {
				case string(f.ID) == `"ping"`:
					pinged = true
				case f.Method == "" && isAnswer(f):
					answers = append(answers, f)
				}
			}
			switch {
			case tt.noAnswer && len(answers) > 0:
				t.Errorf("a notification was answered: %.300s", answers[0].raw)
			case len(answers) > 1:
				t.Fatalf("%d answers, want 1", len(answers))
			case len(answers) == 1:
				checkAnswer(t, tt, answers[0])
			}
		})
	}
	t.Run("a line over the message limit", func(t *testing.T) {
		// 40 MiB: over mcpserver.DefaultMaxMessageBytes. The line is cut and
		// answered as unparsable; memory stays bounded by the limit.
		big := `{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"get_job_status","arguments":{"prompt_id":"` + strings.Repeat("y", mcpserver.DefaultMaxMessageBytes+8<<20) + `"}}}`
		p.send(t, big)
		f := p.response(t, nil, 2*time.Minute)
		if f.Error == nil || f.Error.Code != codeParse {
			t.Errorf("answer %.300s, want a parse error", f.raw)
		}
		p.sendJSON(t, callFrame("after-big", "get_job_status", map[string]any{"prompt_id": "x"}, ""))
		if isErr, text := toolResult(t, p.response(t, "after-big", time.Minute)); isErr {
			t.Errorf("the next call failed: %s", text)
		}
		if !strings.Contains(p.stderr.String(), "dropped an over-long JSON-RPC message") {
			t.Error("stderr does not log the dropped message")
		}
	})
}

// httpSession is a raw streamable-HTTP session.
type httpSession struct {
	url, id string
}

// post sends body and returns the JSON-RPC messages of the answer (plain
// JSON or an event stream) and the status.
func (s *httpSession) post(t *testing.T, body []byte) (int, []frame) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", s.url, err)
	}
	defer resp.Body.Close()
	if id := resp.Header.Get("Mcp-Session-Id"); id != "" {
		s.id = id
	}
	data, _ := io.ReadAll(resp.Body)
	var frames []frame
	add := func(b []byte) {
		var f frame
		if json.Unmarshal(b, &f) == nil {
			f.raw = b
			frames = append(frames, f)
		}
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				add([]byte(d))
			}
		}
	} else if len(bytes.TrimSpace(data)) > 0 {
		add(data)
	}
	return resp.StatusCode, frames
}

func TestBadInputHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	srv := comfyuitest.NewServer(t)
	s := &httpSession{url: startHTTPProc(t, srv.URL).url}
	if code, fs := s.post(t, []byte(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)); code != 200 || len(fs) != 1 || s.id == "" {
		t.Fatalf("initialize: %d %v, session %q", code, fs, s.id)
	}
	s.post(t, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	// The first call waits for the plugin's background load.
	s.post(t, []byte(`{"jsonrpc":"2.0","id":"warm","method":"tools/call","params":{"name":"get_job_status","arguments":{"prompt_id":"x"}}}`))

	for _, tt := range badInputs() {
		t.Run(tt.name, func(t *testing.T) {
			code, fs := s.post(t, []byte(tt.frame))
			switch {
			case tt.noAnswer, tt.mayIgnore && len(fs) == 0:
				if code != http.StatusAccepted || len(fs) != 0 {
					t.Errorf("got %d %v, want 202 and no body", code, fs)
				}
			case len(fs) != 1:
				t.Fatalf("status %d, %d answers, want 1", code, len(fs))
			default:
				checkAnswer(t, tt, fs[0])
			}
			if code, fs := s.post(t, []byte(`{"jsonrpc":"2.0","id":"ping","method":"ping"}`)); code != 200 || len(fs) != 1 || fs[0].Error != nil {
				t.Fatalf("ping after it: %d %v", code, fs)
			}
		})
	}
	t.Run("a body over the message limit", func(t *testing.T) {
		big := []byte(`{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"get_job_status","arguments":{"prompt_id":"` + strings.Repeat("y", mcpserver.DefaultMaxMessageBytes) + `"}}}`)
		if code, _ := s.post(t, big); code != http.StatusRequestEntityTooLarge {
			t.Errorf("got %d, want 413", code)
		}
	})
}
