package comfy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// This file converts a workflow saved by ComfyUI's web editor (the "UI
// format": top-level nodes and links arrays) into the API format POST
// /prompt takes, the way the editor's own "Queue" does. The editor keeps
// widget values as a positional list (widgets_values) whose meaning depends
// on the node class's declaration, so the conversion needs /object_info;
// where the saved graph cannot be read with certainty it refuses and points
// the user at the editor's own export.

// Node modes of the editor (LiteGraph): 0 always, 1 on event, 2 never
// (muted), 3 on trigger, 4 bypassed.
const (
	uiModeMuted    = 2
	uiModeBypassed = 4
)

// ClassLookup returns the /object_info declarations of the named classes;
// a class the server does not have is absent from the map.
type ClassLookup func(classes []string) (map[string]*ClassInputs, error)

// Conversion is an editor workflow in API format.
type Conversion struct {
	Prompt map[string]any
	// Notes say what the conversion left out or rewired (muted and
	// bypassed nodes, inputs that lost their source), for the agent.
	Notes []string
}

// ConversionError is a workflow the uiConverter cannot read with certainty.
// NodeID and NodeType name the node that caused it, when one did.
type ConversionError struct {
	NodeID   string
	NodeType string
	Reason   string
}

func (e *ConversionError) Error() string {
	where := ""
	if e.NodeID != "" {
		where = fmt.Sprintf("node %s (%s): ", e.NodeID, e.NodeType)
	}
	return "cannot convert this workflow from the editor's format to the API format: " + where + e.Reason +
		". In ComfyUI, export it with Workflow → Export (API) and pass that JSON instead."
}

// IsUIWorkflow reports whether w is in the editor's format: a top-level
// "nodes" array. (In the API format every top-level value is a node
// object, so the two cannot be confused.)
func IsUIWorkflow(w map[string]any) bool {
	_, ok := w["nodes"].([]any)
	return ok
}

// uiGraph is the part of an editor workflow the conversion reads.
type uiGraph struct {
	Nodes       []*uiNode         `json:"nodes"`
	Links       []json.RawMessage `json:"links"`
	Definitions struct {
		Subgraphs []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"subgraphs"`
	} `json:"definitions"`
}

type uiNode struct {
	RawID         any             `json:"id"`
	Type          string          `json:"type"`
	Title         string          `json:"title"`
	Mode          int             `json:"mode"`
	Inputs        []uiInput       `json:"inputs"`
	WidgetsValues json.RawMessage `json:"widgets_values"`
	id            string
}

type uiInput struct {
	Name   string `json:"name"`
	Type   any    `json:"type"`
	Link   any    `json:"link"`
	Widget *struct {
		Name string `json:"name"`
	} `json:"widget"`
}

func (in uiInput) linkID() string   { return uiID(in.Link) }
func (in uiInput) typeName() string { return uiID(in.Type) }

// uiLink is one entry of links: [id, origin_id, origin_slot, target_id,
// target_slot, type] in the classic format, an object in the newer one.
type uiLink struct {
	ID         string
	Origin     string
	OriginSlot json.Number
	Type       string
}

func parseUILink(raw json.RawMessage) (uiLink, error) {
	var l uiLink
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		var a []any
		if err := dec.Decode(&a); err != nil || len(a) < 5 {
			return l, fmt.Errorf("link %s is not [id, origin_id, origin_slot, target_id, target_slot, type]", raw)
		}
		l.ID, l.Origin, l.OriginSlot = uiID(a[0]), uiID(a[1]), uiNumber(a[2])
		if len(a) > 5 {
			l.Type = uiID(a[5])
		}
	} else {
		var o struct {
			ID         any         `json:"id"`
			OriginID   any         `json:"origin_id"`
			OriginSlot json.Number `json:"origin_slot"`
			Type       any         `json:"type"`
		}
		if err := dec.Decode(&o); err != nil {
			return l, fmt.Errorf("link %s is not a link object: %v", raw, err)
		}
		l.ID, l.Origin, l.OriginSlot, l.Type = uiID(o.ID), uiID(o.OriginID), o.OriginSlot, uiID(o.Type)
	}
	if l.ID == "" || l.Origin == "" || l.OriginSlot == "" {
		return l, fmt.Errorf("link %s lacks an id, origin node or origin slot", raw)
	}
	return l, nil
}

// uiID renders a node or link id (a JSON number or string) as the
// string the API format uses; "" for null.
func uiID(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return fmt.Sprint(v)
	}
	return ""
}

func uiNumber(v any) json.Number {
	if n, ok := v.(json.Number); ok {
		return n
	}
	return ""
}

// uiConverter holds one conversion's indexes.
type uiConverter struct {
	nodes     map[string]*uiNode
	links     map[string]uiLink
	subgraphs map[string]string // subgraph id → name
	classes   map[string]*ClassInputs
	notes     []string
}

// ConvertUIWorkflow converts an editor workflow to the API format, asking
// lookup once for the classes of the nodes that will run.
func ConvertUIWorkflow(w map[string]any, lookup ClassLookup) (*Conversion, error) {
	c, active, err := newUIConverter(w)
	if err != nil {
		return nil, err
	}
	if c.classes, err = lookupUIClasses(active, lookup); err != nil {
		return nil, err
	}
	prompt := map[string]any{}
	for _, n := range active {
		entry, err := c.convertNode(n)
		if err != nil {
			return nil, err
		}
		prompt[n.id] = entry
	}
	return &Conversion{Prompt: prompt, Notes: c.notes}, nil
}

// newUIConverter indexes the graph and returns the nodes that will run, in
// id order, after checking that each is something the API format can
// express.
func newUIConverter(w map[string]any) (*uiConverter, []*uiNode, error) {
	b, err := json.Marshal(w)
	if err != nil {
		return nil, nil, &ConversionError{Reason: err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var g uiGraph
	if err := dec.Decode(&g); err != nil {
		return nil, nil, &ConversionError{Reason: "the nodes or links are malformed: " + err.Error()}
	}
	c := &uiConverter{nodes: map[string]*uiNode{}, links: map[string]uiLink{}, subgraphs: map[string]string{}}
	for _, sg := range g.Definitions.Subgraphs {
		c.subgraphs[sg.ID] = sg.Name
	}
	for _, raw := range g.Links {
		if string(raw) == "null" {
			continue
		}
		l, err := parseUILink(raw)
		if err != nil {
			return nil, nil, &ConversionError{Reason: err.Error()}
		}
		c.links[l.ID] = l
	}
	var active []*uiNode
	for i, n := range g.Nodes {
		if n == nil {
			continue
		}
		if n.id = uiID(n.RawID); n.id == "" {
			return nil, nil, &ConversionError{Reason: fmt.Sprintf("nodes[%d] (%s) has no id", i, n.Type)}
		}
		if _, dup := c.nodes[n.id]; dup {
			return nil, nil, &ConversionError{NodeID: n.id, NodeType: n.Type, Reason: "two nodes have this id"}
		}
		c.nodes[n.id] = n
		run, err := c.classify(n)
		if err != nil {
			return nil, nil, err
		}
		if run {
			active = append(active, n)
		}
	}
	sort.Slice(active, func(i, j int) bool { return NodeIDLess(active[i].id, active[j].id) })
	return c, active, nil
}

// classify decides whether a node becomes an API node: editor-only nodes,
// muted and bypassed nodes do not; subgraphs and group nodes cannot be
// expanded here.
func (c *uiConverter) classify(n *uiNode) (bool, error) {
	switch {
	case uiEditorOnly(n.Type):
		return false, nil
	case n.Mode == uiModeMuted:
		c.note("muted node %s (%s) left out", n.id, n.Type)
		return false, nil
	case n.Mode == uiModeBypassed:
		return false, nil // noted where something is wired through it
	case n.Type == "":
		return false, &ConversionError{NodeID: n.id, NodeType: "no type", Reason: "the node has no type"}
	}
	if name, ok := c.subgraphs[n.Type]; ok {
		return false, &ConversionError{NodeID: n.id, NodeType: "subgraph " + name,
			Reason: "subgraphs cannot be expanded outside the editor"}
	}
	if strings.HasPrefix(n.Type, "workflow>") || strings.HasPrefix(n.Type, "workflow/") {
		return false, &ConversionError{NodeID: n.id, NodeType: n.Type,
			Reason: "group nodes cannot be expanded outside the editor"}
	}
	return true, nil
}

// uiEditorOnly names the nodes that exist only in the editor: they carry
// values or notes but never reach ComfyUI.
func uiEditorOnly(typ string) bool {
	switch typ {
	case "Reroute", "PrimitiveNode", "Note", "MarkdownNote":
		return true
	}
	return false
}

func lookupUIClasses(active []*uiNode, lookup ClassLookup) (map[string]*ClassInputs, error) {
	seen := map[string]bool{}
	var names []string
	for _, n := range active {
		if !seen[n.Type] {
			seen[n.Type] = true
			names = append(names, n.Type)
		}
	}
	classes, err := lookup(names)
	if err != nil {
		return nil, err
	}
	for _, n := range active {
		if classes[n.Type] == nil {
			return nil, &ConversionError{NodeID: n.id, NodeType: n.Type,
				Reason: "this ComfyUI server has no node class " + n.Type + " (a custom node that is not installed?), so its widget values cannot be named"}
		}
	}
	return classes, nil
}

func (c *uiConverter) note(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// convertNode builds one API node: widget values by name, then links,
// which win over a widget value of the same input as in the editor.
func (c *uiConverter) convertNode(n *uiNode) (map[string]any, error) {
	inputs, err := uiWidgetInputs(n, c.classes[n.Type])
	if err != nil {
		return nil, err
	}
	for _, in := range n.Inputs {
		link := in.linkID()
		if link == "" || in.Name == "" {
			continue
		}
		src, ok, err := c.resolve(n, in, link)
		if err != nil {
			return nil, err
		}
		if ok {
			inputs[in.Name] = src
		} else {
			delete(inputs, in.Name)
		}
	}
	entry := map[string]any{"class_type": n.Type, "inputs": inputs}
	if n.Title != "" {
		entry["_meta"] = map[string]any{"title": n.Title}
	}
	return entry, nil
}

// resolve follows the link into input in of node n back to what feeds it:
// through reroutes and bypassed nodes to a running node's output, or to a
// PrimitiveNode's value. ok is false when nothing feeds the input any more
// (a muted source, a dangling reroute): the editor then leaves the input
// out, and so does this.
func (c *uiConverter) resolve(n *uiNode, in uiInput, link string) (any, bool, error) {
	want := in.typeName()
	for steps := 0; steps <= len(c.nodes)+1; steps++ {
		l, ok := c.links[link]
		if !ok {
			return nil, false, &ConversionError{NodeID: n.id, NodeType: n.Type,
				Reason: fmt.Sprintf("input %s uses link %s, which the workflow's links list lacks", in.Name, link)}
		}
		o := c.nodes[l.Origin]
		if o == nil {
			return nil, false, &ConversionError{NodeID: n.id, NodeType: n.Type,
				Reason: fmt.Sprintf("input %s is linked to node %s, which the workflow lacks", in.Name, l.Origin)}
		}
		if want == "" || want == "*" {
			want = l.Type
		}
		switch {
		case o.Type == "Reroute":
			if link = uiFirstLink(o); link == "" {
				c.note("input %s of node %s left out: reroute %s has no input", in.Name, n.id, o.id)
				return nil, false, nil
			}
		case o.Type == "PrimitiveNode":
			v, ok := uiPrimitiveValue(o)
			if !ok {
				c.note("input %s of node %s left out: primitive node %s has no value", in.Name, n.id, o.id)
			}
			return v, ok, nil
		case uiEditorOnly(o.Type):
			return nil, false, nil
		case o.Mode == uiModeMuted:
			c.note("input %s of node %s left out: its source, node %s (%s), is muted", in.Name, n.id, o.id, o.Type)
			return nil, false, nil
		case o.Mode == uiModeBypassed:
			next, err := uiBypassInput(o, l, want)
			if err != nil {
				err.Reason += fmt.Sprintf(" to node %s's input %s", n.id, in.Name)
				return nil, false, err
			}
			c.note("bypassed node %s (%s) wired through to input %s of node %s", o.id, o.Type, in.Name, n.id)
			link = next
		default:
			slot, err := l.OriginSlot.Int64()
			if err != nil {
				return nil, false, &ConversionError{NodeID: n.id, NodeType: n.Type,
					Reason: fmt.Sprintf("link %s has origin slot %s, not an integer", l.ID, l.OriginSlot)}
			}
			return []any{o.id, slot}, true, nil
		}
	}
	return nil, false, &ConversionError{NodeID: n.id, NodeType: n.Type,
		Reason: fmt.Sprintf("input %s is fed through a loop of reroutes or bypassed nodes", in.Name)}
}

func uiFirstLink(n *uiNode) string {
	if len(n.Inputs) == 0 {
		return ""
	}
	return n.Inputs[0].linkID()
}

// uiBypassInput picks the input a bypassed node passes to its output, as the
// editor does: the input at the output's index if its type matches, else
// the first input of the type wanted.
func uiBypassInput(o *uiNode, l uiLink, want string) (string, *ConversionError) {
	fail := func(reason string) (string, *ConversionError) {
		return "", &ConversionError{NodeID: o.id, NodeType: o.Type, Reason: reason}
	}
	pick := -1
	if slot, err := l.OriginSlot.Int64(); err == nil && slot >= 0 && int(slot) < len(o.Inputs) && o.Inputs[slot].typeName() == want {
		pick = int(slot)
	}
	for i := 0; pick < 0 && i < len(o.Inputs); i++ {
		if o.Inputs[i].typeName() == want {
			pick = i
		}
	}
	if pick < 0 {
		return fail(fmt.Sprintf("the node is bypassed but has no %s input to pass through", want))
	}
	next := o.Inputs[pick].linkID()
	if next == "" {
		return fail(fmt.Sprintf("the node is bypassed and its %s input %s, which it would pass through, is not connected", want, o.Inputs[pick].Name))
	}
	return next, nil
}

// uiPrimitiveValue is a PrimitiveNode's value: the first of its widget values
// (a seed's control value may follow).
func uiPrimitiveValue(n *uiNode) (any, bool) {
	vals, _ := uiWidgetList(n.WidgetsValues)
	if len(vals) == 0 || vals[0] == nil {
		return nil, false
	}
	return vals[0], true
}

func uiWidgetList(raw json.RawMessage) ([]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var vals []any
	if dec.Decode(&vals) != nil {
		return nil, false
	}
	return vals, true
}
