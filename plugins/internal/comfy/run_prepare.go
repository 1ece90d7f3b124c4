package comfy

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/easel-mcp/easel/sdk"
)

// Prepared is a workflow ready for POST /prompt.
type Prepared struct {
	Prompt          map[string]any
	ExtraData       map[string]any
	ConvertedFromUI bool
	ConversionNotes []string
}

// PrepareWorkflow accepts a workflow in the API format or in the editor's
// saved format (converted with the server's node definitions), and checks
// the shapes POST /prompt would answer with a bare 500. arg names the
// argument in errors.
func PrepareWorkflow(api *sdk.ComfyUI, arg string, workflow, extra map[string]any) (*Prepared, error) {
	if IsUIWorkflow(workflow) {
		conv, err := ConvertUIWorkflow(workflow, ClassLookupFrom(api))
		if err != nil {
			return nil, err
		}
		return &Prepared{Prompt: conv.Prompt, ExtraData: withEditorWorkflow(extra, workflow), ConvertedFromUI: true, ConversionNotes: conv.Notes}, nil
	}
	if err := CheckAPIWorkflow(workflow); err != nil {
		return nil, fmt.Errorf("argument %q: %w", arg, err)
	}
	return &Prepared{Prompt: workflow, ExtraData: extra}, nil
}

// ClassLookupFrom reads the declarations of the classes an editor workflow
// uses, one /object_info/{class} request each: a handful of small answers
// rather than the whole catalog, which runs to megabytes with custom nodes.
func ClassLookupFrom(api *sdk.ComfyUI) ClassLookup {
	return func(names []string) (map[string]*ClassInputs, error) {
		classes := map[string]*ClassInputs{}
		for _, name := range names {
			var info map[string]json.RawMessage
			if err := api.GetJSON(sdk.Path("object_info", name), nil, &info); err != nil {
				return nil, err
			}
			raw, ok := info[name] // an unknown class answers {}
			if !ok {
				continue
			}
			nc, err := ParseClassInputs(name, raw)
			if err != nil {
				return nil, err
			}
			classes[name] = nc
		}
		return classes, nil
	}
}

// withEditorWorkflow adds the editor workflow to extra_data as the editor
// does when it queues (extra_pnginfo.workflow), so that saved PNGs open in
// the editor again; an extra_pnginfo the caller set is kept.
func withEditorWorkflow(extra, workflow map[string]any) map[string]any {
	if _, set := extra["extra_pnginfo"]; set {
		return extra
	}
	out := maps.Clone(extra)
	if out == nil {
		out = map[string]any{}
	}
	out["extra_pnginfo"] = map[string]any{"workflow": workflow}
	return out
}
