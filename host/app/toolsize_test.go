package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// maxToolListBytes is the budget for the bundled tools/list (issue 6): every
// byte of it is read by the client's model on every session, so the
// descriptions must say what an agent needs and nothing twice.
const maxToolListBytes = 25000

// TestBundledToolListSize keeps the JSON of the tools array that tools/list
// sends for the bundled tools.yaml within maxToolListBytes. It serves the
// committed tool.json files (TestBundledToolJSON keeps them equal to the
// plugins), so it builds nothing. Run with -v for the bytes per tool.
func TestBundledToolListSize(t *testing.T) {
	raw := bundledToolList(t, nil)
	var tools []json.RawMessage
	if err := json.Unmarshal(raw, &tools); err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools {
		var named struct{ Name string }
		json.Unmarshal(tl, &named)
		t.Logf("%-18s %6d B", named.Name, len(tl))
	}
	t.Logf("tools/list: %d tools, %d B", len(tools), len(raw))
	if len(tools) != 15 {
		t.Errorf("tools/list has %d tools, want the 15 of tools.yaml", len(tools))
	}
	if len(raw) > maxToolListBytes {
		t.Errorf("the bundled tools/list is %d B of JSON, over the budget of %d B: tighten the descriptions (run with -v for the bytes per tool)", len(raw), maxToolListBytes)
	}
}

// serve --tools narrows what tools/list sends.
func TestToolListSizeWithToolsFilter(t *testing.T) {
	all := bundledToolList(t, nil)
	some := bundledToolList(t, []string{"get_*"})
	var tools []struct{ Name string }
	if err := json.Unmarshal(some, &tools); err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools {
		if !strings.HasPrefix(tl.Name, "get_") {
			t.Errorf("--tools get_* served %s", tl.Name)
		}
	}
	t.Logf("tools/list with --tools 'get_*': %d tools, %d B (all: %d B)", len(tools), len(some), len(all))
	if len(tools) == 0 || len(some) >= len(all) {
		t.Errorf("--tools get_*: %d tools, %d B; want fewer than all (%d B)", len(tools), len(some), len(all))
	}
}

// bundledToolList serves the repository's tools.yaml, narrowed to patterns
// as `serve --tools` does, over stdio and returns the tools array of its
// tools/list result, byte for byte as the server sent it.
func bundledToolList(t *testing.T, patterns []string) json.RawMessage {
	t.Helper()
	cfg := loadConfig(t, filepath.Join("..", "..", "tools.yaml"), map[string]string{"EASEL_CACHE_DIR": t.TempDir()})
	if err := cfg.SelectTools(patterns); err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, Options{Logger: quietLogger(), Select: patterns})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- a.mcp.ServeStdio(ctx, inR, outW); outW.Close() }()
	defer func() { inW.Close(); <-done }()
	go func() {
		fmt.Fprintln(inW, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"toolsize","version":"1"}}}`)
		fmt.Fprintln(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		fmt.Fprintln(inW, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	}()
	lines := bufio.NewScanner(outR)
	lines.Buffer(nil, 1<<22)
	for lines.Scan() {
		var resp struct {
			ID     int
			Result struct{ Tools json.RawMessage }
			Error  json.RawMessage
		}
		if err := json.Unmarshal(lines.Bytes(), &resp); err != nil {
			t.Fatalf("not a JSON-RPC frame: %s", lines.Bytes())
		}
		if resp.ID == 2 {
			if resp.Error != nil || resp.Result.Tools == nil {
				t.Fatalf("tools/list: %s", lines.Bytes())
			}
			go io.Copy(io.Discard, outR)
			return resp.Result.Tools
		}
	}
	t.Fatalf("no tools/list response: %v", lines.Err())
	return nil
}
