package comfy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Explain is Describe followed by hints for the failures whose message
// alone does not say what to do: a missing output node, a missing model
// file, a link to a node the workflow lacks.
func (p *PromptError) Explain() string {
	var b strings.Builder
	b.WriteString(p.Describe())
	var hints []string
	switch {
	case p.Error.Type == "prompt_no_outputs":
		hints = append(hints, "The workflow needs at least one output node, such as SaveImage or PreviewImage.")
	case p.Error.Type == "invalid_prompt" && strings.Contains(p.Error.Message, "does not exist"):
		hints = append(hints, "That node class is not installed on this ComfyUI server.")
	}
	for _, id := range wfSortedIDs(p.NodeErrors) {
		for _, e := range p.NodeErrors[id].Errors {
			if h := e.hint(id); h != "" {
				hints = append(hints, h)
			}
		}
	}
	for _, h := range hints {
		b.WriteString("\nHint: ")
		b.WriteString(h)
	}
	return b.String()
}

// hint explains one node error when its message leaves the cause unclear.
func (e ErrorDetail) hint(nodeID string) string {
	var extra struct {
		InputName     string            `json:"input_name"`
		InputConfig   []json.RawMessage `json:"input_config"`
		ExceptionType string            `json:"exception_type"`
		Traceback     []string          `json:"traceback"`
	}
	if len(e.ExtraInfo) > 0 {
		_ = json.Unmarshal(e.ExtraInfo, &extra) // hints are best effort
	}
	switch e.Type {
	case "value_not_in_list":
		if len(extra.InputConfig) > 0 && wfEmptyChoices(extra.InputConfig) {
			return fmt.Sprintf("node %s offers no choices at all for %s: the server lacks the model or file folder it reads (not installed, or in another folder).", nodeID, extra.InputName)
		}
	case "exception_during_validation", "exception_during_inner_validation":
		// The inner kind is ComfyUI validating a node another one links
		// to; it files the error under that inner node, as here.
		switch {
		case !missingLink(extra.ExceptionType, extra.Traceback):
		case !strings.HasPrefix(e.Details, "'"):
			// Python's KeyError quotes a string key; an unquoted one was a
			// number, which no node id is.
			return fmt.Sprintf("node %s has an input linked to node %s as a number: node ids in links are strings, e.g. [\"%s\", 0].", nodeID, e.Details, e.Details)
		default:
			return fmt.Sprintf("node %s has an input linked to node %s, which the workflow lacks.", nodeID, strings.Trim(e.Details, "'"))
		}
	}
	return ""
}

// missingLink reports whether a validation exception is ComfyUI looking up
// a linked node the prompt lacks (a KeyError at prompt[o_id]).
func missingLink(exceptionType string, traceback []string) bool {
	return exceptionType == "KeyError" && strings.Contains(strings.Join(traceback, ""), "prompt[o_id]")
}

// wfEmptyChoices reports whether a combo's input_config offers nothing:
// [[], {...}] or ["COMBO", {"options": []}].
func wfEmptyChoices(cfg []json.RawMessage) bool {
	var list []any
	if json.Unmarshal(cfg[0], &list) == nil {
		return len(list) == 0
	}
	var opts struct {
		Options *[]any `json:"options"`
	}
	return len(cfg) > 1 && json.Unmarshal(cfg[1], &opts) == nil && opts.Options != nil && len(*opts.Options) == 0
}

// DroppedOutput is an output node ComfyUI left out of a queued prompt
// because it failed validation (POST /prompt answers 200 as long as one
// output is valid, and lists the others in node_errors).
type DroppedOutput struct {
	NodeID    string   `json:"node_id"`
	ClassType string   `json:"class_type"`
	Reasons   []string `json:"reasons" description:"The validation errors that blocked this output, each naming its node"`
}

// DroppedOutputs turns a 200 answer's node_errors into the outputs they
// blocked, in node id order. prompt is the workflow that was sent, for
// the output nodes' classes.
func DroppedOutputs(nodeErrors map[string]NodeError, prompt map[string]any) []DroppedOutput {
	byOutput := map[string][]string{}
	for _, id := range wfSortedIDs(nodeErrors) {
		ne := nodeErrors[id]
		outs := ne.DependentOutputs
		if len(outs) == 0 {
			outs = []string{id}
		}
		for _, e := range ne.Errors {
			line := fmt.Sprintf("node %s (%s): %s", id, ne.ClassType, e.Message)
			if e.Details != "" {
				line += ": " + e.Details
			}
			for _, out := range outs {
				byOutput[out] = append(byOutput[out], line)
			}
		}
	}
	var dropped []DroppedOutput
	for _, out := range wfSortedIDs(byOutput) {
		dropped = append(dropped, DroppedOutput{NodeID: out, ClassType: wfClassOf(prompt, out), Reasons: byOutput[out]})
	}
	return dropped
}

// DescribeDropped renders dropped outputs as lines for a text result.
func DescribeDropped(dropped []DroppedOutput) string {
	var b strings.Builder
	for i, d := range dropped {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "output node %s (%s) was dropped: %s", d.NodeID, d.ClassType, strings.Join(d.Reasons, "; "))
	}
	return b.String()
}

func wfClassOf(prompt map[string]any, id string) string {
	node, _ := prompt[id].(map[string]any)
	ct, _ := node["class_type"].(string)
	if ct == "" {
		return "unknown class"
	}
	return ct
}

func wfSortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return NodeIDLess(ids[i], ids[j]) })
	return ids
}
