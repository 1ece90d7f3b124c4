package comfy

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The editor saves a node's widget values as a list in the order it
// created the widgets: the class's widget inputs in input_order (required,
// then optional), each seed-like INT followed by its "control after
// generate" value, and, in older editors, an upload button's value after
// the required inputs of a node with an image upload. Those extras are not
// inputs and are skipped.

type uiSlotKind uint8

const (
	uiSlotValue   uiSlotKind = iota
	uiSlotControl            // "fixed", "increment", "decrement" or "randomize"
	uiSlotUpload             // the upload button: "image" in older editors, null or absent in newer ones
)

type uiWidgetSlot struct {
	in   ClassInput
	kind uiSlotKind
}

// uiWidgetInputs names the widget values of node n of class nc.
func uiWidgetInputs(n *uiNode, nc *ClassInputs) (map[string]any, error) {
	raw := bytes.TrimSpace(n.WidgetsValues)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	if raw[0] == '{' {
		return uiNamedWidgets(n, nc, raw)
	}
	vals, ok := uiWidgetList(raw)
	if !ok {
		return nil, &ConversionError{NodeID: n.id, NodeType: n.Type, Reason: "widgets_values is neither a list nor an object"}
	}
	layouts := uiWidgetLayouts(n, nc)
	var firstErr error
	var fallback map[string]any
	for _, slots := range layouts {
		inputs, used, err := uiApplyLayout(n, nc, slots, vals)
		switch {
		case err != nil:
			if firstErr == nil {
				firstErr = err
			}
		case used == len(vals):
			return inputs, nil
		case fallback == nil:
			fallback = inputs
		}
	}
	if fallback != nil {
		return fallback, nil // extra trailing values: widgets an editor extension added
	}
	return nil, firstErr
}

// uiNamedWidgets reads widgets_values saved as an object (some custom nodes
// do), keeping the keys that are widget inputs of the class.
func uiNamedWidgets(n *uiNode, nc *ClassInputs, raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, &ConversionError{NodeID: n.id, NodeType: n.Type, Reason: "widgets_values is malformed: " + err.Error()}
	}
	inputs := map[string]any{}
	for _, in := range nc.Inputs {
		if v, ok := m[in.Name]; ok && v != nil && in.IsWidget() {
			inputs[in.Name] = v
		}
	}
	return inputs, nil
}

// uiWidgetLayouts lists the possible widget layouts of a node, most likely
// first. Only forceInput inputs are ambiguous: older editors kept a hidden
// widget for them, newer ones do not; a widget entry in the node's inputs
// says which, and the other reading is the fallback.
func uiWidgetLayouts(n *uiNode, nc *ClassInputs) [][]uiWidgetSlot {
	hasWidget := map[string]bool{}
	for _, in := range n.Inputs {
		if in.Widget != nil {
			hasWidget[in.Name] = true
		}
	}
	ambiguous := false
	for _, in := range nc.Inputs {
		ambiguous = ambiguous || (in.ForceInput && in.IsWidget())
	}
	layouts := [][]uiWidgetSlot{uiBuildLayout(nc, func(in ClassInput) bool { return hasWidget[in.Name] })}
	if ambiguous {
		layouts = append(layouts, uiBuildLayout(nc, func(in ClassInput) bool { return !hasWidget[in.Name] }))
	}
	return layouts
}

func uiBuildLayout(nc *ClassInputs, keepForced func(ClassInput) bool) []uiWidgetSlot {
	var slots []uiWidgetSlot
	upload, uploadPlaced := false, false
	for _, in := range nc.Inputs {
		if in.Optional && upload && !uploadPlaced {
			slots, uploadPlaced = append(slots, uiWidgetSlot{kind: uiSlotUpload}), true
		}
		upload = upload || (in.Upload && !in.Optional)
		if !in.IsWidget() || (in.ForceInput && !keepForced(in)) {
			continue
		}
		slots = append(slots, uiWidgetSlot{in: in, kind: uiSlotValue})
		if in.ControlAfterGenerate || (in.Type == "INT" && (in.Name == "seed" || in.Name == "noise_seed")) {
			slots = append(slots, uiWidgetSlot{in: in, kind: uiSlotControl})
		}
	}
	if upload && !uploadPlaced {
		slots = append(slots, uiWidgetSlot{kind: uiSlotUpload})
	}
	return slots
}

// uiApplyLayout assigns vals to the slots and says how many values it used.
// A value that cannot belong to its input means the layout is wrong.
func uiApplyLayout(n *uiNode, nc *ClassInputs, slots []uiWidgetSlot, vals []any) (map[string]any, int, error) {
	inputs := map[string]any{}
	i := 0
	for _, s := range slots {
		if i >= len(vals) {
			break
		}
		v := vals[i]
		switch s.kind {
		case uiSlotControl:
			if uiControlValue(v) {
				i++
			}
		case uiSlotUpload:
			if v == nil || v == "image" || v == "video" || v == "audio" {
				i++
			}
		case uiSlotValue:
			i++
			if v == nil {
				continue
			}
			if !uiFitsWidget(s.in.Type, v) {
				return nil, i, &ConversionError{NodeID: n.id, NodeType: n.Type, Reason: fmt.Sprintf(
					"widget value %d (%s) cannot be input %s (%s): the saved widgets do not line up with this server's definition of %s (another version of the node, or a widget added by an editor extension)",
					i, uiPreview(v), s.in.Name, s.in.Type, nc.Name)}
			}
			inputs[s.in.Name] = v
		}
	}
	return inputs, i, nil
}

func uiControlValue(v any) bool {
	switch v {
	case "fixed", "increment", "decrement", "randomize":
		return true
	}
	return false
}

// uiFitsWidget reports whether a saved value can be the value of a widget of
// the given type.
func uiFitsWidget(typ string, v any) bool {
	switch v.(type) {
	case json.Number:
		return typ == "INT" || typ == "FLOAT" || typ == "COMBO"
	case bool:
		return typ == "BOOLEAN" || typ == "COMBO"
	case string:
		return typ == "STRING" || typ == "COMBO"
	}
	return false
}

// preview shows a value in an error message, cut to a readable length.
func uiPreview(v any) string {
	b, _ := json.Marshal(v)
	if r := []rune(string(b)); len(r) > 40 {
		return string(r[:37]) + "..."
	}
	return string(b)
}
