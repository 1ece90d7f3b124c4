// Command clear_queue is the easel plugin behind the clear_queue tool: it
// removes every pending ComfyUI job, leaves the running one alone, and
// reports what ComfyUI's queue shows afterwards.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o clear_queue.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments: none.
type Input struct{}

const description = `Removes ALL pending jobs from the ComfyUI queue and returns their count and prompt_ids; they leave no history. The running job is not touched (the result names it; cancel_job stops it). Jobs queued after the clear stay and are listed.`

func init() {
	sdk.Register(sdk.Tool[Input, Cleared]{
		Name:        "clear_queue",
		Title:       "Clear queue",
		Description: description,
		Annotations: sdk.Annotations{Destructive: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, _ Input) (Cleared, error) {
	return clearQueue(c.ComfyUI())
}
