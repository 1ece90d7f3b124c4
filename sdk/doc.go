// Package sdk writes easel plugins in Go: one MCP tool per WebAssembly
// module, served by `easel serve` through the ABI in docs/abi.md. A plugin
// author writes an input struct and a typed handler and never touches a
// pointer, a buffer or the ABI:
//
//	package main
//
//	import "github.com/easel-mcp/easel/sdk"
//
//	type Input struct {
//		PromptID string `json:"prompt_id" description:"The prompt ID returned by enqueue_workflow"`
//	}
//
//	type Status struct {
//		PromptID string `json:"prompt_id"`
//		Found    bool   `json:"found"`
//	}
//
//	func init() {
//		sdk.Register(sdk.Tool[Input, Status]{
//			Name:        "get_job_status",
//			Description: "Checks the status of ONE job ...",
//			Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
//			Handler: func(c *sdk.Call, in Input) (Status, error) {
//				var h map[string]any
//				if err := c.ComfyUI().GetJSON(sdk.Path("history", in.PromptID), nil, &h); err != nil {
//					return Status{}, err
//				}
//				_, found := h[in.PromptID]
//				return Status{PromptID: in.PromptID, Found: found}, nil
//			},
//		})
//	}
//
//	func main() {}
//
// Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o get_job_status.wasm .
//
// # What the SDK does for the plugin
//
//   - Describes the tool: the inputSchema comes from the input struct's
//     fields and tags (see SchemaFor), the outputSchema from the output
//     struct, annotations from Annotations.
//   - Decodes and validates the agent's arguments before the handler runs,
//     and answers a mistake with a tool error that names the argument and
//     says what was wrong, such as `argument "steps": must be at most 150,
//     got 200`.
//   - Turns the handler's answer into an MCP result: a struct becomes
//     structuredContent plus its JSON as text; a returned error becomes an
//     isError result with the error's message.
//   - Talks to ComfyUI, the log and progress through the host (Call).
//
// # Notes
//
//   - Register must be called from an init function: a c-shared module
//     never runs main. A module provides exactly one tool (ABI v1).
//   - Wherever the SDK decodes JSON into an interface value (an any field,
//     map[string]any, GetJSON into any), numbers arrive as json.Number, so
//     that integers such as 64-bit seeds keep every digit; they re-encode
//     exactly.
//   - A handler must finish its work before returning. A WebAssembly
//     instance runs nothing between calls: goroutines started by a handler
//     and not waited for make no progress until the next call, and state
//     kept between calls may vanish whenever the host recycles the
//     instance.
//   - A panic is a plugin failure: the host answers the call with an error
//     naming the tool and the panic, and discards the instance. Return an
//     error for anything the agent could act on.
//   - Everything except the ABI glue also builds natively, so a plugin's
//     types, schema and pure logic can be unit-tested with go test; a
//     Tool's MarshalJSON shows its description as the host receives it.
package sdk
