package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

func TestLineLimiter(t *testing.T) {
	tests := []struct {
		name, in, want string
		max            int
	}{
		{"short lines pass", "ab\ncd\n", "ab\ncd\n", 4},
		{"exactly the limit", "abcd\n", "abcd\n", 4},
		{"over the limit is cut and ended", "abcdefgh\nok\n", "abcd\nok\n", 4},
		{"over the limit at EOF", "abcdefgh", "abcd\n", 4},
		{"several long lines", "aaaaaa\nbbbbbb\ncc\n", "aaaa\nbbbb\ncc\n", 4},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 3, 1 << 10} {
			l := newLineLimiter(iotestChunks(tt.in, chunk), tt.max, slog.New(slog.DiscardHandler))
			got, err := io.ReadAll(l)
			if err != nil || string(got) != tt.want {
				t.Errorf("%s (chunks of %d): got %q, %v; want %q", tt.name, chunk, got, err, tt.want)
			}
		}
	}
}

// iotestChunks reads s at most n bytes at a time, as a pipe may.
func iotestChunks(s string, n int) io.Reader {
	return &chunkReader{s: s, n: n}
}

type chunkReader struct {
	s string
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[k:]
	return k, nil
}

// A panic in a tool becomes an error result and the server keeps serving.
func TestPanicInToolIsAnErrorResult(t *testing.T) {
	boom := newFake("boom", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		var m map[string]int
		m["x"] = 1 // a real runtime panic: assignment to a nil map
		return nil, nil
	})
	ok := newFake("ok", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return json.RawMessage(`{"content":[{"type":"text","text":"fine"}],"structuredContent":{"echo":"fine"}}`), nil
	})
	for name, connectTo := range map[string]func(*testing.T, ...Tool) *client.Client{"in-process": connect, "stdio": connectStdio} {
		t.Run(name, func(t *testing.T) {
			cl := connectTo(t, boom, ok)
			for range 2 {
				res, err := callTool(context.Background(), cl, "boom", map[string]any{}, nil)
				if err != nil || !res.IsError || !strings.Contains(res.Content[0].(mcp.TextContent).Text, "assignment to entry in nil map") {
					t.Fatalf("boom: %+v, %v", res, err)
				}
			}
			res, err := callTool(context.Background(), cl, "ok", map[string]any{}, nil)
			if err != nil || res.IsError {
				t.Fatalf("the next call: %+v, %v", res, err)
			}
		})
	}
}

// Drain lets a call in flight finish, refuses new ones, and reports what
// it had to leave running when its context ends first.
func TestDrain(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	slow := newFake("slow", func(ctx context.Context, _ json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return json.RawMessage(`{"content":[{"type":"text","text":"done"}],"structuredContent":{"echo":"done"}}`), nil
	})
	s, err := New([]Tool{slow}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s.mcp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ireq := mcp.InitializeRequest{}
	ireq.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(context.Background(), ireq); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		res, err := callTool(context.Background(), c, "slow", map[string]any{}, nil)
		if err == nil && res.IsError {
			err = errors.New("error result")
		}
		done <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if left := s.Drain(ctx); left != 1 {
		t.Errorf("Drain with a stuck call = %d, want 1", left)
	}
	cancel()
	if res, err := callTool(context.Background(), c, "slow", map[string]any{}, nil); err != nil || !res.IsError {
		t.Errorf("a call while draining: %+v, %v; want a shutting-down error", res, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("the call in flight: %v", err)
	}
	if left := s.Drain(context.Background()); left != 0 {
		t.Errorf("Drain after the call ended = %d, want 0", left)
	}
}

// FuzzStdioFrames feeds arbitrary bytes as one stdio frame: the server must
// answer (or not) without crashing or hanging, writing only JSON-RPC
// messages to stdout, and still answer a ping after it.
func FuzzStdioFrames(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"x":"y"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"x":42}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":7}`,
		`{"jsonrpc":"2.0","id":1,"method":"nope"}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/ca`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"x\":\"\xff\"}}}",
		strings.Repeat("[", 20000),
		`{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`,
		`{"jsonrpc":"2.0","id":null,"method":"resources/read","params":{"uri":"comfyui://output/../x"}}`,
	} {
		f.Add(seed)
	}
	echo := newFake("echo", func(_ context.Context, args json.RawMessage, _ func(plugin.Progress)) (json.RawMessage, error) {
		b, _ := json.Marshal(string(args))
		return json.RawMessage(`{"content":[{"type":"text","text":` + string(b) + `}],"structuredContent":{"echo":` + string(b) + `}}`), nil
	})
	f.Fuzz(func(t *testing.T, frame string) {
		frame = strings.ReplaceAll(frame, "\n", " ") // one frame
		s, err := New([]Tool{echo}, Options{Version: "fuzz", Logger: slog.New(slog.DiscardHandler), Files: fakeFiles{}})
		if err != nil {
			t.Fatal(err)
		}
		in := strings.NewReader(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}` + "\n" +
			frame + "\n" + `{"jsonrpc":"2.0","id":"last","method":"ping"}` + "\n")
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.ServeStdio(ctx, in, &out); err != nil {
			t.Fatalf("ServeStdio: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatal("ServeStdio hung")
		}
		sawLast := false
		sc := bufio.NewScanner(&out)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var msg struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
			}
			if err := json.Unmarshal(sc.Bytes(), &msg); err != nil || msg.JSONRPC != "2.0" {
				t.Fatalf("stdout carried %q", sc.Bytes())
			}
			sawLast = sawLast || string(msg.ID) == `"last"`
		}
		if !sawLast {
			t.Fatalf("no answer to the ping after %q; stdout %q", frame, out.String())
		}
	})
}
