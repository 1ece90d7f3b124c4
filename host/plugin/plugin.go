package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"time"

	"github.com/tetratelabs/wazero"
)

// Spec says what to load: one tools.yaml entry.
type Spec struct {
	// Name is the MCP tool name tools.yaml declares. The plugin must describe
	// a tool of exactly this name.
	Name string
	// Wasm is the module's bytes.
	Wasm []byte
	// Config is the entry's config mapping as JSON; nil means {}.
	Config json.RawMessage
	// Requester carries the plugin's ComfyUI requests; nil refuses them.
	Requester Requester
	// ClientID is the client_id of the host's ComfyUI event stream, handed
	// to the plugin so that the prompts it queues report to that stream.
	ClientID string
	// Files are the files the plugin may read, by name: absolute paths.
	Files map[string]string
	// MaxInstances bounds the instances, and so the concurrent calls, of this
	// plugin. Zero means DefaultMaxInstances.
	MaxInstances int
	// CallTimeout bounds one call. Zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// MaxOutputBytes bounds what one call may return. Zero means
	// DefaultMaxOutputBytes.
	MaxOutputBytes int
}

// Defaults of [Spec] limits.
var (
	DefaultMaxInstances   = max(runtime.GOMAXPROCS(0), 2)
	DefaultCallTimeout    = 2 * time.Minute
	DefaultMaxOutputBytes = 32 << 20
)

// ToolInfo is the tool a plugin describes (docs/abi.md, "Description").
type ToolInfo struct {
	Name         string          `json:"name"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Annotations  json.RawMessage `json:"annotations,omitempty"`
}

type description struct {
	ABI  int       `json:"abi"`
	Tool *ToolInfo `json:"tool"`
}

// ToolName is the pattern MCP clients accept for tool names.
var ToolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// Plugin is a loaded plugin: its tool's description and a pool of instances.
// It is safe for concurrent use.
type Plugin struct {
	name          string
	tool          ToolInfo
	rt            *Runtime
	compiled      wazero.CompiledModule
	configMessage []byte
	requester     Requester
	files         map[string]string
	logger        *slog.Logger
	timeout       time.Duration
	maxOutput     int
	pool          *pool
}

// Load compiles spec.Wasm (or takes it from the compilation cache), checks
// its exports, asks it to describe itself and verifies the description. The
// instance used to describe is kept as the pool's first instance.
func (r *Runtime) Load(ctx context.Context, spec Spec) (*Plugin, error) {
	if !ToolName.MatchString(spec.Name) {
		return nil, fmt.Errorf("load plugin: %q is not a valid tool name", spec.Name)
	}
	compiled, err := r.wz.CompileModule(ctx, spec.Wasm)
	if err != nil {
		return nil, fmt.Errorf("load plugin %s: not a valid WebAssembly module: %w", spec.Name, err)
	}
	if err := checkExports(compiled); err != nil {
		compiled.Close(ctx)
		return nil, fmt.Errorf("load plugin %s: %w", spec.Name, err)
	}
	p := &Plugin{
		name:      spec.Name,
		rt:        r,
		compiled:  compiled,
		requester: spec.Requester,
		files:     spec.Files,
		logger:    r.logger.With("tool", spec.Name),
		timeout:   orDefault(spec.CallTimeout, DefaultCallTimeout),
		maxOutput: orDefault(spec.MaxOutputBytes, DefaultMaxOutputBytes),
	}
	p.configMessage, err = configMessage(spec.Name, spec.Config, spec.ClientID)
	if err != nil {
		compiled.Close(ctx)
		return nil, fmt.Errorf("load plugin %s: %w", spec.Name, err)
	}
	p.pool = newPool(orDefault(spec.MaxInstances, DefaultMaxInstances), p.newInstance)
	if err := p.describe(ctx); err != nil {
		p.Close(ctx)
		return nil, fmt.Errorf("load plugin %s: %w", spec.Name, err)
	}
	return p, nil
}

func configMessage(name string, config json.RawMessage, clientID string) ([]byte, error) {
	if len(config) == 0 {
		config = json.RawMessage("{}")
	}
	if !json.Valid(config) {
		return nil, errors.New("config is not valid JSON")
	}
	return json.Marshal(struct {
		Tool     string          `json:"tool"`
		Config   json.RawMessage `json:"config"`
		ClientID string          `json:"client_id,omitempty"`
	}{name, config, clientID})
}

// describe runs easel_describe on a fresh instance and checks the answer.
func (p *Plugin) describe(ctx context.Context) error {
	in, err := p.pool.acquire(ctx)
	if err != nil {
		return err
	}
	out, err := in.describe(ctx)
	p.pool.release(in, err == nil)
	if err != nil {
		return err
	}
	var d description
	if err := json.Unmarshal(out, &d); err != nil {
		return fmt.Errorf("easel_describe returned invalid JSON: %w", err)
	}
	switch {
	case d.ABI != ABIVersion:
		return fmt.Errorf("plugin speaks ABI %d, this easel speaks %d", d.ABI, ABIVersion)
	case d.Tool == nil:
		return errors.New(`description has no "tool"`)
	case d.Tool.Name != p.name:
		return fmt.Errorf("plugin describes tool %q but tools.yaml declares it as %q", d.Tool.Name, p.name)
	case d.Tool.Description == "":
		return errors.New("tool has no description")
	}
	if err := checkObjectSchema("inputSchema", d.Tool.InputSchema, true); err != nil {
		return err
	}
	if err := checkObjectSchema("outputSchema", d.Tool.OutputSchema, false); err != nil {
		return err
	}
	p.tool = *d.Tool
	return nil
}

// checkObjectSchema enforces what MCP requires of tool schemas: an object
// schema ("type": "object").
func checkObjectSchema(field string, raw json.RawMessage, required bool) error {
	if len(raw) == 0 || string(raw) == "null" {
		if required {
			return fmt.Errorf("tool has no %s", field)
		}
		return nil
	}
	var s struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &s); err != nil || s.Type != "object" {
		return fmt.Errorf(`tool %s must be a JSON Schema with "type": "object"`, field)
	}
	return nil
}

// Name is the tool's name.
func (p *Plugin) Name() string { return p.name }

// Tool is the tool's description as the plugin gave it.
func (p *Plugin) Tool() ToolInfo { return p.tool }

// Close discards the plugin's instances and compiled code.
func (p *Plugin) Close(ctx context.Context) error {
	p.pool.close(ctx)
	return p.compiled.Close(ctx)
}

// CallError is a call that produced no result: a trap, an ABI violation,
// a timeout or a cancellation. The instance that ran it has been discarded.
type CallError struct {
	Tool   string
	Reason string // what went wrong, in words for an agent
	Stderr string // the tail of the plugin's stderr during the call, if any
	Err    error
}

func (e *CallError) Error() string {
	msg := "plugin " + e.Tool + " failed: " + e.Reason
	if e.Stderr != "" {
		msg += " (plugin stderr: " + e.Stderr + ")"
	}
	return msg
}

func (e *CallError) Unwrap() error { return e.Err }

// Call runs the tool once with the client's arguments (a JSON object; nil
// means {}) and returns the plugin's CallToolResult as JSON. progress, if not
// nil, receives the plugin's progress reports. A tool-level error is a result
// with isError, not an error; the error return is for calls that produced no
// result at all, and is a *CallError.
func (p *Plugin) Call(ctx context.Context, args json.RawMessage, progress func(Progress)) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	in, err := p.pool.acquire(ctx)
	if err != nil {
		return nil, p.callError(ctx, "no instance became free: "+err.Error(), "", err)
	}
	out, err := in.call(ctx, p.callInput(args), progress)
	if err != nil {
		p.pool.release(in, false)
		return nil, p.callError(ctx, err.Error(), in.stderr.takeTail(), err)
	}
	result, err := p.parseOutcome(out)
	p.pool.release(in, err == nil)
	if err != nil {
		return nil, p.callError(ctx, err.Error(), in.stderr.takeTail(), err)
	}
	return result, nil
}

// callInput builds {"tool": name, "arguments": args} without re-encoding
// the arguments.
func (p *Plugin) callInput(args json.RawMessage) []byte {
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	name, _ := json.Marshal(p.name)
	b := make([]byte, 0, len(args)+len(name)+24)
	b = append(b, `{"tool":`...)
	b = append(b, name...)
	b = append(b, `,"arguments":`...)
	b = append(b, args...)
	return append(b, '}')
}

func (p *Plugin) callError(ctx context.Context, reason, stderr string, err error) *CallError {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		reason = fmt.Sprintf("timed out after %s", p.timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		reason = "cancelled"
	}
	p.logger.Warn("plugin call failed", "reason", reason, "stderr", stderr, "err", err)
	return &CallError{Tool: p.name, Reason: reason, Stderr: stderr, Err: err}
}

// parseOutcome checks the ABI outcome and extracts the CallToolResult.
func (p *Plugin) parseOutcome(out []byte) (json.RawMessage, error) {
	if len(out) > p.maxOutput {
		return nil, fmt.Errorf("result is %d bytes, over the %d-byte limit", len(out), p.maxOutput)
	}
	var o struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(out, &o); err != nil {
		return nil, fmt.Errorf("easel_call returned invalid JSON: %w", err)
	}
	if len(o.Result) == 0 || o.Result[0] != '{' {
		return nil, errors.New(`easel_call returned no "result" object`)
	}
	return o.Result, nil
}
