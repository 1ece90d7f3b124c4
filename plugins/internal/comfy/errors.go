package comfy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// PromptError is the 400 body of POST /prompt.
type PromptError struct {
	Error      ErrorDetail          `json:"error"`
	NodeErrors map[string]NodeError `json:"node_errors"`
}

// ErrorDetail is one {type, message, details, extra_info} object.
type ErrorDetail struct {
	Type      string          `json:"type"`
	Message   string          `json:"message"`
	Details   string          `json:"details"`
	ExtraInfo json.RawMessage `json:"extra_info,omitempty"`
}

// NodeError lists what failed validation on one node.
type NodeError struct {
	Errors           []ErrorDetail `json:"errors"`
	DependentOutputs []string      `json:"dependent_outputs"`
	ClassType        string        `json:"class_type"`
}

// Describe renders the validation failure for an agent: the top-level error,
// then one line per node error with its class_type, message and details.
// Read node_errors, not details: details is empty when the problem is
// upstream of the output node (API.md 2.1.2).
func (p *PromptError) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ComfyUI rejected the workflow: %s", p.Error.Message)
	if p.Error.Type != "" {
		fmt.Fprintf(&b, " (%s)", p.Error.Type)
	}
	if p.Error.Details != "" && len(p.NodeErrors) == 0 {
		fmt.Fprintf(&b, ": %s", p.Error.Details)
	}
	ids := make([]string, 0, len(p.NodeErrors))
	for id := range p.NodeErrors {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return NodeIDLess(ids[i], ids[j]) })
	for _, id := range ids {
		ne := p.NodeErrors[id]
		for _, e := range ne.Errors {
			fmt.Fprintf(&b, "\n- node %s (%s): %s", id, ne.ClassType, e.Message)
			if e.Details != "" {
				fmt.Fprintf(&b, ": %s", e.Details)
			}
		}
		if len(ne.DependentOutputs) > 0 {
			fmt.Fprintf(&b, " [blocks output nodes %s]", strings.Join(ne.DependentOutputs, ", "))
		}
	}
	return b.String()
}
