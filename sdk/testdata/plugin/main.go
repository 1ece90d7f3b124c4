// Command plugin is the smallest real plugin: the SDK's tests build it with
// -buildmode=c-shared for wasip1 and check its exports and imports against
// docs/abi.md, because a //go:wasmexport mistake shows only in such a build.
package main

import "github.com/easel-mcp/easel/sdk"

type input struct {
	PromptID string `json:"prompt_id" description:"The prompt ID returned by enqueue_workflow"`
}

type status struct {
	PromptID string `json:"prompt_id"`
	Found    bool   `json:"found"`
}

func init() {
	sdk.Register(sdk.Tool[input, status]{
		Name:        "get_job_status",
		Description: "Checks the status of ONE job.",
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler: func(c *sdk.Call, in input) (status, error) {
			c.Logger().Debug("looking up", "prompt_id", in.PromptID)
			c.Progress(0, 1, "reading history")
			var history map[string]any
			if err := c.ComfyUI().GetJSON(sdk.Path("history", in.PromptID), nil, &history); err != nil {
				return status{}, err
			}
			_, found := history[in.PromptID]
			return status{PromptID: in.PromptID, Found: found}, nil
		},
	})
}

func main() {}
