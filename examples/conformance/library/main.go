// Command library is the conformance suite's prompts, resources and
// resource template: a plugin without a tool. It shows every kind of
// prompt content (text, arguments, an embedded resource, an image), text
// and binary resources, a resource template and argument completion.
package main

import (
	"encoding/base64"
	"fmt"

	"github.com/easel-mcp/easel/sdk"
)

// pixelPNG is a 1x1 red PNG.
var pixelPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")

func init() {
	sdk.RegisterPrompt(sdk.Prompt{
		Name:        "test_simple_prompt",
		Description: "A simple prompt without arguments.",
		Handler: func(*sdk.Call, map[string]string) (*sdk.PromptResult, error) {
			return &sdk.PromptResult{Messages: []sdk.PromptMessage{sdk.UserText("This is a simple prompt for testing.")}}, nil
		},
	})
	sdk.RegisterPrompt(sdk.Prompt{
		Name:        "test_prompt_with_arguments",
		Description: "A prompt with two required arguments; arg1 offers completions.",
		Arguments: []sdk.PromptArgument{
			{Name: "arg1", Description: "First test argument", Required: true},
			{Name: "arg2", Description: "Second test argument", Required: true},
		},
		Handler: func(_ *sdk.Call, args map[string]string) (*sdk.PromptResult, error) {
			text := fmt.Sprintf("Prompt with arguments: arg1='%s', arg2='%s'", args["arg1"], args["arg2"])
			return &sdk.PromptResult{Messages: []sdk.PromptMessage{sdk.UserText(text)}}, nil
		},
		Complete: func(_ *sdk.Call, argument, value string, _ map[string]string) ([]string, error) {
			if argument != "arg1" {
				return nil, nil
			}
			return sdk.CompleteFrom(value, "test", "testing", "test-value", "example"), nil
		},
	})
	sdk.RegisterPrompt(sdk.Prompt{
		Name:        "test_prompt_with_embedded_resource",
		Description: "A prompt that embeds a resource.",
		Arguments:   []sdk.PromptArgument{{Name: "resourceUri", Description: "URI of the resource to embed", Required: true}},
		Handler: func(_ *sdk.Call, args map[string]string) (*sdk.PromptResult, error) {
			return &sdk.PromptResult{Messages: []sdk.PromptMessage{
				{Role: "user", Content: sdk.Content{Type: "resource", URI: args["resourceUri"], MimeType: "text/plain", Text: "Embedded resource content for testing."}},
				sdk.UserText("Please process the embedded resource above."),
			}}, nil
		},
	})
	sdk.RegisterPrompt(sdk.Prompt{
		Name:        "test_prompt_with_image",
		Description: "A prompt that contains an image.",
		Handler: func(*sdk.Call, map[string]string) (*sdk.PromptResult, error) {
			return &sdk.PromptResult{Messages: []sdk.PromptMessage{
				{Role: "user", Content: sdk.Content{Type: "image", Data: pixelPNG, MimeType: "image/png"}},
				sdk.UserText("Please analyze the image above."),
			}}, nil
		},
	})

	sdk.RegisterResource(sdk.Resource{
		URI: "test://static-text", Name: "Static Text Resource", Description: "A static text resource for testing", MIMEType: "text/plain",
		Handler: func(*sdk.Call) ([]sdk.ResourceContents, error) {
			return []sdk.ResourceContents{{URI: "test://static-text", MIMEType: "text/plain", Text: "This is the content of the static text resource."}}, nil
		},
	})
	sdk.RegisterResource(sdk.Resource{
		URI: "test://static-binary", Name: "Static Binary Resource", Description: "A static binary resource (a 1x1 PNG) for testing", MIMEType: "image/png",
		Handler: func(*sdk.Call) ([]sdk.ResourceContents, error) {
			return []sdk.ResourceContents{{URI: "test://static-binary", MIMEType: "image/png", Blob: pixelPNG}}, nil
		},
	})
	sdk.RegisterResource(sdk.Resource{
		URI: "test://watched-resource", Name: "Watched Resource", Description: "A resource clients may subscribe to", MIMEType: "text/plain",
		Handler: func(*sdk.Call) ([]sdk.ResourceContents, error) {
			return []sdk.ResourceContents{{URI: "test://watched-resource", MIMEType: "text/plain", Text: "Watched resource content"}}, nil
		},
	})
	sdk.RegisterResourceTemplate(sdk.ResourceTemplate{
		URITemplate: "test://template/{id}/data", Name: "Resource Template", Description: "Data for any id", MIMEType: "application/json",
		Handler: func(_ *sdk.Call, uri string, vars map[string]string) ([]sdk.ResourceContents, error) {
			id := vars["id"]
			text := fmt.Sprintf(`{"id":%q,"templateTest":true,"data":"Data for ID: %s"}`, id, id)
			return []sdk.ResourceContents{{URI: uri, MIMEType: "application/json", Text: text}}, nil
		},
		Complete: func(_ *sdk.Call, variable, value string, _ map[string]string) ([]string, error) {
			return sdk.CompleteFrom(value, "123", "456", "789"), nil
		},
	})
}

func main() {}
