package main

import (
	"github.com/easel-mcp/easel/sdk"
)

// The tool describes itself from its config when easel starts: the
// description and one argument per parameter. A broken config refuses the
// plugin then, naming the key at fault, rather than failing every call.
func init() {
	sdk.Register(sdk.Tool[map[string]any, *sdk.Result]{
		Name:        "",                                                  // generic: serves the name tools.yaml declares
		Description: "Runs a ComfyUI workflow configured in tools.yaml.", // replaced by Describe
		Annotations: sdk.Annotations{},                                   // queues work: not read-only, not idempotent; removes nothing
		Describe: func(c *sdk.Call) (sdk.Description, error) {
			t, err := load(c)
			if err != nil {
				return sdk.Description{}, err
			}
			return sdk.Description{Description: t.description, InputSchema: t.InputSchema()}, nil
		},
		Handler: run,
	})
}
