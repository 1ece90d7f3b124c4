package comfy

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/easel-mcp/easel/sdk"
)

// PromptAPI is the part of the SDK's ComfyUI client that queuing a prompt
// needs; *sdk.ComfyUI implements it. An interface, so that the queuing
// logic is tested natively against a fake.
type PromptAPI interface {
	GetJSON(path string, query map[string]string, out any) error
	PostJSON(path string, body any, out any) error
	ClientID() string
}

// EnqueueOptions are the optional fields of POST /prompt a tool exposes.
type EnqueueOptions struct {
	Front     bool
	ExtraData map[string]any
}

// Enqueued is what a tool that queues a prompt reports.
type Enqueued struct {
	PromptID string `json:"prompt_id" description:"The job's id, for get_job_status and wait_for_job"`
	// Number is a float: ComfyUI answers 5.0 for an explicit number.
	Number         float64 `json:"number" description:"Queue priority: lower runs first; negative when queued at the front"`
	QueueRemaining *int    `json:"queue_remaining,omitempty" description:"Jobs pending or running just after queuing, this one included"`
	// QueueRemainingError says why QueueRemaining is absent: the prompt
	// was queued, only the follow-up GET /prompt failed.
	QueueRemainingError string          `json:"queue_remaining_error,omitempty" description:"Why queue_remaining is absent (the job was queued)"`
	DroppedOutputs      []DroppedOutput `json:"dropped_outputs,omitempty" description:"Output nodes ComfyUI dropped as invalid; the others were queued"`
	NextStep            string          `json:"next_step"`
}

// NextStepAfterQueue is the advice an agent gets with a queued job.
const NextStepAfterQueue = "Call wait_for_job with prompt_id to wait for the result and its output files, or get_job_status to check on it without waiting."

// RejectedError is a workflow ComfyUI refused to queue (POST /prompt
// answered 400 with its validation errors).
type RejectedError struct {
	URL    string
	Prompt *PromptError
}

// Error is the readable explanation: every failing node with its class,
// message and details, then hints.
func (e *RejectedError) Error() string { return e.Prompt.Explain() }

// Enqueue sends prompt to POST /prompt with the host's client_id (so the
// host's event stream follows the job), then reads the queue length. A
// validation failure is a *RejectedError; any other failure is the SDK's
// error, which names the URL and the cause.
func Enqueue(api PromptAPI, prompt map[string]any, opts EnqueueOptions) (*Enqueued, error) {
	body := struct {
		Prompt    map[string]any `json:"prompt"`
		ClientID  string         `json:"client_id,omitempty"`
		Front     bool           `json:"front,omitempty"`
		ExtraData map[string]any `json:"extra_data,omitempty"`
	}{prompt, api.ClientID(), opts.Front, opts.ExtraData}
	var resp struct {
		PromptID   string               `json:"prompt_id"`
		Number     float64              `json:"number"`
		NodeErrors map[string]NodeError `json:"node_errors"`
	}
	if err := api.PostJSON("/prompt", body, &resp); err != nil {
		return nil, rejection(err)
	}
	if resp.PromptID == "" {
		return nil, errors.New("ComfyUI answered POST /prompt with success but no prompt_id, so the job cannot be followed; check the queue with get_queue")
	}
	out := &Enqueued{PromptID: resp.PromptID, Number: resp.Number, NextStep: NextStepAfterQueue}
	out.DroppedOutputs = DroppedOutputs(resp.NodeErrors, prompt)
	var info struct {
		ExecInfo struct {
			QueueRemaining *int `json:"queue_remaining"`
		} `json:"exec_info"`
	}
	switch err := api.GetJSON("/prompt", nil, &info); {
	case err != nil:
		out.QueueRemainingError = "the job was queued, but reading the queue length failed: " + err.Error()
	case info.ExecInfo.QueueRemaining == nil:
		out.QueueRemainingError = "GET /prompt did not report exec_info.queue_remaining"
	default:
		out.QueueRemaining = info.ExecInfo.QueueRemaining
	}
	return out, nil
}

// rejection turns a 400 with ComfyUI's error object into a RejectedError;
// anything else (unreachable, a 500 page, another server) stays the SDK's
// error.
func rejection(err error) error {
	var se *sdk.StatusError
	if !errors.As(err, &se) || se.Status != 400 {
		return err
	}
	var pe PromptError
	if json.Unmarshal(se.Body, &pe) != nil || (pe.Error.Message == "" && len(pe.NodeErrors) == 0) {
		return err
	}
	return &RejectedError{URL: se.URL, Prompt: &pe}
}

// CheckAPIWorkflow catches the shapes POST /prompt would answer with a
// bare 500 page or a confusing error: a node that is not an object, or a
// whole request body passed where its "prompt" belongs.
func CheckAPIWorkflow(w map[string]any) error {
	if inner, ok := w["prompt"].(map[string]any); ok && len(inner) > 0 {
		if _, isNode := inner["class_type"]; !isNode {
			return errors.New(`this looks like a whole POST /prompt body: pass the value of its "prompt" key as the workflow`)
		}
	}
	ids := make([]string, 0, len(w))
	for id := range w {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return NodeIDLess(ids[i], ids[j]) })
	for _, id := range ids {
		if _, ok := w[id].(map[string]any); !ok {
			return fmt.Errorf("node %q of the workflow is not an object: in the API format each node is {\"class_type\": ..., \"inputs\": {...}}", id)
		}
	}
	return nil
}
