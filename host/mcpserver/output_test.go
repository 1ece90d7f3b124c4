package mcpserver

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/mark3labs/mcp-go/mcp"
)

// A tool that declares an outputSchema must return structuredContent that
// validates against it; the server holds plugins to that, so that a client
// validating results never sees a bad one.
func TestStructuredContentMustMatchTheOutputSchema(t *testing.T) {
	tests := []struct {
		name   string
		result string
		want   string // "" for a passing result, else part of the error text
	}{
		{"valid", `{"content":[{"type":"text","text":"{\"n\":3}"}],"structuredContent":{"n":3,"label":"x"}}`, ""},
		{"wrong type", `{"content":[],"structuredContent":{"n":"three"}}`, "n"},
		{"required missing", `{"content":[],"structuredContent":{"label":"x"}}`, "n"},
		{"absent", `{"content":[{"type":"text","text":"3"}]}`, "declares an outputSchema but returned no structuredContent"},
		{"tool error needs none", `{"content":[{"type":"text","text":"no"}],"isError":true}`, "no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tool := newFake("counted", func(context.Context, json.RawMessage, func(plugin.Progress)) (json.RawMessage, error) {
				return json.RawMessage(tt.result), nil
			})
			tool.info.OutputSchema = json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"},"label":{"type":"string"}},"required":["n"]}`)
			res, err := callTool(context.Background(), connect(t, tool), "counted", map[string]any{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			text := ""
			if len(res.Content) > 0 {
				text = res.Content[0].(mcp.TextContent).Text
			}
			switch {
			case tt.want == "" && (res.IsError || res.StructuredContent == nil):
				t.Fatalf("valid result refused: %+v", res)
			case tt.want != "" && (!res.IsError || !strings.Contains(text, tt.want)):
				t.Fatalf("result %+v; want an error mentioning %q", res, tt.want)
			}
		})
	}
}
