package main

import (
	"encoding/json"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Queue is the tool's structured result.
type Queue struct {
	RunningCount int `json:"running_count"`
	PendingCount int `json:"pending_count"`
	// Jobs is one list rather than running and pending lists so that the
	// outputSchema describes a job once (it has no $defs to share).
	Jobs []Job `json:"jobs" description:"The running job, then the pending ones in execution order"`
	// Backends is set when easel spreads jobs over several ComfyUI servers:
	// Jobs then holds each server's jobs in turn.
	Backends []Backend `json:"backends,omitempty" description:"Each ComfyUI server, when easel has several; jobs are listed server by server"`
}

// Backend is one ComfyUI server's part of the queue.
type Backend struct {
	Name         string            `json:"backend"`
	Labels       map[string]string `json:"labels,omitempty"`
	Healthy      bool              `json:"healthy" description:"Receives new jobs"`
	Problem      string            `json:"problem,omitempty" description:"Why it is not healthy"`
	RunningCount int               `json:"running_count"`
	PendingCount int               `json:"pending_count"`
	Error        string            `json:"error,omitempty" description:"Its queue could not be read; its jobs are missing"`
}

// fromBackends builds the result from every server's /queue: each server's
// jobs in its own execution order, positions counted per server.
func fromBackends(answers []sdk.BackendAnswer, withWorkflows bool) Queue {
	out := Queue{Jobs: []Job{}}
	for _, a := range answers {
		b := Backend{Name: a.Backend, Labels: a.Labels, Healthy: a.Healthy, Problem: a.Problem}
		var q comfy.Queue
		if err := a.Decode(&q); err != nil {
			b.Error = err.Error()
			out.Backends = append(out.Backends, b)
			continue
		}
		part := fromQueue(&q, withWorkflows)
		b.RunningCount, b.PendingCount = part.RunningCount, part.PendingCount
		out.RunningCount += part.RunningCount
		out.PendingCount += part.PendingCount
		for _, j := range part.Jobs {
			j.Backend = a.Backend
			out.Jobs = append(out.Jobs, j)
		}
		out.Backends = append(out.Backends, b)
	}
	return out
}

// Job is one queue item, summarised unless the workflow was asked for.
type Job struct {
	PromptID string `json:"prompt_id"`
	Backend  string `json:"backend,omitempty" description:"Its ComfyUI server, when easel has several"`
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
