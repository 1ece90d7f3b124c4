// Command enqueue_workflow is the easel plugin behind the enqueue_workflow
// tool: it queues a ComfyUI workflow and returns its prompt_id without
// waiting. Workflows saved by ComfyUI's editor are converted to the API
// format first, using the server's node definitions.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o enqueue_workflow.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	Workflow  map[string]any `json:"workflow" description:"API format ({node_id: {class_type, inputs}}) or the editor's saved format (nodes, links)"`
	Front     bool           `json:"front,omitempty" default:"false" description:"Queue ahead of the jobs already waiting"`
	ExtraData map[string]any `json:"extra_data,omitempty" description:"ComfyUI extra_data, e.g. {\"extra_pnginfo\": {...}} to embed in PNGs"`
}

// Output is the queued job, plus what converting an editor workflow did.
type Output struct {
	comfy.Enqueued
	ConvertedFromUI bool     `json:"converted_from_ui,omitempty" description:"The workflow was in the editor's format and was converted to the API format"`
	ConversionNotes []string `json:"conversion_notes,omitempty" description:"What the conversion left out or rewired (muted, bypassed nodes)"`
}

const description = `Queues a ComfyUI workflow and returns its prompt_id at once, without waiting. The editor's format is converted to the API format (Export (API) in ComfyUI) with the server's node definitions. A workflow ComfyUI rejects is an error naming each failing node, its class and why. Then call wait_for_job for the outputs, or get_job_status. If tools.yaml offers the workflow as its own tool, call that instead.`

func init() {
	sdk.Register(sdk.Tool[Input, Output]{
		Name:        "enqueue_workflow",
		Title:       "Enqueue workflow",
		Description: description,
		Annotations: sdk.Annotations{}, // queues work: not read-only, not idempotent; removes nothing
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Output, error) {
	api := c.ComfyUI()
	var out Output
	p, err := comfy.PrepareWorkflow(api, "workflow", in.Workflow, in.ExtraData)
	if err != nil {
		return out, err
	}
	out.ConvertedFromUI, out.ConversionNotes = p.ConvertedFromUI, p.ConversionNotes
	enq, err := comfy.Enqueue(api, p.Prompt, comfy.EnqueueOptions{Front: in.Front, ExtraData: p.ExtraData})
	if err != nil {
		return out, err
	}
	out.Enqueued = *enq
	return out, nil
}
