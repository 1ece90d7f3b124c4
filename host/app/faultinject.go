//go:build easel_faultinject

package app

import (
	"context"
	"encoding/json"
	"os"
	"strings"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/mcpserver"
	"github.com/easel-mcp/easel/host/plugin"
)

// This file exists only in binaries built with -tags easel_faultinject, for
// the end-to-end tests that prove a panic in the request path costs one call.
// EASEL_FAULT_PANIC names where to panic:
//
//	tool:NAME         in the tool wrapper, before the plugin runs
//	comfyui:PATH      in the comfyui_request host function, for that path
//	resource          in resources/read
func (a *App) injectCallFaults(tools []mcpserver.Tool, files mcpserver.FileReader) ([]mcpserver.Tool, mcpserver.FileReader) {
	kind, arg := fault()
	a.logger.Warn("fault injection build", "EASEL_FAULT_PANIC", os.Getenv("EASEL_FAULT_PANIC"))
	switch kind {
	case "tool":
		for i, t := range tools {
			if t.Name() == arg {
				tools[i] = panickingTool{inner: t}
			}
		}
	case "resource":
		files = panickingFiles{}
	}
	return tools, files
}

func injectRequestFaults(d comfyui.Doer) comfyui.Doer {
	if kind, arg := fault(); kind == "comfyui" {
		return panickingDoer{d, arg}
	}
	return d
}

func fault() (kind, arg string) {
	kind, arg, _ = strings.Cut(os.Getenv("EASEL_FAULT_PANIC"), ":")
	return kind, arg
}

type panickingTool struct{ inner mcpserver.Tool }

func (t panickingTool) Name() string          { return t.inner.Name() }
func (t panickingTool) Tool() plugin.ToolInfo { return t.inner.Tool() }
func (t panickingTool) Call(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
	panic("injected fault: tool " + t.Name())
}

type panickingDoer struct {
	comfyui.Doer
	path string
}

func (d panickingDoer) Do(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	if req.Path == d.path {
		panic("injected fault: comfyui_request " + req.Path)
	}
	return d.Doer.Do(ctx, req)
}

type panickingFiles struct{}

func (panickingFiles) ReadFile(context.Context, string) ([]byte, string, error) {
	panic("injected fault: resources/read")
}
