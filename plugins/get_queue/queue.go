package main

import (
	"encoding/json"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

// Queue is the tool's structured result.
type Queue struct {
	RunningCount int `json:"running_count"`
	PendingCount int `json:"pending_count"`
	// Jobs is one list rather than running and pending lists so that the
	// outputSchema describes a job once (it has no $defs to share).
	Jobs []Job `json:"jobs" description:"The running job, then the pending ones in execution order"`
}

// Job is one queue item, summarised unless the workflow was asked for.
type Job struct {
	PromptID string `json:"prompt_id"`
	State    string `json:"state" enum:"running,pending"`
	// Position is absent for the running job, which has left the queue.
	Position int `json:"position,omitempty" description:"1 runs next"`
	// Number is a float: a prompt posted with an explicit number keeps it
	// as a float in ComfyUI 0.3.64, and front-of-queue numbers are negative.
	Number      float64         `json:"number" description:"ComfyUI's queue number: lower runs first, negative if queued at the front"`
	NodeCount   int             `json:"node_count"`
	OutputNodes []string        `json:"output_nodes" description:"Ids of the output nodes it will execute"`
	ClientID    string          `json:"client_id,omitempty" description:"The client id it was queued with, if any"`
	Workflow    json.RawMessage `json:"workflow,omitempty" description:"The prompt graph (API format), with include_workflows"`
}

// fromQueue builds the result. Pending jobs are sorted: ComfyUI sends its
// raw heap array, whose order is not the execution order.
func fromQueue(q *comfy.Queue, withWorkflows bool) Queue {
	pending := q.SortedPending()
	out := Queue{RunningCount: len(q.Running), PendingCount: len(pending), Jobs: []Job{}}
	for _, it := range q.Running {
		out.Jobs = append(out.Jobs, newJob(it, "running", 0, withWorkflows))
	}
	for i, it := range pending {
		out.Jobs = append(out.Jobs, newJob(it, "pending", i+1, withWorkflows))
	}
	return out
}

// newJob summarises a queue item. Of extra_data only client_id is shown:
// ComfyUI keeps the caller's comfy.org auth token and API key there while
// the job is queued (API.md section 8).
func newJob(it comfy.QueueItem, state string, position int, withWorkflow bool) Job {
	j := Job{PromptID: it.PromptID, State: state, Position: position, Number: it.Number, OutputNodes: it.Outputs}
	if j.OutputNodes == nil {
		j.OutputNodes = []string{}
	}
	var graph map[string]json.RawMessage
	if json.Unmarshal(it.Prompt, &graph) == nil {
		j.NodeCount = len(graph)
	}
	var extra struct {
		ClientID string `json:"client_id"`
	}
	if json.Unmarshal(it.ExtraData, &extra) == nil {
		j.ClientID = extra.ClientID
	}
	if withWorkflow && len(it.Prompt) > 0 {
		j.Workflow = it.Prompt
	}
	return j
}
