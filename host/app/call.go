package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/plugin"
)

// Call runs the tool named name once with args (a JSON object), exactly as
// a tools/call would, waiting for its plugin to load if it is still
// loading. It exists for `easel call`: one call without an MCP client. The
// result is the plugin's CallToolResult; an error is a *plugin.CallError
// (the plugin produced no result) or an unknown tool.
func (a *App) Call(ctx context.Context, name string, args json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error) {
	for _, t := range a.current() {
		if t.cfg.Name == name {
			return t.Call(ctx, args, progress)
		}
	}
	return nil, fmt.Errorf("no tool %q in %s", name, a.cfg.File)
}

// NewComfyUIClient returns the ComfyUI client serve builds from c (base
// URL, auth header, timeouts, size cap), for commands that talk to ComfyUI
// without serving, such as `easel doctor`.
func NewComfyUIClient(c config.ComfyUI) (*comfyui.Client, error) {
	return comfyui.New(comfyuiConfig(c))
}
