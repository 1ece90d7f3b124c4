package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"unsafe"
)

// Tool describes the one MCP tool a plugin provides and the function that
// runs it. In is the arguments' type, a struct whose fields and tags become
// the inputSchema (see SchemaFor); the SDK decodes and validates the
// agent's arguments into it before Handler runs, so a handler never sees
// an argument of the wrong type, out of range or missing. Out is what the
// handler answers: a struct (or a map with string keys) that becomes the
// result's structuredContent, described by an outputSchema; or *Result
// (or Result) when the handler builds the result itself.
type Tool[In, Out any] struct {
	// Name is the tool's MCP name (^[a-zA-Z0-9_-]{1,64}$). It must equal
	// the name tools.yaml declares for the plugin. Empty makes a generic
	// plugin, which serves whatever name tools.yaml declares: the SDK reads
	// it from the host's configuration and Call.Tool reports it.
	Name string

	// Title is a short human-readable name for the tool, shown by clients
	// in lists. Optional.
	Title string

	// Description tells the agent what the tool does, when to use it and
	// what it returns. It is most of what decides whether an agent uses
	// the tool well: write it for a reader who sees nothing else.
	Description string

	// Annotations are hints about the tool's behaviour for the client.
	Annotations Annotations

	// Describe, when set, completes the description from the tool's
	// configuration when the host asks for it, so that a generic plugin
	// declared several times in tools.yaml with different config is a
	// different tool each time (plugins/workflow makes each configured
	// workflow a tool with its own arguments). It runs in easel_describe,
	// where Call.Tool, Call.Config and Call.File work and ComfyUI requests
	// are refused. An error refuses the plugin: easel reports it when it
	// starts, naming the tool.
	Describe func(*Call) (Description, error)

	// Handler runs one call. A returned error becomes a tool error result
	// (isError, with the error's message as text), which the agent reads;
	// use it for anything the agent could act on. A panic makes the call
	// fail as a plugin failure and the host discards the instance; keep it
	// for bugs.
	Handler func(*Call, In) (Out, error)

	// EncodeOutput, when set, appends out to b as json.Marshal would, byte
	// for byte, and the SDK uses it instead of json.Marshal for the result.
	// encoding/json's reflection costs several times more in WebAssembly;
	// set it only for an answer given on every call of a hot path (a
	// polled job status), with a test that compares the two. It is a field
	// rather than an interface the answer implements so that a type that
	// embeds Out does not inherit it and lose its own fields.
	EncodeOutput func(out Out, b []byte) ([]byte, error)
}

// Annotations are MCP's tool annotations: hints that let a client decide,
// for example, whether to ask the user before a call. They are hints, not
// guarantees, and the host does not enforce them. All four are always sent,
// so the zero value claims a tool that writes (not read-only), is not
// destructive, not idempotent and talks only to ComfyUI (closed world).
type Annotations struct {
	// ReadOnly: the tool does not change anything (readOnlyHint).
	ReadOnly bool
	// Destructive: the tool may delete or overwrite something, such as
	// clearing the queue (destructiveHint). Meaningful only when not
	// ReadOnly; it is sent as false for a read-only tool.
	Destructive bool
	// Idempotent: calling again with the same arguments has no further
	// effect (idempotentHint).
	Idempotent bool
	// OpenWorld: the tool reaches beyond ComfyUI, for example downloading
	// from the internet (openWorldHint).
	OpenWorld bool
}

// Description is what Tool.Describe supplies. An empty field keeps what
// the SDK derived from the Tool.
type Description struct {
	// Description replaces Tool.Description.
	Description string
	// InputSchema replaces the schema derived from In. It must be a JSON
	// Schema object ("type": "object"). The SDK cannot check arguments
	// against it: declare In as map[string]any, which receives the
	// arguments as sent (numbers as json.Number), and validate them in the
	// handler.
	InputSchema json.RawMessage
}

// registered is the plugin's tool. ABI v1 gives a module exactly one tool,
// and the WebAssembly exports that serve it are plain functions with no
// receiver, so this one variable is the registration the ABI forces.
var registered *registration

// Register makes t the tool this plugin provides. Call it from an init
// function of package main: a -buildmode=c-shared module never runs main,
// but it runs init functions when the host initialises the instance.
//
// Register panics, so that a broken plugin fails when it starts rather
// than on an agent's call, if it is called a second time (ABI v1 allows
// exactly one tool per module), if the name is invalid, if Handler is nil,
// or if In or Out cannot be described as JSON Schema (see SchemaFor).
func Register[In, Out any](t Tool[In, Out]) {
	if registered != nil {
		panic(fmt.Sprintf("sdk: Register called twice (tool %q already registered, now %q): a plugin module provides exactly one tool", registered.name, t.Name))
	}
	r, err := t.compile()
	if err != nil {
		panic("sdk: " + err.Error())
	}
	registered = r
}

// MarshalJSON encodes the tool as the MCP tool description the host
// receives (name, title, description, inputSchema, outputSchema,
// annotations), so that a plugin's own tests can check what agents will
// be shown. A generic tool (empty Name) is encoded with an empty name.
func (t Tool[In, Out]) MarshalJSON() ([]byte, error) {
	r, err := t.compile()
	if err != nil {
		return nil, err
	}
	return json.Marshal(r.toolJSON(r.name, Description{}))
}

// registration is a Tool with its types compiled and its handler erased to
// one signature, ready to describe and to serve calls.
type registration struct {
	name         string
	title        string
	description  string
	annotations  Annotations
	inputSchema  json.RawMessage
	outputSchema json.RawMessage // nil when the handler builds its own Result
	dynamic      func(*Call) (Description, error)

	// handle decodes the generic arguments, runs the handler and turns its
	// answer into a Result. It panics when the handler does.
	handle func(c *Call, args any) *Result
}

var (
	resultType    = reflect.TypeFor[Result]()
	resultPtrType = reflect.TypeFor[*Result]()
)

func (t Tool[In, Out]) compile() (*registration, error) {
	if t.Name != "" && !validToolName(t.Name) {
		return nil, fmt.Errorf("invalid tool name %q: it must match ^[a-zA-Z0-9_-]{1,64}$", t.Name)
	}
	label := t.Name
	if label == "" {
		label = "(generic)"
	}
	if t.Handler == nil {
		return nil, fmt.Errorf("tool %s has no Handler", label)
	}
	inNode, err := compileRoot(reflect.TypeFor[In](), modeInput)
	if err != nil {
		return nil, fmt.Errorf("tool %s: input: %w", label, err)
	}
	r := &registration{name: t.Name, title: t.Title, description: t.Description, annotations: t.Annotations, dynamic: t.Describe}
	if r.inputSchema, err = json.Marshal(inNode.schema()); err != nil {
		return nil, fmt.Errorf("tool %s: input schema: %w", label, err)
	}
	var encode func(any) ([]byte, error)
	if e := t.EncodeOutput; e != nil {
		encode = func(v any) ([]byte, error) { return e(v.(Out), make([]byte, 0, 512)) }
	}
	toResult, err := r.compileOutput(reflect.TypeFor[Out](), label, encode)
	if err != nil {
		return nil, err
	}
	h := t.Handler
	r.handle = func(c *Call, args any) *Result {
		var in In
		if err := decodeObject(inNode, args, reflect.ValueOf(&in).Elem(), argumentWording); err != nil {
			return Error(err.Error())
		}
		out, err := h(c, in)
		if aw, ok := errors.AsType[*awaitRequest](err); ok {
			return &Result{await: aw}
		}
		if err != nil {
			return Error(err.Error())
		}
		res := toResult(out)
		if res == nil {
			panic(fmt.Sprintf("sdk: the handler of tool %q returned a nil %T and a nil error", c.Tool(), out))
		}
		return res
	}
	return r, nil
}

// compileOutput decides how a handler's answer becomes a Result and
// derives the outputSchema when there is one; encode, when not nil,
// replaces json.Marshal (Tool.EncodeOutput). The returned function
// returns nil for a nil answer.
func (r *registration) compileOutput(t reflect.Type, label string, encode func(any) ([]byte, error)) (func(any) *Result, error) {
	switch t {
	case resultType:
		return func(v any) *Result { res := v.(Result); return &res }, nil
	case resultPtrType:
		return func(v any) *Result { return v.(*Result) }, nil
	}
	outNode, err := compileRoot(t, modeOutput)
	if err != nil {
		return nil, fmt.Errorf("tool %s: output: %w", label, err)
	}
	if r.outputSchema, err = json.Marshal(outNode.outputSchema()); err != nil {
		return nil, fmt.Errorf("tool %s: output schema: %w", label, err)
	}
	nilable := t.Kind() == reflect.Pointer || t.Kind() == reflect.Map
	return func(v any) *Result {
		var b []byte
		var err error
		if encode != nil && !(nilable && reflect.ValueOf(v).IsNil()) {
			b, err = encode(v)
		} else {
			b, err = json.Marshal(v) // a nil answer is "null", below
		}
		if err != nil {
			return Errorf("the tool's answer could not be encoded as JSON: %v", err)
		}
		if string(b) == "null" {
			if t.Kind() == reflect.Pointer {
				return nil
			}
			b = []byte("{}") // a nil map: still an object
		}
		return structuredResult(b)
	}, nil
}

// structuredResult is the Result of a structured answer: b, compact JSON
// that nothing changes afterwards, as structuredContent and as the text
// item. The Result, its one item and the text share one allocation and
// b's bytes.
func structuredResult(b []byte) *Result {
	r := &struct {
		Result
		item [1]Content
	}{}
	r.item[0] = Content{Type: "text", Text: unsafe.String(unsafe.SliceData(b), len(b))}
	r.Result = Result{Content: r.item[:], StructuredContent: b, compact: true}
	return &r.Result
}

// toolJSON is the MCP tool description, keys in the order MCP documents
// them.
func (r *registration) toolJSON(name string, d Description) omap {
	t := omap{{"name", name}}
	if r.title != "" {
		t = append(t, member{"title", r.title})
	}
	if d.Description == "" {
		d.Description = r.description
	}
	if d.Description != "" {
		t = append(t, member{"description", d.Description})
	}
	if d.InputSchema == nil {
		d.InputSchema = r.inputSchema
	}
	t = append(t, member{"inputSchema", d.InputSchema})
	if r.outputSchema != nil {
		t = append(t, member{"outputSchema", r.outputSchema})
	}
	// The title travels once, as the tool's own title (MCP 2025-06-18);
	// annotations.title is its older spelling and would only repeat it.
	a := r.annotations
	var ann omap
	ann = append(ann,
		member{"readOnlyHint", a.ReadOnly},
		member{"destructiveHint", a.Destructive && !a.ReadOnly},
		member{"idempotentHint", a.Idempotent},
		member{"openWorldHint", a.OpenWorld},
	)
	return append(t, member{"annotations", ann})
}

// describe is easel_describe's answer for a tool served under name, with
// what Tool.Describe supplied.
func (r *registration) describe(name string, d Description) ([]byte, error) {
	if d.InputSchema != nil {
		var s struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(d.InputSchema, &s); err != nil || s.Type != "object" {
			return nil, fmt.Errorf("tool %s: Describe returned an InputSchema that is not a JSON Schema object (\"type\": \"object\")", name)
		}
	}
	return json.Marshal(omap{{"abi", 1}, {"tool", r.toolJSON(name, d)}})
}

// toolMember is the "tool" member of a description that also lists
// prompts and resources; describe has checked d.
func (r *registration) toolMember(name string, d Description) member {
	return member{"tool", r.toolJSON(name, d)}
}

// validToolName reports whether s matches ^[a-zA-Z0-9_-]{1,64}$, the ABI's
// rule for tool names.
func validToolName(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// errNoTool is the panic when the host calls a module that registered
// nothing: the plugin forgot sdk.Register, or called it from main, which a
// c-shared module never runs.
var errNoTool = errors.New("sdk: no tool, prompt or resource registered: call sdk.Register (or RegisterPrompt, RegisterResource) from an init function of package main (main never runs in a plugin)")
