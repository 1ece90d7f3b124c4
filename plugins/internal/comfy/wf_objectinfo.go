package comfy

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ClassInputs is what converting an editor workflow needs from a node class's
// /object_info entry: its inputs in the order the editor lays out their
// widgets.
type ClassInputs struct {
	Name   string
	Inputs []ClassInput // required inputs, then optional ones, each in input_order
}

// ClassInput is one declared input of a node class.
type ClassInput struct {
	Name string
	// Type is INT, FLOAT, STRING, BOOLEAN or COMBO for widget inputs (a
	// list of options is reported as COMBO), else the socket type (IMAGE,
	// MODEL, ...).
	Type     string
	Optional bool
	// ForceInput inputs are sockets only in newer editors, but older ones
	// still kept a (hidden) widget value for them.
	ForceInput bool
	// ControlAfterGenerate inputs (seeds) are followed in widgets_values by
	// the editor's "fixed"/"randomize"/... control, which is not an input.
	ControlAfterGenerate bool
	// Upload inputs (image_upload and the like) make the editor add an
	// upload button widget after the required inputs.
	Upload bool
}

// IsWidget reports whether the editor shows the input as a widget with a
// value in widgets_values, rather than as a socket only.
func (in ClassInput) IsWidget() bool {
	switch in.Type {
	case "INT", "FLOAT", "STRING", "BOOLEAN", "COMBO":
		return true
	}
	return false
}

// ParseClassInputs reads one /object_info entry (the value under the class
// name). Inputs come in input_order; when an older server sends no
// input_order, in the order of the keys in the JSON, which is the order the
// node declared them.
func ParseClassInputs(name string, raw json.RawMessage) (*ClassInputs, error) {
	var info struct {
		Input struct {
			Required json.RawMessage `json:"required"`
			Optional json.RawMessage `json:"optional"`
		} `json:"input"`
		InputOrder *struct {
			Required []string `json:"required"`
			Optional []string `json:"optional"`
		} `json:"input_order"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("object_info of %s: %v", name, err)
	}
	nc := &ClassInputs{Name: name}
	for _, group := range []struct {
		raw      json.RawMessage
		order    func() []string
		optional bool
	}{
		{info.Input.Required, func() []string { return info.InputOrder.Required }, false},
		{info.Input.Optional, func() []string { return info.InputOrder.Optional }, true},
	} {
		if len(group.raw) == 0 || string(group.raw) == "null" {
			continue
		}
		var specs map[string]json.RawMessage
		if err := json.Unmarshal(group.raw, &specs); err != nil {
			return nil, fmt.Errorf("object_info of %s: inputs: %v", name, err)
		}
		var order []string
		if info.InputOrder != nil {
			order = group.order()
		} else if order, _ = wfObjectKeys(group.raw); order == nil {
			return nil, fmt.Errorf("object_info of %s: inputs are not an object", name)
		}
		for _, in := range order {
			if spec, ok := specs[in]; ok {
				nc.Inputs = append(nc.Inputs, parseClassInput(in, spec, group.optional))
			}
		}
	}
	return nc, nil
}

// parseClassInput reads [type, {options}], where type is a name or a list of
// combo options. Malformed specs become sockets of unknown type, which take
// no widget value.
func parseClassInput(name string, raw json.RawMessage, optional bool) ClassInput {
	in := ClassInput{Name: name, Optional: optional}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil || len(parts) == 0 {
		return in
	}
	var typ string
	switch {
	case json.Unmarshal(parts[0], &typ) == nil:
		in.Type = typ
	case bytes.HasPrefix(bytes.TrimSpace(parts[0]), []byte("[")):
		in.Type = "COMBO"
	}
	if len(parts) < 2 {
		return in
	}
	var opts struct {
		ForceInput           bool `json:"forceInput"`
		ControlAfterGenerate bool `json:"control_after_generate"`
		ImageUpload          bool `json:"image_upload"`
		VideoUpload          bool `json:"video_upload"`
		AudioUpload          bool `json:"audio_upload"`
		AnimatedImageUpload  bool `json:"animated_image_upload"`
	}
	if json.Unmarshal(parts[1], &opts) == nil {
		in.ForceInput = opts.ForceInput
		in.ControlAfterGenerate = opts.ControlAfterGenerate
		in.Upload = opts.ImageUpload || opts.VideoUpload || opts.AudioUpload || opts.AnimatedImageUpload
	}
	return in
}

// wfObjectKeys lists the keys of a JSON object in document order, which
// encoding/json's maps forget; nil when raw is not an object.
func wfObjectKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	keys := []string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}
