package main

import "github.com/easel-mcp/easel/sdk"

type Input struct{}

type Output struct {
	Running int `json:"running" description:"Jobs executing now"`
	Pending int `json:"pending" description:"Jobs waiting in the queue"`
}

func init() {
	sdk.Register(sdk.Tool[Input, Output]{
		Name:        "queue_size",
		Description: "Counts the running and pending jobs of the ComfyUI queue.",
		Annotations: sdk.Annotations{ReadOnly: true},
		Handler: func(c *sdk.Call, _ Input) (Output, error) {
			var q struct {
				Running []any `json:"queue_running"`
				Pending []any `json:"queue_pending"`
			}
			err := c.ComfyUI().GetJSON("/queue", nil, &q)
			return Output{Running: len(q.Running), Pending: len(q.Pending)}, err
		},
	})
}

func main() {}
