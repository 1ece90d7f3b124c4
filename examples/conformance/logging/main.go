// Command logging is the conformance tool test_tool_with_logging: it sends
// three log messages to the client (notifications/message), about 50 ms
// apart, at info level.
package main

import (
	"time"

	"github.com/easel-mcp/easel/sdk"
)

func init() {
	sdk.Register(sdk.Tool[struct{}, *sdk.Result]{
		Name:        "test_tool_with_logging",
		Description: "Sends three info log messages to the client while it runs.",
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler: func(c *sdk.Call, _ struct{}) (*sdk.Result, error) {
			for i, msg := range []string{"Tool execution started", "Tool processing data", "Tool execution completed"} {
				if i > 0 {
					time.Sleep(50 * time.Millisecond)
				}
				c.Client().Log(sdk.LogInfo, "test_tool_with_logging", msg)
			}
			return sdk.Text("Logging test completed"), nil
		},
	})
}

func main() {}
