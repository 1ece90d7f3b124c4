// Command wait_for_job is the easel plugin behind the wait_for_job tool: it
// blocks until a ComfyUI job ends or a timeout passes, without holding a
// plugin instance — the host waits on its shared event stream (sending
// progress notifications) and resumes the plugin afterwards.
package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	PromptID string `json:"prompt_id" description:"The prompt ID returned by enqueue_workflow" minLength:"1" maxLength:"256"`
	TimeoutS int    `json:"timeout_s,omitempty" default:"50" minimum:"1" maximum:"600" description:"Seconds to wait before returning timed_out (call again to keep waiting)"`
}

// Output is the job's status once the wait ends, plus its outputs.
type Output struct {
	comfy.JobStatus
	TimedOut bool         `json:"timed_out" description:"The timeout passed first; the job may still be running: call again"`
	Vanished bool         `json:"vanished,omitempty" description:"The job was seen, then left the queue without history: deleted, or lost in a ComfyUI restart"`
	WaitedMS int64        `json:"waited_ms"`
	Outputs  []comfy.File `json:"outputs,omitempty" description:"Files the job wrote (images, video, audio); read images with get_image"`
	Texts    []string     `json:"texts,omitempty" description:"Text outputs"`
}

const description = `Waits until ONE ComfyUI job (prompt_id) finishes, then returns its outcome (success, error with node and exception, interrupted), timings and output files (comfyui:// URIs; fetch images with get_image). Sends progress notifications while waiting (queue position, running node, sampler steps) when the client asks for progress. After timeout_s it returns timed_out=true with the current state instead of failing: call again to keep waiting. Read-only; it never cancels the job (use cancel_job). For a non-blocking check use get_job_status.`

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
	return report(c.ComfyUI(), in.PromptID, r.Job)
}

// report turns the host's verdict into the tool's answer, asking ComfyUI
// for the details.
func report(api *sdk.ComfyUI, id string, job sdk.JobResult) (Output, error) {
	out := Output{WaitedMS: job.WaitedMS}
	out.PromptID = id
	switch job.Status {
	case sdk.JobError:
		return out, errors.New(job.Error)
	case sdk.JobUnknown:
		return out, nil // found=false
	case sdk.JobVanished:
		out.Vanished = true
		return out, nil
	case sdk.JobTimedOut:
		out.TimedOut = true
		var q comfy.Queue
		if err := api.GetJSON("/queue", nil, &q); err != nil {
			return out, err
		}
		out.FromQueue(&q, id)
		return out, nil
	}
	var h map[string]*comfy.HistoryEntry
	if err := api.GetJSON(sdk.Path("history", id), nil, &h); err != nil {
		return out, err
	}
	entry := h[id]
	if entry == nil {
		// The host saw the job finish, so history must exist; say what we
		// know rather than guess an outcome.
		out.Found = true
		return out, fmt.Errorf("ComfyUI reported job %s finished but has no history entry for it (was history cleared?)", id)
	}
	out.FromHistory(entry)
	files, texts := entry.ParseOutputs()
	for _, f := range files {
		f.URI = comfy.FileURI(f)
		out.Outputs = append(out.Outputs, f)
	}
	for _, ts := range texts {
		out.Texts = append(out.Texts, ts...)
	}
	return out, nil
}
