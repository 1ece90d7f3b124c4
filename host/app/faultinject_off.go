//go:build !easel_faultinject

package app

import (
	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/mcpserver"
)

// Fault injection exists only in test binaries (see faultinject.go); a
// normal build serves what it was given.

func (a *App) injectCallFaults(tools []mcpserver.Tool, files mcpserver.FileReader) ([]mcpserver.Tool, mcpserver.FileReader) {
	return tools, files
}

func injectRequestFaults(d comfyui.Doer) comfyui.Doer { return d }
