// Command asker is a test plugin for the host's MCP client functions and
// plugin features: its tool logs to, samples from and elicits from the
// client, and it provides a prompt, a resource and a resource template.
package main

import (
	"github.com/easel-mcp/easel/sdk"
)

type Input struct {
	Mode string `json:"mode" enum:"log,sample,elicit"`
}

func init() {
	sdk.Register(sdk.Tool[Input, *sdk.Result]{
		Name:        "asker",
		Description: "Test plugin: reaches the MCP client according to mode.",
		Handler: func(c *sdk.Call, in Input) (*sdk.Result, error) {
			switch in.Mode {
			case "log":
				sent := c.Client().Log(sdk.LogWarning, "asker", "careful")
				return sdk.Textf("sent=%v", sent), nil
			case "sample":
				res, err := c.Client().CreateMessage(sdk.SamplingRequest{Messages: []sdk.SamplingMessage{{Role: "user", Content: sdk.Content{Type: "text", Text: "2+2?"}}}, MaxTokens: 5})
				if err != nil {
					return nil, err
				}
				return sdk.Text("model said " + res.Content.Text), nil
			default:
				res, err := c.Client().Elicit("Name?", sdk.NewForm().Text("name", sdk.TextField{Required: true}))
				if err != nil {
					return nil, err
				}
				return sdk.Textf("%s %s", res.Action, res.Content), nil
			}
		},
	})
	sdk.RegisterPrompt(sdk.Prompt{
		Name:      "ask",
		Arguments: []sdk.PromptArgument{{Name: "q", Required: true}},
		Handler: func(_ *sdk.Call, args map[string]string) (*sdk.PromptResult, error) {
			return &sdk.PromptResult{Messages: []sdk.PromptMessage{sdk.UserText("Q: " + args["q"])}}, nil
		},
		Complete: func(_ *sdk.Call, _, value string, _ map[string]string) ([]string, error) {
			return sdk.CompleteFrom(value, "why", "what"), nil
		},
	})
	sdk.RegisterResource(sdk.Resource{URI: "asker://readme", Name: "readme", Handler: func(*sdk.Call) ([]sdk.ResourceContents, error) {
		return []sdk.ResourceContents{{MIMEType: "text/plain", Text: "read me"}}, nil
	}})
	sdk.RegisterResourceTemplate(sdk.ResourceTemplate{URITemplate: "asker://n/{n}", Name: "numbers", Handler: func(_ *sdk.Call, uri string, vars map[string]string) ([]sdk.ResourceContents, error) {
		return []sdk.ResourceContents{{URI: uri, Text: "n=" + vars["n"]}}, nil
	}})
}

func main() {}
