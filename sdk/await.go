package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Waiting for a ComfyUI job without holding the plugin.
//
// A tool that must wait for a job (wait_for_job, run_workflow) does not
// sleep in the handler: that would pin a WebAssembly instance for minutes.
// It returns AwaitJob(...) as its error instead. The host then releases the
// instance, waits on its shared ComfyUI event stream (sending the MCP
// progress notifications itself) and calls the handler again with the same
// arguments; Call.Resumed reports how the wait ended and carries the state
// the first run saved:
//
//	func handle(c *sdk.Call, in Input) (Output, error) {
//		r := c.Resumed()
//		if r == nil {
//			id, err := enqueue(c, in)
//			if err != nil {
//				return Output{}, err
//			}
//			return Output{}, sdk.AwaitJob(id, 5*time.Minute, id)
//		}
//		var id string
//		r.State(&id)
//		... r.Job.Status is "done", "timed_out", "unknown", "vanished" or "error"
//	}

// Job statuses of a wait, as the host reports them in Resume.Job.Status.
const (
	JobDone     = "done"      // finished (successfully or not); its history exists
	JobTimedOut = "timed_out" // the timeout passed first; the job may still run
	JobUnknown  = "unknown"   // ComfyUI had no such job when the wait began
	JobVanished = "vanished"  // seen, then gone: deleted, or lost in a ComfyUI restart
	JobError    = "error"     // the host could not wait (ComfyUI unreachable...); see Error
)

// awaitRequest is the error value AwaitJob returns; the SDK turns it into
// the ABI's await outcome.
type awaitRequest struct {
	PromptID  string          `json:"prompt_id"`
	TimeoutMS int64           `json:"timeout_ms"`
	State     json.RawMessage `json:"-"`
}

func (a *awaitRequest) Error() string {
	return fmt.Sprintf("sdk: waiting for job %s (return AwaitJob's value from the handler)", a.PromptID)
}

// AwaitJob asks the host to wait until the ComfyUI job promptID ends or
// timeout passes, then to run the handler again with Call.Resumed set.
// Return its value as the handler's error. state (any JSON-encodable value,
// or nil) comes back through Resume.State: the second run may happen on
// another instance, so nothing else survives.
func AwaitJob(promptID string, timeout time.Duration, state any) error {
	a := &awaitRequest{PromptID: promptID, TimeoutMS: max(timeout.Milliseconds(), 1)}
	if state != nil {
		b, err := json.Marshal(state)
		if err != nil {
			return fmt.Errorf("sdk: AwaitJob state: %w", err)
		}
		a.State = b
	}
	return a
}

// JobResult is how a wait ended.
type JobResult struct {
	PromptID string `json:"prompt_id"`
	Status   string `json:"status"`
	WaitedMS int64  `json:"waited_ms"`
	// State is the job's last known state when it did not finish:
	// "pending" or "running".
	State string `json:"state,omitempty"`
	// Error says why the host could not wait, with Status JobError.
	Error string `json:"error,omitempty"`
}

// Resume is what a resumed handler learns about the wait it asked for.
type Resume struct {
	Job   JobResult
	state json.RawMessage
}

// State decodes the state passed to AwaitJob into v.
func (r *Resume) State(v any) error {
	if len(r.state) == 0 {
		return errors.New("sdk: AwaitJob was given no state")
	}
	return json.Unmarshal(r.state, v)
}

// Resumed returns the outcome of the wait this call resumes after, or nil on
// a call's first run.
func (c *Call) Resumed() *Resume { return c.resume }

// parseResume reads the "resume" member of the call input, already decoded
// generically.
func parseResume(v any) (*Resume, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Job   JobResult       `json:"job"`
		State json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	if string(raw.State) == "null" {
		raw.State = nil
	}
	return &Resume{Job: raw.Job, state: raw.State}, nil
}

// appendAwait encodes the await outcome.
func appendAwait(b []byte, a *awaitRequest) ([]byte, error) {
	job, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	b = append(b, `{"await":{"job":`...)
	b = append(b, job...)
	if len(a.State) > 0 {
		b = append(b, `,"state":`...)
		b = append(b, a.State...)
	}
	return append(b, "}}"...), nil
}
