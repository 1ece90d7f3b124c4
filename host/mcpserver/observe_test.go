package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/plugin"
)

func TestObserveOutcomes(t *testing.T) {
	answer := func(raw string, err error) func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
		return func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
			return json.RawMessage(raw), err
		}
	}
	tools := []Tool{
		newFake("ok", answer(`{"content":[{"type":"text","text":"{\"echo\":1}"}],"structuredContent":{"echo":1}}`, nil)),
		newFake("unstructured", answer(`{"content":[{"type":"text","text":"fine"}]}`, nil)), // declares an outputSchema
		newFake("refused", answer(`{"content":[{"type":"text","text":"ComfyUI said no"}],"isError":true}`, nil)),
		newFake("trap", answer("", &plugin.CallError{Tool: "trap", Reason: "wasm error: unreachable"})),
		newFake("hostfail", answer("", errors.New("instance pool closed"))),
		newFake("garbage", answer(`[1,2]`, nil)),
	}
	var mu sync.Mutex
	got := map[string]string{}
	observe := func(tool, outcome string, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if d <= 0 {
			t.Errorf("%s: duration %v", tool, d)
		}
		got[tool] = outcome
	}
	c := connectWith(t, Options{Observe: observe}, tools...)
	want := map[string]string{"ok": OutcomeOK, "unstructured": OutcomeError, "refused": OutcomeToolError, "trap": OutcomeError, "hostfail": OutcomeError, "garbage": OutcomeError}
	for name := range want {
		if _, err := callTool(context.Background(), c, name, map[string]any{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for name, outcome := range want {
		if got[name] != outcome {
			t.Errorf("%s: outcome %q, want %q", name, got[name], outcome)
		}
	}
}
