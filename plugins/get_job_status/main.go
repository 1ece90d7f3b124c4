// Command get_job_status is the easel plugin behind the get_job_status tool:
// the status of one ComfyUI job, decided from /queue and /history the way
// ComfyUI itself records it.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o get_job_status.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"time"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
	"github.com/easel-mcp/easel/sdk/jsonread"
)

// Input is the tool's arguments.
type Input struct {
	PromptID string `json:"prompt_id" description:"The job's prompt_id" minLength:"1" maxLength:"256"`
}

const description = `Checks ONE ComfyUI job by prompt_id, without waiting: pending (with queue position), running, or done, and once done whether it succeeded, failed (node, exception, traceback) or was interrupted, with timings and cached nodes. found=false means ComfyUI has no such job: never queued, deleted from the queue before it ran, or lost when ComfyUI restarted (history is in memory only). get_history lists output files.`

func init() {
	sdk.Register(sdk.Tool[Input, comfy.JobStatus]{
		Name:        "get_job_status",
		Title:       "Get job status",
		Description: description,
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler:     handle,
		// Polled: written without encoding/json's reflection.
		EncodeOutput: comfy.JobStatus.AppendJSON,
	})
}

func main() {}

// historyRetries are the pauses before asking /history again when a job is
// in neither /queue nor /history: newer ComfyUI versions can show a finished
// job in neither for a moment, and reporting it unknown would be false.
var historyRetries = []time.Duration{50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond}

func handle(c *sdk.Call, in Input) (comfy.JobStatus, error) {
	// With several ComfyUI servers, every request goes to the job's.
	api := c.ComfyUI().ForJob(in.PromptID)
	st := comfy.JobStatus{PromptID: in.PromptID}

	// History first: a finished job, the common case when an agent polls,
	// costs one request, half of what /queue then /history costs. A job
	// that finishes between the two requests is in neither at the second,
	// so history is asked again before the job is called unknown, then
	// whole: an entry without a status is still an entry.
	entry, err := historyStatus(api, &st)
	if err != nil {
		return st, err
	}
	if entry != nil {
		st.FromHistory(entry)
		return st, nil
	}
	q, err := queue(api, &st)
	if err != nil {
		return st, err
	}
	if st.FromQueue(q, in.PromptID) {
		return st, nil
	}
	entry, err = history(api, &st)
	for i := 0; err == nil && entry == nil && i < len(historyRetries); i++ {
		time.Sleep(historyRetries[i])
		entry, err = history(api, &st)
	}
	if err != nil {
		return st, err
	}
	if entry == nil {
		// Last look at the queue: the id may have been queued meanwhile.
		if q, err = queue(api, &st); err != nil {
			return st, err
		}
		if !st.FromQueue(q, in.PromptID) {
			st.Backend = ""
		}
		return st, nil
	}
	st.FromHistory(entry)
	return st, nil
}

// queue fetches /queue without its workflows and notes the server that
// answered.
func queue(api *sdk.ComfyUI, st *comfy.JobStatus) (*comfy.Queue, error) {
	q, resp, err := comfy.GetJobQueue(api)
	if err != nil {
		return nil, err
	}
	st.Backend = resp.Backend
	return q, nil
}

// historyStatus fetches /history/{id} with the host selecting the entry's
// status: the entry's prompt holds the job's whole workflow, often with the
// front end's graph, which the host skips natively many times faster than
// this plugin can read it (a 29 KB entry cost 0.56 ms per call read here).
// nil means ComfyUI has no entry with a status for the job.
func historyStatus(api *sdk.ComfyUI, st *comfy.JobStatus) (*comfy.HistoryEntry, error) {
	var s comfy.EntryStatus
	resp, err := api.DoJSON(sdk.Request{Method: "GET", Path: sdk.Path("history", st.PromptID), Select: jsonread.Pointer(st.PromptID, "status")}, &s)
	if err != nil {
		return nil, err
	}
	st.Backend = resp.Backend
	if resp.Missing {
		return nil, nil
	}
	return &comfy.HistoryEntry{Status: s.Status}, nil
}

// history fetches /history/{id}, its status only; nil means ComfyUI has
// no entry for it.
func history(api *sdk.ComfyUI, st *comfy.JobStatus) (*comfy.HistoryEntry, error) {
	var h comfy.JobHistory
	resp, err := api.DoJSON(sdk.Request{Method: "GET", Path: sdk.Path("history", st.PromptID)}, &h)
	if err != nil {
		return nil, err
	}
	st.Backend = resp.Backend
	return h[st.PromptID], nil
}
