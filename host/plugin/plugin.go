package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/easel-mcp/easel/host/egress"
	"github.com/easel-mcp/easel/host/plugin/internal/instrument"
	"github.com/easel-mcp/easel/host/policy"
	"github.com/easel-mcp/easel/sdk/jsonread"
)

// Spec says what to load: one tools.yaml entry.
type Spec struct {
	// Name is the MCP tool name tools.yaml declares. The plugin must describe
	// a tool of exactly this name.
	Name string
	// Wasm is the module's bytes.
	Wasm []byte
	// Module, when Wasm is nil, returns the module's bytes, and Digest is
	// their SHA-256 (lower-case hex). Load calls Module only when the
	// runtime has no cached instrumented form of that digest: a bundled
	// plugin is then not even decompressed.
	Module func() ([]byte, error)
	Digest string
	// SHA256, when set, pins Wasm: lower-case hex of its SHA-256 digest. Load
	// refuses a module whose digest differs, before compiling it, so a
	// plugin swapped on disk (or in a cache) never runs.
	SHA256 string
	// Config is the entry's config mapping as JSON; nil means {}.
	Config json.RawMessage
	// Requester carries the plugin's ComfyUI requests; nil refuses them.
	Requester Requester
	// ClientID is the client_id of the host's ComfyUI event stream, handed
	// to the plugin so that the prompts it queues report to that stream.
	ClientID string
	// Files are the files the plugin may read, by name: absolute paths.
	Files map[string]string
	// Permissions are what the plugin may do besides computing: ComfyUI
	// routes, job waiting, outbound hosts, client features. nil grants
	// nothing; tests that exercise behaviour rather than grants pass
	// policy.All().
	Permissions *policy.Permissions
	// Jobs waits for ComfyUI jobs when the plugin asks to (the ABI's await
	// outcome); nil makes every wait end with status "error".
	Jobs JobWaiter
	// MaxWait caps one wait a plugin asks for. Zero means DefaultMaxWait.
	MaxWait time.Duration
	// MaxInstances bounds the instances, and so the concurrent calls, of this
	// plugin. Zero means DefaultMaxInstances.
	MaxInstances int
	// CallTimeout bounds one call. Zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// MaxOutputBytes bounds what one call may return. Zero means
	// DefaultMaxOutputBytes.
	MaxOutputBytes int
	// MaxMemoryBytes caps each instance's linear memory (rounded down to
	// 64 KiB pages). Zero means DefaultMaxMemoryBytes.
	MaxMemoryBytes int64
	// MaxResponseBytes bounds a ComfyUI response body handed to the
	// plugin; a larger one reaches it as a status 0 error. Zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int
}

// Defaults of [Spec] limits (docs/security.md explains each).
var (
	// DefaultMaxInstances: twice the cores, at least 4 and at most 16. A
	// call holds its instance through its ComfyUI requests as well as its
	// own CPU time, and serve runs plugin code on one processor (package
	// proctune), so what bounds useful concurrency is waiting, not cores:
	// on the 2-core VM, get_job_status with 8 calls in flight against a
	// ComfyUI-speed server did 4-14% more calls per second with 4
	// instances than with 2, for about 5 MiB more RSS per busy instance
	// (docs/performance.md). Idle instances are released, and the cap
	// keeps a many-core host's worst case near 100 MiB per tool.
	DefaultMaxInstances = min(max(2*runtime.NumCPU(), 4), 16)
	// DefaultCallTimeout bounds one run of a plugin; waiting for a ComfyUI
	// job (await) holds no instance and is bounded by MaxWait instead.
	DefaultCallTimeout = 2 * time.Minute
	// DefaultMaxOutputBytes: a result with a few inline images.
	DefaultMaxOutputBytes = 32 << 20
	// DefaultMaxMemoryBytes: far above what a Go plugin needs (about 9 MiB
	// warm, plus twice the largest response it handles), low enough that a
	// runaway allocation fails that call and not the host.
	DefaultMaxMemoryBytes int64 = 256 << 20
	// DefaultMaxResponseBytes matches the ComfyUI client's own cap: a
	// full-size image.
	DefaultMaxResponseBytes = 64 << 20
	DefaultMaxWait          = time.Hour
)

// maxAwaits bounds the waits of one call, so that a plugin that awaits
// forever still ends.
const maxAwaits = 100

// checkDigest verifies a pinned module.
func checkDigest(got, want string) error {
	if want != "" && got != want {
		return fmt.Errorf("module sha256 is %s but it is pinned to %s: refusing to load it (rebuild the pinned version, or update the pin if this change is yours)", got, want)
	}
	return nil
}

func digestOf(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return hex.EncodeToString(sum[:])
}

// prepare returns the module to compile: spec's, checked against its pin
// and instrumented, or the instrumented form an earlier load cached; and
// its key in the module cache ("" for a module that is not instrumented).
func (r *Runtime) prepare(spec Spec) ([]byte, string, error) {
	wasm, digest := spec.Wasm, spec.Digest
	if wasm != nil || spec.Module == nil {
		digest = digestOf(wasm)
	}
	if err := checkDigest(digest, spec.SHA256); err != nil {
		return nil, "", err
	}
	if r.interrupt != interruptFuel {
		wasm, err := spec.bytes() // benchmarks of the other designs
		return wasm, "", err
	}
	opts := instrumentOptions(orDefault(spec.MaxMemoryBytes, DefaultMaxMemoryBytes))
	key := moduleKey(digest, opts)
	if out, ok := r.modules.get(key); ok {
		return out, key, nil
	}
	wasm, err := spec.bytes()
	if err != nil {
		return nil, "", err
	}
	if wasm != nil && spec.Wasm == nil && digestOf(wasm) != digest {
		return nil, "", fmt.Errorf("module sha256 is %s, not the %s it was given as", digestOf(wasm), digest)
	}
	out, err := instrument.Module(wasm, opts)
	if err != nil {
		return nil, "", fmt.Errorf("not a valid WebAssembly module: %w", err)
	}
	if err := r.modules.put(key, out); err != nil {
		r.logger.Warn("cannot cache an instrumented module; the next start rewrites it again", "tool", spec.Name, "err", err)
	}
	return out, key, nil
}

// bytes returns the module: Wasm, or what Module returns.
func (s Spec) bytes() ([]byte, error) {
	if s.Wasm != nil || s.Module == nil {
		return s.Wasm, nil
	}
	return s.Module()
}

// JobWaiter waits for ComfyUI jobs on behalf of plugins. The host
// implements it with its shared event stream (package jobs).
type JobWaiter interface {
	// WaitJob blocks until the job ends, timeout passes or ctx ends, and
	// returns the ABI's job result object (prompt_id, status, waited_ms,
	// state). An error means the wait could not start.
	// progress, when not nil, receives each report.
	WaitJob(ctx context.Context, promptID string, timeout time.Duration, progress func(progress, total float64, message string)) (json.RawMessage, error)
}

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
	Features
}

// ToolName is the pattern MCP clients accept for tool names.
var ToolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// Plugin is a loaded plugin: its tool's description and a pool of instances.
// It is safe for concurrent use.
type Plugin struct {
	name          string
	tool          ToolInfo
	rt            *Runtime
	code          *code // the compiled module, dropped while unused
	configMessage []byte
	requester     Requester
	files         map[string]string
	perms         *policy.Permissions
	egress        *egress.Client
	jobs          JobWaiter
	maxWait       time.Duration
	logger        *slog.Logger
	timeout       time.Duration
	maxOutput     int
	maxMemory     int64 // per instance, for the message of one that runs out
	maxResponse   int
	pool          *pool
	features      Features
}

// Load compiles spec.Wasm (or takes it from the compilation cache), checks
// its exports, asks it to describe itself and verifies the description. The
// instance used to describe is kept as the pool's first instance.
func (r *Runtime) Load(ctx context.Context, spec Spec) (*Plugin, error) {
	if !ToolName.MatchString(spec.Name) {
		return nil, fmt.Errorf("load plugin: %q is not a valid tool name", spec.Name)
	}
	wasm, key, err := r.prepare(spec)
	if err != nil {
		return nil, fmt.Errorf("load plugin %s: %w", spec.Name, err)
	}
	compiled, err := r.compile(ctx, spec.Name, key, wasm)
	if err != nil {
		return nil, fmt.Errorf("load plugin %s: %w", spec.Name, err)
	}
	if err := checkExports(compiled); err != nil {
		compiled.Close(ctx)
		return nil, fmt.Errorf("load plugin %s: %w", spec.Name, err)
	}
	p := &Plugin{
		name:      spec.Name,
		rt:        r,
		code:      &code{compiled: compiled, idle: r.codeIdle, recompile: r.recompiler(spec, key), dropped: r.memory.Release},
		requester: spec.Requester,
		files:     spec.Files,
		perms:     spec.Permissions,
		egress:    egress.New(egress.Config{Permissions: spec.Permissions, Tool: spec.Name}),
		jobs:      spec.Jobs,
		maxWait:   orDefault(spec.MaxWait, DefaultMaxWait),
		logger:    r.logger.With("tool", spec.Name),
		timeout:   orDefault(spec.CallTimeout, DefaultCallTimeout),
		maxOutput: orDefault(spec.MaxOutputBytes, DefaultMaxOutputBytes),
		maxMemory: orDefault(spec.MaxMemoryBytes, DefaultMaxMemoryBytes),

		maxResponse: orDefault(spec.MaxResponseBytes, DefaultMaxResponseBytes),
	}
	p.configMessage, err = configMessage(spec.Name, spec.Config, spec.ClientID)
	if err != nil {
		compiled.Close(ctx)
		return nil, fmt.Errorf("load plugin %s: %w", spec.Name, err)
	}
	p.pool = newPool(orDefault(spec.MaxInstances, DefaultMaxInstances), r.idleTimeout, p.newInstance)
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
// It is bounded by the call timeout: a plugin that never describes itself
// must not hold up the host's start.
func (p *Plugin) describe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	in, err := p.pool.acquire(ctx)
	if err != nil {
		return err
	}
	out, err := in.describe(ctx)
	p.pool.release(in, err == nil)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("easel_describe timed out after %s: %w", p.timeout, err)
		}
		return err
	}
	var d description
	if err := json.Unmarshal(out, &d); err != nil {
		return fmt.Errorf("easel_describe returned invalid JSON: %w", err)
	}
	switch {
	case d.ABI != ABIVersion:
		return fmt.Errorf("plugin speaks ABI %d, this easel speaks %d", d.ABI, ABIVersion)
	}
	if err := d.Features.check(); err != nil {
		return err
	}
	p.features = d.Features
	if d.Tool == nil {
		if d.Features.Empty() {
			return errors.New(`description has no "tool", "prompts", "resources" or "resourceTemplates"`)
		}
		return nil
	}
	switch {
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

// Tool is the tool's description as the plugin gave it; the zero ToolInfo
// for a plugin that provides only prompts and resources.
func (p *Plugin) Tool() ToolInfo { return p.tool }

// Close discards the plugin's instances and compiled code.
func (p *Plugin) Close(ctx context.Context) error {
	p.pool.close(ctx)
	p.egress.Close()
	return p.code.close(ctx)
}

// CallError is a call that produced no result: a trap, an ABI violation,
// a timeout or a cancellation. The instance that ran it has been discarded.
type CallError struct {
	Tool   string
	Reason string // what went wrong, in words for an agent
	Stderr string // the tail of the plugin's stderr during the call, if any
	Err    error

	// crashed says that Reason tells how a Go plugin crashed ("panicked:
	// …", "ran out of memory: …") and Stderr holds just the top of its
	// stack, so the message reads "plugin X panicked: …" with the trace
	// after it.
	crashed bool
}

func (e *CallError) Error() string {
	if e.crashed {
		msg := "plugin " + e.Tool + " " + e.Reason
		if e.Stderr != "" {
			msg += "\n" + e.Stderr
		}
		return msg
	}
	msg := "plugin " + e.Tool + " failed: " + e.Reason
	if e.Stderr != "" {
		msg += " (plugin stderr: " + e.Stderr + ")"
	}
	return msg
}

func (e *CallError) Unwrap() error { return e.Err }

// Call runs the tool once with the client's arguments (a JSON object; nil
// means {}) and returns the plugin's CallToolResult as JSON. progress, if not
// nil, receives the plugin's progress reports and, while the plugin awaits a
// job, the host's. A tool-level error is a result with isError, not an
// error; the error return is for calls that produced no result at all, and
// is a *CallError.
//
// A plugin that awaits a job gets its instance back to the pool during the
// wait and is called again, maybe on another instance, with the wait's
// result; ctx bounds the whole call, the per-call timeout each run.
//
// The result may leave out content when it has structuredContent (the SDK
// does, for a handler that returns a struct): see WithTextItem.
func (p *Plugin) Call(ctx context.Context, args json.RawMessage, progress func(Progress)) (json.RawMessage, error) {
	var resume []byte
	for round := 0; ; round++ {
		o, err := p.run(ctx, p.callInput(args, resume), progress)
		if err != nil {
			return nil, err
		}
		if o.Error != nil {
			// A tool reports failures as isError results; an "error"
			// outcome still reaches the agent as one.
			return json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": o.Error.Message}}, "isError": true})
		}
		if o.Await == nil {
			return o.Result, nil
		}
		if round == maxAwaits {
			return nil, p.callError(ctx, fmt.Sprintf("the plugin asked to wait more than %d times in one call", maxAwaits), "", nil)
		}
		if resume, err = p.await(ctx, o.Await, progress); err != nil {
			return nil, p.callError(ctx, err.Error(), "", err)
		}
	}
}

// run is one easel_call on a pooled instance, bounded by the call timeout.
func (p *Plugin) run(ctx context.Context, input []byte, progress func(Progress)) (*outcome, error) {
	rctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	in, err := p.pool.acquire(rctx)
	if err != nil {
		reason := "no instance could start: " + err.Error()
		if rctx.Err() != nil {
			reason = fmt.Sprintf("no instance became free (all %d busy; tools.yaml limits.max_instances)", cap(p.pool.slots))
		}
		return nil, p.callError(rctx, reason, "", err)
	}
	out, err := in.call(rctx, input, progress)
	if err == nil && rctx.Err() != nil {
		// It returned, but past its deadline (a host call ended by it, say):
		// the call failed, and the instance may be mid-way through anything.
		err = rctx.Err()
	}
	if err != nil {
		p.pool.release(in, false)
		return nil, p.callError(rctx, err.Error(), in.stderr.takeTail(), err)
	}
	o, err := p.parseOutcome(out)
	p.pool.release(in, err == nil)
	if err != nil {
		return nil, p.callError(rctx, err.Error(), in.stderr.takeTail(), err)
	}
	return o, nil
}

// awaitRequest is the "await" member of an outcome.
type awaitRequest struct {
	Job struct {
		PromptID  string `json:"prompt_id"`
		TimeoutMS int64  `json:"timeout_ms"`
	} `json:"job"`
	State json.RawMessage `json:"state,omitempty"`
}

// await waits as the plugin asked and returns the resume member of the next
// call input. A wait that cannot happen is reported to the plugin (status
// "error"), which knows best how to word it for the agent.
func (p *Plugin) await(ctx context.Context, a *awaitRequest, progress func(Progress)) ([]byte, error) {
	timeout := min(time.Duration(a.Job.TimeoutMS)*time.Millisecond, p.maxWait)
	var job json.RawMessage
	var err error
	switch {
	case a.Job.PromptID == "" || a.Job.TimeoutMS <= 0:
		return nil, errors.New("the plugin asked to wait without a prompt_id and a positive timeout_ms")
	case p.perms == nil || !p.perms.Jobs:
		p.logger.Warn("plugin refused: job waiting is not granted", "prompt_id", a.Job.PromptID)
		err = fmt.Errorf("waiting for ComfyUI jobs is not granted to tool %s (tools.yaml: permissions.jobs: true)", p.name)
	case p.jobs == nil:
		err = errors.New("this easel cannot wait for ComfyUI jobs")
	default:
		var report func(float64, float64, string)
		if progress != nil {
			report = func(n, total float64, msg string) { progress(Progress{Progress: n, Total: total, Message: msg}) }
		}
		job, err = p.jobs.WaitJob(ctx, a.Job.PromptID, timeout, report)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		job, _ = json.Marshal(map[string]string{"prompt_id": a.Job.PromptID, "status": "error", "error": err.Error()})
	}
	state := a.State
	if len(state) == 0 {
		state = json.RawMessage("null")
	}
	return json.Marshal(map[string]json.RawMessage{"job": job, "state": state})
}

// callInput builds {"tool": name, "arguments": args[, "resume": resume]}
// without re-encoding the arguments.
func (p *Plugin) callInput(args json.RawMessage, resume []byte) []byte {
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	name, _ := json.Marshal(p.name)
	b := make([]byte, 0, len(args)+len(name)+len(resume)+36)
	b = append(b, `{"tool":`...)
	b = append(b, name...)
	b = append(b, `,"arguments":`...)
	b = append(b, args...)
	if resume != nil {
		b = append(b, `,"resume":`...)
		b = append(b, resume...)
	}
	return append(b, '}')
}

func (p *Plugin) callError(ctx context.Context, reason, stderr string, err error) *CallError {
	waited := ""
	if strings.HasPrefix(reason, "no instance became free") {
		waited = ": " + reason
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		reason = fmt.Sprintf("timed out after %s", p.timeout) + waited
	case errors.Is(ctx.Err(), context.Canceled):
		reason = "cancelled" + waited
	default:
		if c, ok := readCrash(stderr); ok {
			p.logger.Warn("plugin crashed", "trap", reason, "stderr", stderr)
			return &CallError{Tool: p.name, Reason: p.crashReason(c), Stderr: c.trace, Err: err, crashed: true}
		}
		reason = shortWasmTrace(reason)
	}
	p.logger.Warn("plugin call failed", "reason", reason, "stderr", stderr, "err", err)
	return &CallError{Tool: p.name, Reason: reason, Stderr: stderr, Err: err}
}

// outcome is what easel_call returns: a result, a request to wait, or an
// error (for prompts, resources and completions, which have no isError).
type outcome struct {
	Result json.RawMessage `json:"result"`
	Await  *awaitRequest   `json:"await"`
	Error  *outcomeError   `json:"error"`
}

type outcomeError struct {
	Message string `json:"message"`
}

// parseOutcome checks the ABI outcome.
func (p *Plugin) parseOutcome(out []byte) (*outcome, error) {
	if len(out) > p.maxOutput {
		return nil, fmt.Errorf("result is %d bytes, over the %d-byte limit (tools.yaml limits.max_output_bytes)", len(out), p.maxOutput)
	}
	o, err := readOutcome(out)
	if err != nil {
		return nil, fmt.Errorf("easel_call returned invalid JSON: %w", err)
	}
	switch {
	case o.Await != nil && len(o.Result) > 0:
		return nil, errors.New(`easel_call returned both "result" and "await"`)
	case o.Error != nil && (o.Await != nil || len(o.Result) > 0):
		return nil, errors.New(`easel_call returned "error" with "result" or "await"`)
	case o.Error != nil && o.Error.Message == "":
		return nil, errors.New(`easel_call returned an "error" without a "message"`)
	case o.Await != nil, o.Error != nil:
		return o, nil
	case len(o.Result) == 0 || o.Result[0] != '{':
		return nil, errors.New(`easel_call returned no "result" object`)
	}
	return o, nil
}

// readOutcome decodes an outcome in one pass (package jsonread): it runs
// on every call, and the result in it can be large. The result stays the
// plugin's JSON, copied out of the instance's memory.
func readOutcome(out []byte) (*outcome, error) {
	r := jsonread.New(out)
	if r.Kind() != jsonread.Object {
		r.Object(func(string) {}) // records what is there instead
		return nil, r.End()
	}
	o := &outcome{}
	var err error
	r.ObjectBytes(func(key []byte) {
		if err != nil || r.Null() {
			return
		}
		switch string(key) {
		case "result":
			o.Result = slices.Clone(r.Raw())
		case "await":
			o.Await = &awaitRequest{}
			err = json.Unmarshal(r.Raw(), o.Await)
		case "error":
			o.Error = &outcomeError{}
			err = json.Unmarshal(r.Raw(), o.Error)
		}
	})
	if rerr := r.End(); rerr != nil {
		return nil, rerr
	}
	return o, err
}

// Instances reports how many instances of the plugin are running a call and
// how many wait idle, for metrics.
func (p *Plugin) Instances() (busy, idle int) {
	live, inUse := p.pool.stats()
	return inUse, max(live-inUse, 0) // an instance being created is in use before it is live
}

// WithTextItem returns a result of Call as MCP clients receive it: one that
// leaves out content but has structuredContent gets a text item holding
// that JSON, as docs/abi.md specifies (easel's MCP server does the same as
// it decodes a result). Any other result, or one that is not a JSON object,
// is returned unchanged.
func WithTextItem(raw json.RawMessage) json.RawMessage {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return raw
	}
	sc, ok := members["structuredContent"]
	if c, hasContent := members["content"]; hasContent && string(c) != "null" || !ok || len(sc) == 0 || sc[0] != '{' {
		return raw // content given (null counts as absent, as for the MCP server)
	}
	type textItem struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	item, err := json.Marshal([]textItem{{"text", string(sc)}})
	if err != nil {
		return raw
	}
	members["content"] = item
	out, err := json.Marshal(members)
	if err != nil {
		return raw
	}
	return out
}
