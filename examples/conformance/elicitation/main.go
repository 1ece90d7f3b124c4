// Command elicitation is the conformance tool test_elicitation: it asks the
// user for a username and an email (elicitation/create) and reports what
// came back.
package main

import (
	"github.com/easel-mcp/easel/sdk"
)

type Input struct {
	Message string `json:"message" description:"What to tell the user" minLength:"1"`
}

func init() {
	sdk.Register(sdk.Tool[Input, *sdk.Result]{
		Name:        "test_elicitation",
		Description: "Asks the user for a username and an email address (MCP elicitation) and reports the answer.",
		Annotations: sdk.Annotations{ReadOnly: true},
		Handler: func(c *sdk.Call, in Input) (*sdk.Result, error) {
			form := sdk.NewForm().
				Text("username", sdk.TextField{Description: "User's response", Required: true}).
				Text("email", sdk.TextField{Description: "User's email address", Format: "email", Required: true})
			res, err := c.Client().Elicit(in.Message, form)
			if err != nil {
				return nil, err
			}
			return sdk.Textf("User response: action=%s, content=%s", res.Action, res.Content), nil
		},
	})
}

func main() {}
