// Command enqueue_workflow is the easel plugin behind the enqueue_workflow
// tool: it queues a ComfyUI workflow and returns its prompt_id without
// waiting. Workflows saved by ComfyUI's editor are converted to the API
// format first, using the server's node definitions.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o enqueue_workflow.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	Workflow  map[string]any `json:"workflow" description:"API format (node id → {class_type, inputs}) or the editor's saved format (nodes and links)"`
	Front     bool           `json:"front,omitempty" default:"false" description:"Queue ahead of the jobs already waiting"`
	ExtraData map[string]any `json:"extra_data,omitempty" description:"ComfyUI extra_data, e.g. {\"extra_pnginfo\": {...}} to embed in saved PNGs"`
}

// Output is the queued job, plus what converting an editor workflow did.
type Output struct {
	comfy.Enqueued
	ConvertedFromUI bool     `json:"converted_from_ui,omitempty" description:"The workflow was in the editor's format and was converted to the API format"`
	ConversionNotes []string `json:"conversion_notes,omitempty" description:"What the conversion left out or rewired (muted, bypassed nodes)"`
}

const description = `Queues a ComfyUI workflow and returns its prompt_id at once, without waiting for it to run. Takes the API format (Workflow → Export (API) in ComfyUI) or the editor's saved format, converted using the server's node definitions. A workflow ComfyUI rejects comes back as an error naming each failing node, its class and why. Then call wait_for_job for the outputs, or get_job_status. For a workflow that tools.yaml offers as its own tool, call that tool instead.`

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
	prompt, extra := in.Workflow, in.ExtraData
	if comfy.IsUIWorkflow(prompt) {
		conv, err := comfy.ConvertUIWorkflow(prompt, classLookup(api))
		if err != nil {
			return out, err
		}
		out.ConvertedFromUI, out.ConversionNotes = true, conv.Notes
		prompt, extra = conv.Prompt, withEditorWorkflow(extra, in.Workflow)
	} else if err := comfy.CheckAPIWorkflow(prompt); err != nil {
		return out, fmt.Errorf("argument %q: %w", "workflow", err)
	}
	enq, err := comfy.Enqueue(api, prompt, comfy.EnqueueOptions{Front: in.Front, ExtraData: extra})
	if err != nil {
		return out, err
	}
	out.Enqueued = *enq
	return out, nil
}

// classLookup reads the declarations of the classes an editor workflow
// uses, one /object_info/{class} request each: a handful of small answers
// rather than the whole catalog, which runs to megabytes with custom nodes.
func classLookup(api *sdk.ComfyUI) comfy.ClassLookup {
	return func(names []string) (map[string]*comfy.ClassInputs, error) {
		classes := map[string]*comfy.ClassInputs{}
		for _, name := range names {
			var info map[string]json.RawMessage
			if err := api.GetJSON(sdk.Path("object_info", name), nil, &info); err != nil {
				return nil, err
			}
			raw, ok := info[name] // an unknown class answers {}
			if !ok {
				continue
			}
			nc, err := comfy.ParseClassInputs(name, raw)
			if err != nil {
				return nil, err
			}
			classes[name] = nc
		}
		return classes, nil
	}
}

// withEditorWorkflow adds the editor workflow to extra_data as the editor
// does when it queues (extra_pnginfo.workflow), so that saved PNGs open in
// the editor again; an extra_pnginfo the caller set is kept.
func withEditorWorkflow(extra, workflow map[string]any) map[string]any {
	if _, set := extra["extra_pnginfo"]; set {
		return extra
	}
	out := maps.Clone(extra)
	if out == nil {
		out = map[string]any{}
	}
	out["extra_pnginfo"] = map[string]any{"workflow": workflow}
	return out
}
