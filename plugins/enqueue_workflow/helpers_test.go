package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/plugintest"
	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

// load builds and loads this plugin against url, as the host does.
func load(t *testing.T, url string) *plugintest.Tool {
	t.Helper()
	return plugintest.Load(t, ".", plugintest.WithComfyUI(url))
}

// recording is one recorded exchange of the shared recordings.
type recording struct {
	Request struct {
		JSON map[string]json.RawMessage `json:"json"`
	} `json:"request"`
	Response struct {
		Status int             `json:"status"`
		JSON   json.RawMessage `json:"json"`
		Text   string          `json:"text"`
	} `json:"response"`
}

func readRecordings(t *testing.T, pattern string) map[string]recording {
	t.Helper()
	recordings := comfyuitest.RecordingsDir()
	files, _ := filepath.Glob(filepath.Join(recordings, pattern))
	if len(files) == 0 {
		t.Skipf("no recordings %s at %s", pattern, recordings)
	}
	recs := map[string]recording{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r recording
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		recs[filepath.Base(f)] = r
	}
	return recs
}

// readJSON decodes a file as the SDK decodes arguments (numbers exact).
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// waitFiles waits for the job in the emulator and returns its history's
// output files.
func waitFiles(t *testing.T, srv *comfyuitest.Server, promptID string) []comfy.File {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitJob(ctx, promptID); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/history/" + promptID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h map[string]*comfy.HistoryEntry
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	e := h[promptID]
	if e == nil {
		t.Fatalf("no history for %s", promptID)
	}
	if sum := e.Summarize(); sum.Outcome != comfy.OutcomeSuccess {
		t.Fatalf("job %s ended %s: %+v", promptID, sum.Outcome, sum.Error)
	}
	files, _ := e.ParseOutputs()
	return files
}

// postedPrompts returns the bodies of the POST /prompt requests the
// emulator received.
func postedPrompts(t *testing.T, reqs []comfyuitest.RecordedRequest) []map[string]any {
	t.Helper()
	var bodies []map[string]any
	for _, r := range reqs {
		if r.Method != "POST" || !strings.HasSuffix(r.Path, "/prompt") {
			continue
		}
		var b map[string]any
		if err := json.Unmarshal(r.Body, &b); err != nil {
			t.Fatalf("POST /prompt body %s: %v", r.Body, err)
		}
		bodies = append(bodies, b)
	}
	return bodies
}
