package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

// Config is a workflow tool's `config:` mapping in tools.yaml.
type Config struct {
	Description string               `json:"description" description:"What the tool does, for the agent"`
	Parameters  map[string]Parameter `json:"parameters,omitempty" description:"The tool's arguments, each written into workflow inputs"`
	// WaitS makes the tool run the workflow to the end (the default, 50 s)
	// and return its outputs, or with 0 only queue it.
	WaitS *int `json:"wait_s,omitempty" minimum:"0" maximum:"3600" description:"Seconds to wait for the result; 0 only queues the job"`
}

// defaultWait is how long a workflow tool waits for its job by default:
// under the 60 s after which most MCP clients give up on a request (the
// TypeScript SDK's default), which would lose the answer and, with it, the
// job's prompt_id. A timed-out wait answers with the prompt_id, for
// wait_for_job.
const defaultWait = 50 * time.Second

// Parameter declares one argument of the tool: its JSON Schema (type,
// bounds, enum, default) and the workflow inputs its value is written to.
type Parameter struct {
	Type        string       `json:"type" enum:"string,integer,number,boolean"`
	Description string       `json:"description,omitempty"`
	Required    bool         `json:"required,omitempty"`
	Default     any          `json:"default,omitempty"`
	Enum        []any        `json:"enum,omitempty"`
	Minimum     *json.Number `json:"minimum,omitempty"`
	Maximum     *json.Number `json:"maximum,omitempty"`
	MinLength   *int         `json:"minLength,omitempty" minimum:"0"`
	MaxLength   *int         `json:"maxLength,omitempty" minimum:"0"`
	Pattern     string       `json:"pattern,omitempty"`
	Targets     []Target     `json:"targets" minItems:"1"`
}

// Target is one workflow input a parameter sets. Node is the node id, a
// string or a number in YAML.
type Target struct {
	Node  any    `json:"node"`
	Input string `json:"input"`
}

// Limits on what tools.yaml may declare: every workflow tool's description
// and schema go into tools/list, which agents read in full.
const (
	maxDescription      = 1000
	maxParamDescription = 300
	maxParams           = 32
)

var paramName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// workflowTool is a checked configuration: the workflow and the parameters
// that fill it.
type workflowTool struct {
	description string
	wait        time.Duration // 0: only queue
	params      []*param      // required first, then by name
	byName      map[string]*param
	workflow    []byte // the API-format workflow file, decoded afresh for every prompt
}

// param is a Parameter with its bounds and pattern parsed.
type param struct {
	Parameter
	name     string
	min, max *big.Rat
	pattern  *regexp.Regexp
	targets  []target
}

type target struct{ node, input string }

// configError names the configuration key at fault, as tools.yaml spells
// it: config.parameters.width.minimum.
func configError(key, format string, args ...any) error {
	return fmt.Errorf("config.%s: %s", key, fmt.Sprintf(format, args...))
}

// newWorkflowTool checks a configuration against its workflow file and
// returns every problem found, each naming its key.
func newWorkflowTool(cfg Config, workflowFile []byte) (*workflowTool, error) {
	wf, err := parseWorkflowFile(workflowFile)
	if err != nil {
		return nil, err
	}
	var errs []error
	desc := strings.TrimSpace(cfg.Description)
	switch n := utf8.RuneCountInString(desc); {
	case n == 0:
		errs = append(errs, configError("description", "is empty: say what the tool does, for the agent"))
	case n > maxDescription:
		errs = append(errs, configError("description", "is %d characters; keep it under %d", n, maxDescription))
	}
	if len(cfg.Parameters) > maxParams {
		errs = append(errs, configError("parameters", "declares %d parameters; at most %d", len(cfg.Parameters), maxParams))
	}
	t := &workflowTool{description: desc, byName: map[string]*param{}, workflow: workflowFile, wait: defaultWait}
	if cfg.WaitS != nil {
		t.wait = time.Duration(*cfg.WaitS) * time.Second
	}
	claimed := map[target]string{}
	for _, name := range sortedKeys(cfg.Parameters) {
		p, perrs := newParam(name, cfg.Parameters[name], wf)
		errs = append(errs, perrs...)
		if p == nil {
			continue
		}
		for _, tg := range p.targets {
			if other, dup := claimed[tg]; dup {
				errs = append(errs, configError("parameters."+name+".targets", "node %s input %s is already set by parameter %s", tg.node, tg.input, other))
			}
			claimed[tg] = name
		}
		t.params = append(t.params, p)
		t.byName[name] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.SliceStable(t.params, func(i, j int) bool { return t.params[i].Required && !t.params[j].Required })
	return t, nil
}

// parseWorkflowFile checks that the granted file is an API-format workflow.
func parseWorkflowFile(data []byte) (map[string]any, error) {
	wf, err := decodeExact(data)
	if err != nil {
		return nil, fmt.Errorf("files.workflow: not a JSON object: %v", err)
	}
	if comfy.IsUIWorkflow(wf) {
		return nil, errors.New("files.workflow: the file is in the editor's format (nodes and links); in ComfyUI, export it with Workflow → Export (API) and use that file")
	}
	if err := comfy.CheckAPIWorkflow(wf); err != nil {
		return nil, fmt.Errorf("files.workflow: %w", err)
	}
	if len(wf) == 0 {
		return nil, errors.New("files.workflow: the workflow has no nodes")
	}
	return wf, nil
}

// newParam checks one parameter. It returns nil and the problems when the
// parameter is unusable.
func newParam(name string, spec Parameter, wf map[string]any) (*param, []error) {
	key := "parameters." + name
	var errs []error
	fail := func(sub, format string, args ...any) {
		k := key
		if sub != "" {
			k += "." + sub
		}
		errs = append(errs, configError(k, format, args...))
	}
	if !paramName.MatchString(name) {
		fail("", "the name must match %s (it becomes an argument name)", paramName)
	}
	if n := utf8.RuneCountInString(spec.Description); n > maxParamDescription {
		fail("description", "is %d characters; keep it under %d", n, maxParamDescription)
	}
	p := &param{Parameter: spec, name: name}
	p.checkKeywords(fail)
	for i, tg := range spec.Targets {
		t, err := checkTarget(tg, wf)
		if err != nil {
			fail(fmt.Sprintf("targets[%d]", i), "%v", err)
			continue
		}
		p.targets = append(p.targets, t)
	}
	if spec.Required && spec.Default != nil {
		fail("default", "a required parameter has no default: drop one of required and default")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for i, v := range spec.Enum {
		if _, err := p.check(v); err != nil {
			fail(fmt.Sprintf("enum[%d]", i), "%v", err)
		}
	}
	if spec.Default != nil {
		if _, err := p.check(spec.Default); err != nil {
			fail("default", "%v", err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

// checkKeywords checks that each JSON Schema keyword fits the type and
// parses its value.
func (p *param) checkKeywords(fail func(sub, format string, args ...any)) {
	numeric := p.Type == "integer" || p.Type == "number"
	for _, b := range []struct {
		key string
		lit *json.Number
		dst **big.Rat
	}{{"minimum", p.Minimum, &p.min}, {"maximum", p.Maximum, &p.max}} {
		if b.lit == nil {
			continue
		}
		if !numeric {
			fail(b.key, "applies to integer and number parameters, not %s", p.Type)
			continue
		}
		r, ok := new(big.Rat).SetString(b.lit.String())
		if !ok || (p.Type == "integer" && !r.IsInt()) {
			fail(b.key, "%s is not %s", b.lit, article(p.Type))
			continue
		}
		*b.dst = r
	}
	if p.min != nil && p.max != nil && p.min.Cmp(p.max) > 0 {
		fail("minimum", "%s is above maximum %s", p.Minimum, p.Maximum)
	}
	if p.Type != "string" {
		for _, kw := range []struct {
			key string
			set bool
		}{{"minLength", p.MinLength != nil}, {"maxLength", p.MaxLength != nil}, {"pattern", p.Pattern != ""}} {
			if kw.set {
				fail(kw.key, "applies to string parameters, not %s", p.Type)
			}
		}
	}
	if p.MinLength != nil && p.MaxLength != nil && *p.MinLength > *p.MaxLength {
		fail("minLength", "%d is above maxLength %d", *p.MinLength, *p.MaxLength)
	}
	if p.Pattern != "" {
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			fail("pattern", "%v", err)
		}
		p.pattern = re
	}
	if p.Type == "boolean" && len(p.Enum) > 0 {
		fail("enum", "does not apply to boolean parameters")
	}
	if len(p.Targets) == 0 {
		fail("targets", "is empty: list the workflow inputs ({node, input}) the value is written to")
	}
}

// checkTarget checks that a target names an existing widget input of an
// existing node: a link ([node, slot]) is wiring, not a value to set.
func checkTarget(tg Target, wf map[string]any) (target, error) {
	id := nodeID(tg.Node)
	if id == "" {
		return target{}, errors.New("node is missing (the id of a node of the workflow)")
	}
	if tg.Input == "" {
		return target{}, fmt.Errorf("input is missing (the name of an input of node %s)", id)
	}
	node, ok := wf[id].(map[string]any)
	if !ok {
		return target{}, fmt.Errorf("the workflow has no node %s (it has %s)", id, strings.Join(sortedKeys(wf), ", "))
	}
	class, _ := node["class_type"].(string)
	inputs, _ := node["inputs"].(map[string]any)
	v, ok := inputs[tg.Input]
	if !ok {
		return target{}, fmt.Errorf("node %s (%s) has no input %s (it has %s)", id, class, tg.Input, strings.Join(sortedKeys(inputs), ", "))
	}
	if isLink(v) {
		return target{}, fmt.Errorf("input %s of node %s (%s) is a link to node %v, not a value a parameter can set", tg.Input, id, class, v.([]any)[0])
	}
	return target{node: id, input: tg.Input}, nil
}

func nodeID(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// isLink reports whether an input value is a link: [node id, output slot].
func isLink(v any) bool {
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return false
	}
	_, idOK := a[0].(string)
	_, slotOK := a[1].(json.Number)
	return idOK && slotOK
}

// check validates a value against the parameter and returns it as it goes
// into the workflow (integers written without a fraction). The message
// says what is wrong, for "argument X: ..." or "config...default: ...".
func (p *param) check(v any) (any, error) {
	switch p.Type {
	case "string":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected a string, got %s", describe(v))
		}
		return s, p.checkString(s)
	case "boolean":
		if _, ok := v.(bool); !ok {
			return nil, fmt.Errorf("expected a boolean, got %s", describe(v))
		}
		return v, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("expected %s, got %s", article(p.Type), describe(v))
	}
	r, ok := new(big.Rat).SetString(n.String())
	if !ok {
		return nil, fmt.Errorf("%s is not a number", n)
	}
	if p.Type == "integer" {
		if !r.IsInt() {
			return nil, fmt.Errorf("must be an integer, got %s", n)
		}
		n = json.Number(r.Num().String())
	}
	if p.min != nil && r.Cmp(p.min) < 0 {
		return nil, fmt.Errorf("must be at least %s, got %s", p.Minimum, n)
	}
	if p.max != nil && r.Cmp(p.max) > 0 {
		return nil, fmt.Errorf("must be at most %s, got %s", p.Maximum, n)
	}
	if len(p.Enum) > 0 && !slices.ContainsFunc(p.Enum, func(e any) bool { return sameNumber(e, r) }) {
		return nil, fmt.Errorf("must be one of %s, got %s", enumText(p.Enum), n)
	}
	return n, nil
}

func (p *param) checkString(s string) error {
	n := utf8.RuneCountInString(s)
	switch {
	case p.MinLength != nil && n < *p.MinLength:
		return fmt.Errorf("must be at least %d characters long, got %d", *p.MinLength, n)
	case p.MaxLength != nil && n > *p.MaxLength:
		return fmt.Errorf("must be at most %d characters long, got %d", *p.MaxLength, n)
	case p.pattern != nil && !p.pattern.MatchString(s):
		return fmt.Errorf("must match the pattern %s, got %q", p.Pattern, s)
	case len(p.Enum) > 0 && !slices.Contains(p.Enum, any(s)):
		return fmt.Errorf("must be one of %s, got %q", enumText(p.Enum), s)
	}
	return nil
}

func sameNumber(e any, r *big.Rat) bool {
	n, ok := e.(json.Number)
	if !ok {
		return false
	}
	er, ok := new(big.Rat).SetString(n.String())
	return ok && er.Cmp(r) == 0
}

func enumText(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ", ")
}

func article(typ string) string {
	if typ == "integer" {
		return "an integer"
	}
	return "a " + typ
}

// describe names a JSON value's type, as the SDK's messages do.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// BuildPrompt validates the arguments against the parameters and writes
// each value (or default) into a fresh copy of the workflow. Parameters
// without a value and without a default leave the workflow's own value.
// The error lists every problem, each naming its argument.
func (t *workflowTool) BuildPrompt(args map[string]any) (map[string]any, error) {
	var problems []string
	for _, k := range sortedKeys(args) {
		if _, ok := t.byName[k]; !ok {
			problems = append(problems, fmt.Sprintf("unknown argument %q (%s)", k, t.takes()))
		}
	}
	prompt, err := decodeExact(t.workflow)
	if err != nil {
		return nil, err // checked at load; only a changed file gets here
	}
	for _, p := range t.params {
		v := args[p.name]
		if v == nil { // an explicit null counts as absent, as in the SDK
			v = p.Default
		}
		if v == nil {
			if p.Required {
				problems = append(problems, fmt.Sprintf("argument %q is required", p.name))
			}
			continue
		}
		val, err := p.check(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("argument %q: %v", p.name, err))
			continue
		}
		for _, tg := range p.targets {
			prompt[tg.node].(map[string]any)["inputs"].(map[string]any)[tg.input] = val
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; ") + "\n" + t.usage())
	}
	return prompt, nil
}

func (t *workflowTool) takes() string {
	if len(t.params) == 0 {
		return "this tool takes no arguments"
	}
	names := make([]string, len(t.params))
	for i, p := range t.params {
		names[i] = p.name
	}
	return "this tool takes: " + strings.Join(names, ", ")
}

// usage lists the parameters with their constraints, so that an agent can
// correct a call from the error alone.
func (t *workflowTool) usage() string {
	if len(t.params) == 0 {
		return "Parameters: none."
	}
	parts := make([]string, len(t.params))
	for i, p := range t.params {
		parts[i] = p.usage()
	}
	return "Parameters: " + strings.Join(parts, "; ") + "."
}

func (p *param) usage() string {
	facts := []string{p.Type}
	switch {
	case p.Minimum != nil && p.Maximum != nil:
		facts = append(facts, fmt.Sprintf("%s to %s", p.Minimum, p.Maximum))
	case p.Minimum != nil:
		facts = append(facts, fmt.Sprintf("at least %s", p.Minimum))
	case p.Maximum != nil:
		facts = append(facts, fmt.Sprintf("at most %s", p.Maximum))
	}
	if len(p.Enum) > 0 {
		facts = append(facts, "one of "+enumText(p.Enum))
	}
	if p.Pattern != "" {
		facts = append(facts, "matching "+p.Pattern)
	}
	switch {
	case p.Required:
		facts = append(facts, "required")
	case p.Default != nil:
		def, _ := p.check(p.Default)
		facts = append(facts, fmt.Sprintf("default %v", def))
	}
	s := p.name + " (" + strings.Join(facts, ", ") + ")"
	if p.Description != "" {
		s += ": " + p.Description
	}
	return s
}

// InputSchema is the tool's inputSchema: one property per parameter, in
// the order of t.params, with additionalProperties false.
func (t *workflowTool) InputSchema() json.RawMessage {
	var b bytes.Buffer
	b.WriteString(`{"type":"object","properties":{`)
	var required []string
	for i, p := range t.params {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(&b, p.name)
		b.WriteByte(':')
		p.writeSchema(&b)
		if p.Required {
			required = append(required, p.name)
		}
	}
	b.WriteByte('}')
	if len(required) > 0 {
		b.WriteString(`,"required":`)
		writeJSON(&b, required)
	}
	b.WriteString(`,"additionalProperties":false}`)
	return b.Bytes()
}

func (p *param) writeSchema(b *bytes.Buffer) {
	b.WriteString(`{"type":`)
	writeJSON(b, p.Type)
	field := func(key string, v any) {
		b.WriteString(`,"` + key + `":`)
		writeJSON(b, v)
	}
	if p.Description != "" {
		field("description", p.Description)
	}
	if len(p.Enum) > 0 {
		field("enum", p.Enum)
	}
	if p.Default != nil {
		def, _ := p.check(p.Default)
		field("default", def)
	}
	if p.Minimum != nil {
		field("minimum", *p.Minimum)
	}
	if p.Maximum != nil {
		field("maximum", *p.Maximum)
	}
	if p.MinLength != nil {
		field("minLength", *p.MinLength)
	}
	if p.MaxLength != nil {
		field("maxLength", *p.MaxLength)
	}
	if p.Pattern != "" {
		field("pattern", p.Pattern)
	}
	b.WriteByte('}')
}

func writeJSON(b *bytes.Buffer, v any) {
	enc, err := json.Marshal(v)
	if err != nil {
		panic(err) // only config values decoded from JSON reach here
	}
	b.Write(enc)
}

// decodeExact decodes a JSON object keeping numbers as json.Number, so that
// a seed of 2^64-1 in the workflow file survives the round trip.
func decodeExact(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return m, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return comfy.NodeIDLess(keys[i], keys[j]) })
	return keys
}
