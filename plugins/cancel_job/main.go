// Command cancel_job is the easel plugin behind the cancel_job tool: it
// removes one pending ComfyUI job or interrupts it while it runs, and says
// only what ComfyUI confirmed.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o cancel_job.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"time"

	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	PromptID string `json:"prompt_id" minLength:"1" maxLength:"256" description:"The job to cancel"`
}

// Config is the tool's optional tools.yaml `config:` mapping.
type Config struct {
	// InterruptWaitMS bounds the wait for ComfyUI to record an interrupt.
	// ComfyUI checks the flag when a node starts or reports progress, so a
	// long node without progress (a VAE decode, a video save) can take
	// longer than the default; the tool then says the interrupt is pending.
	InterruptWaitMS int `json:"interrupt_wait_ms" default:"10000" minimum:"0" maximum:"60000" description:"How long to wait for ComfyUI to confirm an interrupt"`
}

const description = `Cancels ONE ComfyUI job by prompt_id; no other job is touched. A pending job is removed from the queue (result removed; no history left). The running job is interrupted, which ComfyUI does when its current node ends or reports progress; the tool waits up to ~10 s to confirm (interrupted, else interrupt_requested: check get_job_status later). already_finished and unknown change nothing. Files already written stay on disk.`

func init() {
	sdk.Register(sdk.Tool[Input, Cancel]{
		Name:        "cancel_job",
		Title:       "Cancel job",
		Description: description,
		Annotations: sdk.Annotations{Destructive: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Cancel, error) {
	var cfg Config
	if err := c.Config(&cfg); err != nil {
		return Cancel{}, err
	}
	j := &job{
		c:    c,
		api:  c.ComfyUI().ForJob(in.PromptID), // the job's server, when there are several
		id:   in.PromptID,
		wait: time.Duration(cfg.InterruptWaitMS) * time.Millisecond,
	}
	return j.cancel()
}
