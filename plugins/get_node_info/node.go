package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Node is one node class as an agent building a workflow needs it.
type Node struct {
	Name        string       `json:"name"`
	DisplayName string       `json:"display_name"`
	Category    string       `json:"category"`
	Description string       `json:"description,omitempty"`
	OutputNode  bool         `json:"output_node" description:"A workflow needs one"`
	Deprecated  bool         `json:"deprecated,omitempty"`
	APINode     bool         `json:"api_node,omitempty" description:"Calls a paid partner API"`
	Inputs      []NodeInput  `json:"inputs"`
	Outputs     []NodeOutput `json:"outputs"`
}

// NodeInput is one declared input. Bounds and defaults stay exact JSON numbers:
// KSampler's seed max is 18446744073709551615, beyond int64 and float64.
type NodeInput struct {
	Name         string             `json:"name"`
	Type         string             `json:"type"`
	Optional     bool               `json:"optional,omitempty"`
	Default      json.RawMessage    `json:"default,omitempty"`
	Min          json.Number        `json:"min,omitempty"`
	Max          json.Number        `json:"max,omitempty"`
	Step         json.Number        `json:"step,omitempty"`
	Choices      *[]json.RawMessage `json:"choices,omitempty" description:"A COMBO's values; [] if none"`
	ChoicesTotal int                `json:"choices_total,omitempty" description:"How many, when choices was cut"`
	Multiline    bool               `json:"multiline,omitempty"`
	ImageUpload  bool               `json:"image_upload,omitempty" description:"upload_image adds choices here"`
	Tooltip      string             `json:"tooltip,omitempty"`
}

// NodeOutput is one output slot; Index is what a link [node_id, index] names.
type NodeOutput struct {
	Index  int    `json:"index"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	IsList bool   `json:"is_list,omitempty"`
}

const (
	// maxChoices bounds a combo's list: LoadImage lists every input file,
	// which can run to thousands.
	maxChoices = 50
	// maxTooltip keeps tooltips that say something in a line; longer ones
	// are explanations an agent rarely needs and that cost many tokens.
	maxTooltip = 160
	// maxDescription bounds a custom node's description.
	maxDescription = 1000
)

// nodeJSON is one value of /object_info, decoded tolerantly: the fields a
// newer schema may set to null, or a custom node may fill oddly, are flex
// types that read an unexpected value as zero.
type nodeJSON struct {
	Input struct {
		Required orderedInputs `json:"required"`
		Optional orderedInputs `json:"optional"`
	} `json:"input"`
	Output       flexList[json.RawMessage] `json:"output"`
	OutputIsList flexList[flexBool]        `json:"output_is_list"`
	OutputName   flexList[flexString]      `json:"output_name"`
	DisplayName  flexString                `json:"display_name"`
	Description  flexString                `json:"description"`
	Category     flexString                `json:"category"`
	OutputNode   flexBool                  `json:"output_node"`
	Deprecated   flexBool                  `json:"deprecated"`
	APINode      flexBool                  `json:"api_node"`
}

// parseNode turns one class's object_info value into a Node.
func parseNode(name string, raw json.RawMessage) (*Node, error) {
	var j nodeJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("ComfyUI's description of node class %q is not in the shape object_info has: %v", name, err)
	}
	n := &Node{
		Name:        name,
		DisplayName: string(j.DisplayName),
		Category:    string(j.Category),
		Description: cut(string(j.Description), maxDescription),
		OutputNode:  bool(j.OutputNode),
		Deprecated:  bool(j.Deprecated),
		APINode:     bool(j.APINode),
		Inputs:      append(inputs(j.Input.Required, false), inputs(j.Input.Optional, true)...),
		Outputs:     outputs(&j),
	}
	if n.DisplayName == "" {
		n.DisplayName = name // what ComfyUI's frontend shows for a null display_name
	}
	return n, nil
}

func inputs(decls orderedInputs, optional bool) []NodeInput {
	out := []NodeInput{}
	for _, d := range decls {
		in := parseInput(d.name, d.decl)
		in.Optional = optional
		out = append(out, in)
	}
	return out
}

// parseInput reads a declaration [type, {options}], where type is a name
// ("INT", "IMAGE", "COMBO") or, for a classic combo, the list of choices.
func parseInput(name string, decl json.RawMessage) NodeInput {
	in := NodeInput{Name: name}
	var parts []json.RawMessage
	if json.Unmarshal(decl, &parts) != nil || len(parts) == 0 {
		// Not a declaration ComfyUI writes; show what it is rather than fail.
		var s flexString
		_ = json.Unmarshal(decl, &s)
		in.Type = string(s)
		return in
	}
	var opts map[string]json.RawMessage
	if len(parts) > 1 {
		_ = json.Unmarshal(parts[1], &opts)
	}
	var choices []json.RawMessage
	if json.Unmarshal(parts[0], &choices) == nil && bytes.HasPrefix(bytes.TrimSpace(parts[0]), []byte("[")) {
		in.Type = "COMBO"
	} else {
		var s flexString
		_ = json.Unmarshal(parts[0], &s)
		in.Type = string(s)
		if in.Type == "COMBO" {
			_ = json.Unmarshal(opts["options"], &choices)
		}
	}
	in.setChoices(choices)
	if d := opts["default"]; string(d) != "null" {
		in.Default = d
	}
	in.Min, in.Max, in.Step = number(opts["min"]), number(opts["max"]), number(opts["step"])
	in.Multiline = boolOpt(opts["multiline"])
	in.ImageUpload = boolOpt(opts["image_upload"])
	var tip flexString
	_ = json.Unmarshal(opts["tooltip"], &tip)
	if utf8.RuneCountInString(string(tip)) <= maxTooltip {
		in.Tooltip = string(tip)
	}
	return in
}

// setChoices keeps a combo's first maxChoices values. An empty list is kept
// as []: a loader with no model files has no valid value, which an agent
// must be able to tell from a combo whose values are not listed (remote).
func (in *NodeInput) setChoices(choices []json.RawMessage) {
	if choices == nil {
		return
	}
	if len(choices) > maxChoices {
		in.ChoicesTotal = len(choices)
		choices = choices[:maxChoices]
	}
	in.Choices = &choices
}

func outputs(j *nodeJSON) []NodeOutput {
	out := []NodeOutput{}
	for i, raw := range j.Output {
		o := NodeOutput{Index: i}
		var s flexString
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			o.Type = "COMBO" // an output that carries a combo's choices
		} else if json.Unmarshal(raw, &s) == nil {
			o.Type = string(s)
		}
		if i < len(j.OutputName) {
			o.Name = string(j.OutputName[i])
		}
		if o.Name == "" {
			o.Name = o.Type
		}
		if i < len(j.OutputIsList) {
			o.IsList = bool(j.OutputIsList[i])
		}
		out = append(out, o)
	}
	return out
}

// number returns a JSON number as is, exact, or "" for anything else.
func number(raw json.RawMessage) json.Number {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') || !json.Valid(raw) {
		return ""
	}
	return json.Number(raw)
}

func boolOpt(raw json.RawMessage) bool {
	var b flexBool
	_ = json.Unmarshal(raw, &b)
	return bool(b)
}

// cut keeps the first max runes of s, marking a cut with "…".
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// orderedInputs is an object of input declarations in the order ComfyUI
// wrote them, which is the node's declared order (Python dicts keep it).
type orderedInputs []namedDecl

type namedDecl struct {
	name string
	decl json.RawMessage
}

func (o *orderedInputs) UnmarshalJSON(b []byte) error {
	*o = nil
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil // null or not an object: no inputs
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var decl json.RawMessage
		if err := dec.Decode(&decl); err != nil {
			return err
		}
		*o = append(*o, namedDecl{key, decl})
	}
	return nil
}

// flexString is a string that reads null, or any non-string, as "".
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	var v string
	if json.Unmarshal(b, &v) == nil {
		*s = flexString(v)
	}
	return nil
}

// flexBool is a bool that reads null, or any non-bool, as false.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var v bool
	if json.Unmarshal(b, &v) == nil {
		*f = flexBool(v)
	}
	return nil
}

// flexList is a list that reads null, or any non-list, as empty.
type flexList[T any] []T

func (l *flexList[T]) UnmarshalJSON(b []byte) error {
	var v []T
	if json.Unmarshal(b, &v) == nil {
		*l = v
	}
	return nil
}
