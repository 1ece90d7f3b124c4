// Command get_queue is the easel plugin behind the get_queue tool: ComfyUI's
// running and pending jobs, in the order the worker will run them.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o get_queue.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	IncludeWorkflows bool `json:"include_workflows" default:"false" description:"Also return each job's prompt graph (API format; large)"`
}

const description = `Lists the ComfyUI queue: the running job and the pending jobs in run order (position 1 runs next), each with prompt_id, queue number, node count, output node ids and client_id.`

func init() {
	sdk.Register(sdk.Tool[Input, Queue]{
		Name:        "get_queue",
		Title:       "Get queue",
		Description: description,
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Queue, error) {
	var answers []sdk.BackendAnswer
	_, err := c.ComfyUI().OnBackend("*").DoJSON(sdk.Request{Method: "GET", Path: "/queue", Omit: unread(in.IncludeWorkflows)}, &answers)
	if err != nil {
		return Queue{}, err
	}
	if len(answers) > 1 {
		return fromBackends(answers, in.IncludeWorkflows), nil
	}
	var q comfy.Queue
	if err := answers[0].Decode(&q); err != nil {
		return Queue{}, err
	}
	return fromQueue(&q, in.IncludeWorkflows), nil
}

// unread is what the host leaves out of every server's /queue (an answer
// of backend "*" is a list: /*/body is one server's): the web UI's graph
// in each job's extra data, tens of kilobytes a job that the tool never
// shows, and without workflows each node's inputs too (the node count
// needs only the keys).
func unread(withWorkflows bool) []string {
	omit := []string{"/*/body/queue_running/*/3/extra_pnginfo", "/*/body/queue_pending/*/3/extra_pnginfo"}
	if !withWorkflows {
		omit = append(omit, "/*/body/queue_running/*/2/*", "/*/body/queue_pending/*/2/*")
	}
	return omit
}
