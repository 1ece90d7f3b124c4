// Command free_memory is the easel plugin behind the free_memory tool: it
// asks ComfyUI to unload its models and drop its cache (POST /free).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o free_memory.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"errors"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	UnloadModels bool `json:"unload_models" description:"Unload every model from VRAM and RAM" default:"true"`
	FreeMemory   bool `json:"free_memory" description:"Also drop cached node results (needs unload_models); the next run recomputes every node" default:"true"`
}

// Output is the tool's structured result: what was requested, and when
// ComfyUI will act on it. It claims nothing about memory actually freed,
// which ComfyUI does not report.
type Output struct {
	UnloadModels   bool   `json:"unload_models"`
	FreeMemory     bool   `json:"free_memory"`
	QueueRemaining int64  `json:"queue_remaining" description:"Jobs running plus pending when asked"`
	Note           string `json:"note"`
}

const description = `Asks ComfyUI to unload models and drop cached node results, e.g. before a job that needs more VRAM than is free. ComfyUI only sets flags, acted on at once when idle or after the running job ends; no job is interrupted. Nothing confirms memory was freed: see free VRAM with get_system_stats afterwards. Unloaded models reload on next use (a slower first run).`

func init() {
	sdk.Register(sdk.Tool[Input, Output]{
		Name:        "free_memory",
		Title:       "Free memory",
		Description: description,
		// Not read-only: it changes ComfyUI's state. Not destructive: nothing
		// is lost that ComfyUI cannot rebuild (models reload from disk on
		// demand, cached results are recomputed). Idempotent: asking twice
		// sets the same flags.
		Annotations: sdk.Annotations{Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Output, error) {
	if err := check(in); err != nil {
		return Output{}, err
	}
	api := c.ComfyUI()
	// The queue is read first: had it failed after POST /free succeeded, the
	// agent would see an error for a request ComfyUI in fact accepted.
	var q comfy.PromptInfo
	if err := api.GetJSON("/prompt", nil, &q); err != nil {
		return Output{}, err
	}
	body := map[string]bool{"unload_models": in.UnloadModels, "free_memory": in.FreeMemory}
	if err := api.PostJSON("/free", body, nil); err != nil {
		return Output{}, err
	}
	remaining := q.ExecInfo.QueueRemaining.Int64()
	return Output{
		UnloadModels:   in.UnloadModels,
		FreeMemory:     in.FreeMemory,
		QueueRemaining: remaining,
		Note:           note(in, remaining),
	}, nil
}

// check refuses the requests ComfyUI would not carry out as asked. Its
// worker reads the pair as unload = flags.get("unload_models", free_memory)
// and /free records unload_models only when true, so free_memory without
// unload_models unloads the models all the same.
func check(in Input) error {
	switch {
	case !in.UnloadModels && !in.FreeMemory:
		return errors.New(`nothing to do: set "unload_models" (unload models) or "free_memory" (also drop the node cache) to true`)
	case !in.UnloadModels && in.FreeMemory:
		return errors.New(`"free_memory" without "unload_models" is not possible: ComfyUI unloads the models whenever it frees memory. Set "unload_models" to true, or "free_memory" to false to keep the cache`)
	}
	return nil
}
