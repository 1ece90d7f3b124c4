package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/plugintest"
	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

// callArgs is how a call passes the workflow's parameters: as the
// arguments themselves.
func callArgs(params map[string]any) map[string]any { return params }

// exampleTools are the entries of examples/workflows/tools.yaml, loaded as
// easel loads them.
func exampleTools(t *testing.T) map[string]config.Tool {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "workflows", "tools.yaml"), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]config.Tool{}
	for _, tool := range cfg.Tools {
		tools[tool.Name] = tool
	}
	return tools
}

// loadTool builds this plugin and loads it as the tools.yaml entry entry
// declares it (name, config, files) against url.
func loadTool(t *testing.T, url string, entry config.Tool) *plugintest.Tool {
	t.Helper()
	tool, err := loadPlugin(t, url, entry)
	if err != nil {
		t.Fatal(err)
	}
	return tool
}

// loadPlugin is loadTool returning the load error: a plugin that cannot
// describe itself is refused.
func loadPlugin(t *testing.T, url string, entry config.Tool) (*plugintest.Tool, error) {
	t.Helper()
	return plugintest.TryLoad(t, ".", plugintest.WithComfyUI(url), plugintest.WithName(entry.Name),
		plugintest.WithRawConfig(entry.Config), plugintest.WithFiles(entry.Files))
}

// misconfiguration returns what easel reports for a broken entry: the
// refusal to load it when the plugin checks its config as it describes
// itself, else the error of a call.
func misconfiguration(t *testing.T, url string, entry config.Tool) string {
	t.Helper()
	tool, err := loadPlugin(t, url, entry)
	if err != nil {
		return err.Error()
	}
	res := tool.Call(t, map[string]any{})
	if !res.IsError {
		t.Fatalf("a broken entry answered %s", res.Raw)
	}
	return res.Text()
}

// jobFiles waits for the job in the emulator and returns the output files
// its history lists.
func jobFiles(t *testing.T, srv *comfyuitest.Server, promptID string) []comfy.File {
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

// postedPrompt returns the prompt of the last POST /prompt the emulator
// received, and its client_id.
func postedPrompt(t *testing.T, srv *comfyuitest.Server) (map[string]any, string) {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == "POST" && reqs[i].Path == "/prompt" {
			var body struct {
				Prompt   map[string]any `json:"prompt"`
				ClientID string         `json:"client_id"`
			}
			if err := json.Unmarshal(reqs[i].Body, &body); err != nil {
				t.Fatal(err)
			}
			return body.Prompt, body.ClientID
		}
	}
	return nil, ""
}
