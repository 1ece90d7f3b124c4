package sdk

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"sync"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

// host is what the SDK needs from the process running the plugin: the
// easel_v1 host functions with the buffer handling (write or stash, take)
// already done. In a WebAssembly build it is the imports; in tests it is
// a fake, which is what lets everything above the ABI glue run natively.
type host interface {
	// config returns the tool's configuration: {"tool": ..., "config": {...}}.
	config() []byte
	// log writes one message to the host log at a level: 0 debug, 1 info,
	// 2 warn, 3 error.
	log(level int32, msg string)
	// progress reports progress of the current call as JSON.
	progress(msg []byte)
	// comfyuiRequest performs one ComfyUI request, both framed messages.
	comfyuiRequest(req []byte) []byte
	// file returns a granted file by name as a framed message: a header
	// with "error" when the host refuses, then the bytes.
	file(name string) []byte
	// imageThumbnail scales an image down; request and answer are framed.
	imageThumbnail(req []byte) []byte
	// httpRequest performs one granted outbound request, both framed.
	httpRequest(req []byte) []byte
	// clientLog sends a notifications/message to the MCP client and
	// reports whether the host sent it.
	clientLog(msg []byte) bool
	// clientSample and clientElicit send sampling/createMessage and
	// elicitation/create; the answer is {"result": ...} or {"error": "..."}.
	clientSample(req []byte) []byte
	clientElicit(req []byte) []byte
}

// instance serves one plugin instance: it answers easel_describe and
// easel_call for a registration through a host, and keeps what is fetched
// once per instance (the configuration).
type instance struct {
	host host
	reg  *registration // nil for a plugin of prompts and resources only
	feat *featureSet
	// logger writes to the host log; it keeps no state of a call, so
	// every call shares it.
	logger *slog.Logger

	// mu guards the configuration cache: a handler's goroutines may call
	// Call.Config at the same time.
	mu        sync.Mutex
	cfgLoaded bool
	cfgTool   string          // the name tools.yaml declares
	cfgClient string          // the client_id of the host's ComfyUI event stream
	cfgRaw    json.RawMessage // the tool's config mapping
	cfgErr    error
	cfgNodes  map[reflect.Type]*node
}

func newInstance(h host, reg *registration) *instance {
	return newInstanceWith(h, reg, nil)
}

// newInstanceWith serves a tool (reg, may be nil) and prompts and
// resources (feat, may be nil); at least one of them.
func newInstanceWith(h host, reg *registration, feat *featureSet) *instance {
	if reg == nil && feat.empty() {
		panic(errNoTool)
	}
	return &instance{host: h, reg: reg, feat: feat, logger: slog.New(&logHandler{host: h})}
}

// describe answers easel_describe. It panics (traps) when it cannot: the
// host then refuses the plugin with the message from stderr.
func (in *instance) describe() []byte {
	if in.reg == nil {
		b, err := json.Marshal(in.feat.appendDescription(omap{{"abi", 1}}))
		if err != nil {
			panic(err)
		}
		return b
	}
	name := in.reg.name
	if name == "" {
		if err := in.loadConfig(); err != nil {
			panic(err)
		}
		if in.cfgTool == "" {
			panic("sdk: this generic plugin (empty Tool.Name) serves the name tools.yaml declares, but the host's config has no \"tool\"")
		}
		name = in.cfgTool
	}
	var d Description
	if in.reg.dynamic != nil {
		var err error
		if d, err = in.reg.dynamic(in.newCall(name)); err != nil {
			panic(fmt.Sprintf("sdk: tool %s cannot describe itself: %v", name, err))
		}
	}
	b, err := in.reg.describe(name, d)
	if err != nil {
		panic(err)
	}
	if in.feat.empty() {
		return b
	}
	if b, err = json.Marshal(in.feat.appendDescription(omap{{"abi", 1}, in.reg.toolMember(name, d)})); err != nil {
		panic(err)
	}
	return b
}

// call answers easel_call: it decodes the call input (the only JSON
// parse of the call), runs the handler and encodes the outcome (the only
// encode besides the handler's own structured value). A panic in the
// handler is not recovered: it is the ABI's "plugin failed".
func (in *instance) call(input []byte) []byte {
	ci, err := readCallInput(input)
	if err != nil {
		panic(fmt.Sprintf("sdk: the host's call input is not JSON: %v", err))
	}
	if !ci.object {
		v, _ := decodeJSON(input)
		panic(fmt.Sprintf("sdk: the host's call input is %s, not an object", describe(v)))
	}
	if ci.feature {
		return in.feat.serve(in.newCall(in.toolName()), input)
	}
	if in.reg == nil {
		panic("sdk: the host called a tool, but this plugin provides only prompts and resources")
	}
	tool := ci.tool
	if tool == "" {
		tool = in.reg.name
	}
	if tool == "" {
		if err := in.loadConfig(); err == nil {
			tool = in.cfgTool
		}
	}
	c := in.newCall(tool)
	resume, err := parseResume(ci.resume)
	if err != nil {
		panic(fmt.Sprintf("sdk: the host's resume input is malformed: %v", err))
	}
	c.resume = resume
	res := in.reg.handle(c, ci.args)
	if res.await != nil {
		out, err := appendAwait(nil, res.await)
		if err != nil {
			panic(err)
		}
		return out
	}
	out, err := res.appendOutcome(append(make([]byte, 0, len(`{"result":}`)+res.sizeHint()), `{"result":`...))
	if err != nil {
		panic(err)
	}
	return append(out, '}')
}

// callInput is what easel_call's input says (docs/abi.md), read in one
// pass: only the arguments and a resume become generic trees, for the
// decoder; the envelope makes no map.
type callInput struct {
	object  bool   // the input is a JSON object
	tool    string // "tool" when it is a string
	args    any    // "arguments"
	resume  any    // "resume"
	feature bool   // a prompt, resource or completion input
}

// readCallInput reads a call input. Of a key given twice, the last
// counts, as when the input was decoded into a map.
func readCallInput(input []byte) (callInput, error) {
	var ci callInput
	r := jsonread.New(input)
	if r.Kind() != jsonread.Object {
		r.Skip()
		return ci, r.End()
	}
	ci.object = true
	r.ObjectBytes(func(key []byte) {
		switch string(key) {
		case "tool":
			ci.tool = ""
			if r.Kind() == jsonread.String {
				ci.tool = r.String()
			}
		case "arguments":
			ci.args = r.Any()
		case "resume":
			ci.resume = r.Any()
		case "prompt", "resource", "complete":
			ci.feature = true
		}
	})
	return ci, r.End()
}

// toolName is the name the plugin's tool is served under, "" when unknown.
func (in *instance) toolName() string {
	if in.reg != nil && in.reg.name != "" {
		return in.reg.name
	}
	if in.loadConfig() == nil {
		return in.cfgTool
	}
	return ""
}

// newCall makes the Call for one tool call. Everything in it is made here,
// not on first use, so that its methods need no locking.
func (in *instance) newCall(tool string) *Call {
	return &Call{
		inst:   in,
		tool:   tool,
		comfy:  ComfyUI{host: in.host, inst: in},
		logger: in.logger,
	}
}

// loadConfig fetches and parses the configuration once per instance.
func (in *instance) loadConfig() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cfgLoaded {
		return in.cfgErr
	}
	in.cfgLoaded = true
	var c struct {
		Tool     string          `json:"tool"`
		Config   json.RawMessage `json:"config"`
		ClientID string          `json:"client_id"`
	}
	if err := json.Unmarshal(in.host.config(), &c); err != nil {
		in.cfgErr = fmt.Errorf("sdk: the host's config is not valid JSON: %v", err)
		return in.cfgErr
	}
	in.cfgTool, in.cfgRaw, in.cfgClient = c.Tool, c.Config, c.ClientID
	if len(in.cfgRaw) == 0 || string(in.cfgRaw) == "null" {
		in.cfgRaw = json.RawMessage("{}")
	}
	return nil
}

// configNode compiles a type Config decodes into, once per type and
// instance.
func (in *instance) configNode(t reflect.Type) (*node, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if n, ok := in.cfgNodes[t]; ok {
		return n, nil
	}
	c := compiler{mode: modeInput, inProgress: map[reflect.Type]bool{}}
	n, err := c.compile(t)
	if err != nil {
		return nil, err
	}
	if in.cfgNodes == nil {
		in.cfgNodes = map[reflect.Type]*node{}
	}
	in.cfgNodes[t] = n
	return n, nil
}
