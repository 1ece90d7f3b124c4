// Command wait_for_job is the easel plugin behind the wait_for_job tool: it
// blocks until a ComfyUI job ends or a timeout passes, without holding a
// plugin instance — the host waits on its shared event stream (sending
// progress notifications) and resumes the plugin afterwards.
package main

import (
	"time"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	PromptID string `json:"prompt_id" description:"The job's prompt_id" minLength:"1" maxLength:"256"`
	TimeoutS int    `json:"timeout_s,omitempty" default:"50" minimum:"1" maximum:"600" description:"Seconds to wait before returning timed_out=true"`
}

// Output is the job's state once the wait ends, with its outputs.
type Output = comfy.WaitOutcome

const description = `Waits until ONE ComfyUI job (prompt_id) finishes, then returns its outcome (success, error with node and exception, interrupted), timings and output files (comfyui:// URIs; view images with get_image). Sends progress notifications (queue position, running node, sampler steps) when asked. After timeout_s it returns timed_out=true with the current state, not an error: call again to keep waiting. It never cancels the job.`

func init() {
	sdk.Register(sdk.Tool[Input, Output]{
		Name:        "wait_for_job",
		Title:       "Wait for a job",
		Description: description,
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Output, error) {
	r := c.Resumed()
	if r == nil {
		return Output{}, sdk.AwaitJob(in.PromptID, time.Duration(in.TimeoutS)*time.Second, nil)
	}
	return comfy.AfterWait(c.ComfyUI(), in.PromptID, r.Job)
}
