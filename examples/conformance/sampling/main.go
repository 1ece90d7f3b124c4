// Command sampling is the conformance tool test_sampling: it asks the
// client's model to answer a prompt (sampling/createMessage) and returns
// the answer.
package main

import (
	"github.com/easel-mcp/easel/sdk"
)

type Input struct {
	Prompt string `json:"prompt" description:"The prompt to send to the client's model" minLength:"1"`
}

func init() {
	sdk.Register(sdk.Tool[Input, *sdk.Result]{
		Name:        "test_sampling",
		Description: "Asks the client's model to answer a prompt (MCP sampling) and returns its answer.",
		Annotations: sdk.Annotations{ReadOnly: true, OpenWorld: true},
		Handler: func(c *sdk.Call, in Input) (*sdk.Result, error) {
			res, err := c.Client().CreateMessage(sdk.SamplingRequest{
				Messages:  []sdk.SamplingMessage{{Role: "user", Content: sdk.Content{Type: "text", Text: in.Prompt}}},
				MaxTokens: 100,
			})
			if err != nil {
				return nil, err
			}
			return sdk.Textf("LLM response: %s", res.Content.Text), nil
		},
	})
}

func main() {}
