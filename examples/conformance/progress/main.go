// Command progress is the conformance tool test_tool_with_progress: it
// reports progress 0, 50 and 100 of 100, about 50 ms apart, then answers.
package main

import (
	"time"

	"github.com/easel-mcp/easel/sdk"
)

func init() {
	sdk.Register(sdk.Tool[struct{}, *sdk.Result]{
		Name:        "test_tool_with_progress",
		Description: "Reports progress three times (0, 50, 100 of 100) before answering.",
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler: func(c *sdk.Call, _ struct{}) (*sdk.Result, error) {
			for i, p := range []float64{0, 50, 100} {
				if i > 0 {
					time.Sleep(50 * time.Millisecond)
				}
				c.Progress(p, 100, "")
			}
			return sdk.Text("Progress test completed"), nil
		},
	})
}

func main() {}
