// Command forms serves the conformance suite's elicitation schema tools,
// declared once per tool in tools.yaml: test_elicitation_sep1034_defaults
// (a form whose every kind of field has a default, SEP-1034) and
// test_elicitation_sep1330_enums (every form of enum: untitled and titled,
// single and multiple choice, and legacy enumNames, SEP-1330).
package main

import (
	"fmt"

	"github.com/easel-mcp/easel/sdk"
)

var forms = map[string]struct {
	description string
	form        func() *sdk.Form
}{
	"test_elicitation_sep1034_defaults": {"Asks the user to fill in a form whose fields all have defaults (SEP-1034).", defaults},
	"test_elicitation_sep1330_enums":    {"Asks the user to fill in a form with every kind of enum field (SEP-1330).", enums},
}

func defaults() *sdk.Form {
	return sdk.NewForm().
		Text("name", sdk.TextField{Description: "User name", Default: "John Doe"}).
		Integer("age", sdk.IntegerField{Description: "User age", Default: sdk.Ptr[int64](30)}).
		Number("score", sdk.NumberField{Description: "User score", Default: sdk.Ptr(95.5)}).
		Choice("status", sdk.ChoiceField{Description: "User status", Options: sdk.Options("active", "inactive", "pending"), Default: "active"}).
		Boolean("verified", sdk.BooleanField{Description: "Verification status", Default: sdk.Ptr(true)})
}

func enums() *sdk.Form {
	titled := []sdk.Option{{Value: "value1", Title: "First Option"}, {Value: "value2", Title: "Second Option"}, {Value: "value3", Title: "Third Option"}}
	return sdk.NewForm().
		Choice("untitledSingle", sdk.ChoiceField{Description: "Choose one option", Options: sdk.Options("option1", "option2", "option3")}).
		Choice("titledSingle", sdk.ChoiceField{Description: "Choose one titled option", Options: titled}).
		Choice("legacyEnum", sdk.ChoiceField{Description: "Choose one option (legacy)", Legacy: true,
			Options: []sdk.Option{{Value: "opt1", Title: "Option One"}, {Value: "opt2", Title: "Option Two"}, {Value: "opt3", Title: "Option Three"}}}).
		MultiChoice("untitledMulti", sdk.MultiChoiceField{Description: "Choose multiple options", Options: sdk.Options("option1", "option2", "option3")}).
		MultiChoice("titledMulti", sdk.MultiChoiceField{Description: "Choose multiple titled options", Options: titled})
}

func init() {
	sdk.Register(sdk.Tool[struct{}, *sdk.Result]{
		Annotations: sdk.Annotations{ReadOnly: true},
		Describe: func(c *sdk.Call) (sdk.Description, error) {
			f, ok := forms[c.Tool()]
			if !ok {
				return sdk.Description{}, fmt.Errorf("plugin forms has no tool %q", c.Tool())
			}
			return sdk.Description{Description: f.description}, nil
		},
		Handler: func(c *sdk.Call, _ struct{}) (*sdk.Result, error) {
			f, ok := forms[c.Tool()]
			if !ok {
				return nil, fmt.Errorf("plugin forms has no tool %q", c.Tool())
			}
			res, err := c.Client().Elicit("Please review and update the form fields", f.form())
			if err != nil {
				return nil, err
			}
			return sdk.Textf("Elicitation completed: action=%s, content=%s", res.Action, res.Content), nil
		},
	})
}

func main() {}
