// Command run_workflow is the easel plugin behind the run_workflow tool:
// queue a workflow, wait for it (without holding the plugin) and return its
// outputs, images included as thumbnails the model can see.
package main

import (
	"time"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments. timeout_s defaults to 50 s: most MCP
// clients give up on a call after 60 s, and the answer would be lost with
// the prompt_id to follow the job by.
type Input struct {
	Workflow  map[string]any `json:"workflow" description:"API format ({node_id: {class_type, inputs}}) or the editor's saved format (nodes, links)"`
	ExtraData map[string]any `json:"extra_data,omitempty" description:"ComfyUI extra_data, e.g. {\"extra_pnginfo\": {...}}"`
	TimeoutS  int            `json:"timeout_s,omitempty" default:"50" minimum:"1" maximum:"600" description:"Seconds to wait"`
	MaxImages int            `json:"max_images,omitempty" default:"4" minimum:"0" maximum:"16" description:"Output images shown as thumbnails; all outputs are linked"`
	ImageSize int            `json:"image_size,omitempty" default:"512" minimum:"64" maximum:"2048" description:"Longest side of each thumbnail in pixels"`
}

// Output is the job and how it ended.
type Output struct {
	comfy.RunOutput
	ConvertedFromUI bool     `json:"converted_from_ui,omitempty"`
	ConversionNotes []string `json:"conversion_notes,omitempty"`
}

const description = `Runs a ComfyUI workflow to the end: queues it, waits (progress notifications: queue position, running node, sampler steps) and returns the outcome and output files, images as thumbnails plus comfyui:// links to the full files. A rejected workflow, a failed job (naming the node) or an interrupted one is an error result. After timeout_s the job keeps running: follow it with wait_for_job.`

func init() {
	sdk.Register(sdk.Tool[Input, *sdk.Result]{
		Name:        "run_workflow",
		Title:       "Run workflow",
		Description: description,
		Annotations: sdk.Annotations{}, // queues work: not read-only, not idempotent; removes nothing
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (*sdk.Result, error) {
	api := c.ComfyUI()
	r := c.Resumed()
	if r == nil {
		p, err := comfy.PrepareWorkflow(api, "workflow", in.Workflow, in.ExtraData)
		if err != nil {
			return nil, err
		}
		enq, err := comfy.Enqueue(api, p.Prompt, comfy.EnqueueOptions{ExtraData: p.ExtraData})
		if err != nil {
			return nil, err
		}
		st := Output{RunOutput: comfy.NewRunOutput(enq), ConvertedFromUI: p.ConvertedFromUI, ConversionNotes: p.ConversionNotes}
		return nil, sdk.AwaitJob(enq.PromptID, time.Duration(in.TimeoutS)*time.Second, st)
	}
	var out Output
	if err := r.State(&out); err != nil {
		return nil, err
	}
	outcome, err := comfy.AfterRun(api, out.PromptID, r.Job)
	if err != nil {
		return nil, err
	}
	out.WaitOutcome = outcome
	return comfy.RunResult(c, out, &out.WaitOutcome, comfy.Thumbnails{Max: in.MaxImages, Dimension: in.ImageSize, Bytes: 400_000}), nil
}
