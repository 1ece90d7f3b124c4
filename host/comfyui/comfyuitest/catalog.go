package comfyuitest

import (
	_ "embed"
	"fmt"
	"sync"
)

// objectInfoJSON is GET /object_info of the recorded ComfyUI 0.3.64 (376 node classes,
// recordings/get_object_info_full.json). Validation and the node emulation read it, so the
// emulator accepts exactly the graphs that server accepted.
//
//go:embed data/object_info.json
var objectInfoJSON []byte

// catalog is the parsed node catalog. It is immutable once built and shared by all servers;
// per-server differences (the LoadImage file list) are applied on copies by objectInfo.
type catalog struct {
	info    *object // class name → info, as recorded
	classes map[string]*nodeClass
}

// nodeClass is what validation and execution need to know about one node class.
type nodeClass struct {
	name       string
	info       *object
	inputs     []inputSpec // required, then optional, each in input_order
	hidden     []hiddenInput
	outputs    []any // RETURN_TYPES: type names, or option lists for combo outputs
	outputNode bool
}

// inputSpec is one declared input: its type (a name like "INT", or the option list of a
// combo) and its options (min, max, image_upload, ...).
type inputSpec struct {
	name     string
	category string // "required" or "optional"
	typ      any
	opts     *object
}

// config is the input's declaration as ComfyUI reports it in errors: [type, options].
func (in inputSpec) config() []any { return []any{in.typ, in.opts} }

// hiddenInput is an input ComfyUI fills itself (PROMPT, EXTRA_PNGINFO, UNIQUE_ID).
type hiddenInput struct{ name, kind string }

// loadCatalog parses the embedded catalog once per process. The result is read-only, which
// is why sharing it between servers (and tests running in parallel) is safe.
var loadCatalog = sync.OnceValues(func() (*catalog, error) {
	v, err := decodeJSON(objectInfoJSON)
	if err != nil {
		return nil, fmt.Errorf("comfyuitest: embedded object_info: %w", err)
	}
	info, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("comfyuitest: embedded object_info is not an object")
	}
	c := &catalog{info: info, classes: make(map[string]*nodeClass, info.len())}
	for _, name := range info.keys {
		ci, _ := info.vals[name].(*object)
		if ci == nil {
			continue
		}
		c.classes[name] = parseClass(name, ci)
	}
	return c, nil
})

func parseClass(name string, ci *object) *nodeClass {
	nc := &nodeClass{name: name, info: ci}
	nc.outputNode, _ = ci.vals["output_node"].(bool)
	nc.outputs, _ = ci.vals["output"].([]any)
	input, _ := ci.vals["input"].(*object)
	order, _ := ci.vals["input_order"].(*object)
	if input == nil {
		return nc
	}
	for _, cat := range []string{"required", "optional"} {
		decl, _ := input.vals[cat].(*object)
		if decl == nil {
			continue
		}
		names := decl.keys
		if order != nil {
			if list, ok := order.vals[cat].([]any); ok {
				names = names[:0:0]
				for _, n := range list {
					if s, ok := n.(string); ok && decl.has(s) {
						names = append(names, s)
					}
				}
			}
		}
		for _, n := range names {
			spec, _ := decl.vals[n].([]any)
			in := inputSpec{name: n, category: cat, opts: newObject()}
			if len(spec) > 0 {
				in.typ = spec[0]
			}
			if len(spec) > 1 {
				if o, ok := spec[1].(*object); ok {
					in.opts = o
				}
			}
			nc.inputs = append(nc.inputs, in)
		}
	}
	if hidden, ok := input.vals["hidden"].(*object); ok {
		for _, n := range hidden.keys {
			kind, _ := hidden.vals[n].(string)
			nc.hidden = append(nc.hidden, hiddenInput{name: n, kind: kind})
		}
	}
	return nc
}

// input returns the declared input called name.
func (nc *nodeClass) input(name string) (inputSpec, bool) {
	for _, in := range nc.inputs {
		if in.name == name {
			return in, true
		}
	}
	return inputSpec{}, false
}

// hiddenKind returns the kind of the hidden input called name, or "".
func (nc *nodeClass) hiddenKind(name string) string {
	for _, h := range nc.hidden {
		if h.name == name {
			return h.kind
		}
	}
	return ""
}

// hasHidden reports whether the class declares a hidden input of that kind.
func (nc *nodeClass) hasHidden(kind string) bool {
	for _, h := range nc.hidden {
		if h.kind == kind {
			return true
		}
	}
	return false
}

// listsInputImages reports whether the input is a combo of the input folder's images, which
// ComfyUI rebuilds from the folder on every /object_info (LoadImage, LoadImageMask).
func (in inputSpec) listsInputImages() bool {
	_, isList := in.typ.([]any)
	upload, _ := in.opts.vals["image_upload"].(bool)
	return isList && upload
}

// objectInfo returns a class's info with its image combos listing images, copying only the
// objects on the way to each patched combo.
func (nc *nodeClass) objectInfo(images []any, files *fileStore) *object {
	info := nc.info
	for _, in := range nc.inputs {
		static, isList := in.typ.([]any)
		models, isModel := files.modelOptions(nc.name, in.name)
		var options []any
		switch {
		case isModel && isList:
			// Model files first, then the built-in choices (VAELoader's
			// "pixel_space"), as folder_paths lists them.
			options = append(append([]any{}, models...), static...)
		case in.listsInputImages():
			options = images
		default:
			continue
		}
		info = shallowCopy(info)
		input := shallowCopy(info.vals["input"].(*object))
		info.vals["input"] = input
		decl := shallowCopy(input.vals[in.category].(*object))
		input.vals[in.category] = decl
		orig, _ := decl.vals[in.name].([]any)
		patched := append([]any{options}, orig[min(1, len(orig)):]...) // keep the declaration's shape: [list] or [list, opts]
		decl.vals[in.name] = patched
	}
	return info
}

func shallowCopy(o *object) *object {
	c := &object{keys: o.keys, vals: make(map[string]any, len(o.vals))}
	for k, v := range o.vals {
		c.vals[k] = v
	}
	return c
}
