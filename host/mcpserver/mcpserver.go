// Package mcpserver exposes loaded plugins as MCP tools over stdio and
// streamable HTTP, using mcp-go for the protocol.
//
// The package is deliberately thin: it turns a tools/call into
// [plugin.Plugin.Call] with the client's raw arguments and the request's
// context (so a client's notifications/cancelled stops the plugin), forwards
// the plugin's progress reports as notifications/progress when the client
// asked for them, and passes the plugin's CallToolResult through.
package mcpserver

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/easel-mcp/easel/sdk/jsonread"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Tool is what the server needs of a plugin. *plugin.Plugin implements it.
type Tool interface {
	Name() string
	Tool() plugin.ToolInfo
	Call(ctx context.Context, args json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error)
}

// Options configure a [Server].
type Options struct {
	// Name and Version are reported to clients in initialize.
	Name, Version string
	// Instructions are optional server instructions for the client's model.
	Instructions string
	// Logger receives the server's own logs; nil means slog.Default().
	Logger *slog.Logger
	// Files, when set, serves the comfyui:// resource template: the full
	// bytes of the files that tools link to (images, video, audio).
	Files FileReader
	// Observe, if not nil, is told of every tool call: the tool, its outcome
	// (OutcomeOK, OutcomeToolError or OutcomeError) and its duration. It
	// feeds metrics; it must be fast.
	Observe func(tool, outcome string, d time.Duration)
	// MaxMessageBytes bounds one JSON-RPC message on stdin (HTTP bodies are
	// bounded by httpguard). Default DefaultMaxMessageBytes.
	MaxMessageBytes int
	// ShutdownTimeout bounds how long ServeStdio lets in-flight calls
	// finish once ctx ends or stdin closes. Default DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// NoListChanged leaves listChanged out of the capabilities initialize
	// announces, for a transport that has no way to send a notification
	// outside a request (stateless HTTP: no session, no GET stream), so
	// that clients do not wait for notifications that cannot come.
	NoListChanged bool
}

// Outcomes of a tool call, as Options.Observe receives them.
const (
	OutcomeOK        = "ok"         // a result without isError
	OutcomeToolError = "tool_error" // the plugin answered with isError: bad arguments, a ComfyUI refusal
	OutcomeError     = "error"      // the call failed: trap, timeout, plugin not loaded, malformed result
)

// FileReader reads a comfyui:// resource. An error that is
// fs.ErrNotExist (errors.Is) says the file does not exist: the client gets
// MCP's "Resource not found" (-32002) instead of an internal error; one
// that is fs.ErrInvalid says the URI itself is wrong: invalid params
// (-32602).
type FileReader interface {
	ReadFile(ctx context.Context, uri string) (data []byte, mimeType string, err error)
}

// FileTemplate is the URI template of ComfyUI files as MCP resources:
// comfyui://{type}/{subfolder/…/}{filename}, type being output, input or temp.
const FileTemplate = "comfyui://{type}/{+path}"

// Server is an MCP server whose tools, prompts and resources are plugins.
type Server struct {
	mcp     *server.MCPServer
	logger  *slog.Logger
	owners  owners                         // who serves each prompt, resource and template
	files   *server.ServerResourceTemplate // comfyui:// files, when served
	pending pendingRequests                // easel's requests to clients, awaiting answers
	observe func(tool, outcome string, d time.Duration)
	calls   calls   // tool calls and resource reads in flight, for draining
	posts   replies // requests POSTed over HTTP in flight, for notifications/cancelled

	// The prompts, resources and templates clients were last given, as
	// JSON (see listing); nil when AddProvider changed them since.
	listedMu                                        sync.Mutex
	listedPrompts, listedResources, listedTemplates []byte

	toolsMu sync.Mutex           // guards listed and slots
	listed  []mcp.Tool           // the tools mcp-go lists, in order
	slots   map[string]*toolSlot // what each listed tool's handler runs

	maxMessage      int
	shutdownTimeout time.Duration
	implementation  mcp.Implementation // the server's name and version, as mcp-go gives them
}

// New builds the MCP server for tools.
func New(tools []Tool, opts Options) (*Server, error) {
	s := &Server{logger: opts.Logger, observe: opts.Observe, maxMessage: opts.MaxMessageBytes, shutdownTimeout: opts.ShutdownTimeout}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.maxMessage <= 0 {
		s.maxMessage = DefaultMaxMessageBytes
	}
	if s.shutdownTimeout <= 0 {
		s.shutdownTimeout = DefaultShutdownTimeout
	}
	serverOpts := []server.ServerOption{
		server.WithToolCapabilities(!opts.NoListChanged),
		server.WithPromptCapabilities(!opts.NoListChanged),
		server.WithResourceCapabilities(true, !opts.NoListChanged),
		server.WithLogging(),
		server.WithCompletions(),
		server.WithPromptCompletionProvider(completions{s}),
		server.WithResourceCompletionProvider(completions{s}),
		// The handlers recover their own panics, logging the stack; these
		// catch what mcp-go's middleware chain itself may raise.
		server.WithRecovery(),
		server.WithResourceRecovery(),
	}
	if opts.Instructions != "" {
		serverOpts = append(serverOpts, server.WithInstructions(opts.Instructions))
	}
	s.implementation = mcp.Implementation{Name: orDefault(opts.Name, "easel"), Version: orDefault(opts.Version, "dev")}
	s.mcp = server.NewMCPServer(s.implementation.Name, s.implementation.Version, serverOpts...)
	if opts.Files != nil {
		s.files = &server.ServerResourceTemplate{Template: mcp.NewResourceTemplate(FileTemplate, "ComfyUI file",
			mcp.WithTemplateDescription("A file ComfyUI stored: an output, an upload (input) or a preview (temp). Tools such as get_image and wait_for_job link to them; reading one returns its full bytes."),
		), Handler: s.readFile(opts.Files)}
		s.mcp.AddResourceTemplates(*s.files)
	}
	s.listedPrompts = listing([]server.ServerPrompt{}, func(e server.ServerPrompt) any { return e.Prompt })
	s.listedResources = listing([]server.ServerResource{}, func(e server.ServerResource) any { return e.Resource })
	var templates []server.ServerResourceTemplate
	if s.files != nil {
		templates = append(templates, *s.files)
	}
	s.listedTemplates = listing(templates, func(e server.ServerResourceTemplate) any { return e.Template })
	if err := s.SetTools(tools); err != nil {
		return nil, err
	}
	return s, nil
}

// toolSlot is what the handler mcp-go holds for one tool runs: SetTools
// points it at a new Tool when a reload replaces the tool but not its
// description, so that clients are not told of a change they cannot see.
type toolSlot struct {
	cur atomic.Pointer[slotTool]
}

// slotTool is a tool with its output schema, compiled once.
type slotTool struct {
	t      Tool
	output *outputSchema
}

func (s *Server) newSlotTool(t Tool) *slotTool {
	output, err := compileOutputSchema(t.Name(), t.Tool().OutputSchema)
	if err != nil {
		// As mcp-go did: a schema that does not compile is not checked,
		// rather than failing every call of the tool.
		s.logger.Warn("tool results are not checked against an outputSchema that does not compile", "tool", t.Name(), "err", err)
	}
	return &slotTool{t: t, output: output}
}

// UpdateTool re-registers t with its current description; clients are
// told with notifications/tools/list_changed.
func (s *Server) UpdateTool(t Tool) error {
	tool, err := mcpTool(t.Tool())
	if err != nil {
		return fmt.Errorf("update tool %s: %w", t.Name(), err)
	}
	s.toolsMu.Lock()
	defer s.toolsMu.Unlock()
	slot := &toolSlot{}
	slot.cur.Store(s.newSlotTool(t))
	if s.slots == nil {
		s.slots = map[string]*toolSlot{}
	}
	s.slots[t.Name()] = slot
	if i := slices.IndexFunc(s.listed, func(l mcp.Tool) bool { return l.Name == t.Name() }); i >= 0 {
		s.listed[i] = tool
	} else {
		s.listed = append(s.listed, tool)
	}
	s.mcp.AddTool(tool, s.handler(slot))
	return nil
}

// SetTools replaces every tool with tools, in one step: a tools/list sees
// either the old set or the new one, and clients are told with a single
// notifications/tools/list_changed, or none when the list they would get
// is the same (a reload that changed a tool's permissions or limits only).
// Calls already running are not touched.
func (s *Server) SetTools(tools []Tool) error {
	listed := make([]mcp.Tool, 0, len(tools))
	for _, t := range tools {
		tool, err := mcpTool(t.Tool())
		if err != nil {
			return fmt.Errorf("register tool %s: %w", t.Name(), err)
		}
		listed = append(listed, tool)
	}
	s.toolsMu.Lock()
	defer s.toolsMu.Unlock()
	if s.slots != nil && sameListing(s.listed, listed) {
		for _, t := range tools {
			s.slots[t.Name()].cur.Store(s.newSlotTool(t))
		}
		return nil
	}
	slots := make(map[string]*toolSlot, len(tools))
	entries := make([]server.ServerTool, len(tools))
	for i, t := range tools {
		slot := &toolSlot{}
		slot.cur.Store(s.newSlotTool(t))
		slots[t.Name()] = slot
		entries[i] = server.ServerTool{Tool: listed[i], Handler: s.handler(slot)}
	}
	s.mcp.SetTools(entries...)
	s.listed, s.slots = listed, slots
	return nil
}

// sameListing reports whether two tool lists read the same to a client.
func sameListing(a, b []mcp.Tool) bool {
	asListed := func(t mcp.Tool) any { return t }
	return len(a) == len(b) && sameKey(listing(a, asListed), listing(b, asListed))
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// mcpTool converts a plugin's description into mcp-go's tool, keeping the
// plugin's schemas byte for byte.
func mcpTool(info plugin.ToolInfo) (mcp.Tool, error) {
	t := mcp.Tool{
		Name:            info.Name,
		Title:           info.Title,
		Description:     info.Description,
		RawInputSchema:  info.InputSchema,
		RawOutputSchema: info.OutputSchema,
	}
	if len(info.Annotations) > 0 {
		if err := json.Unmarshal(info.Annotations, &t.Annotations); err != nil {
			return t, fmt.Errorf("annotations: %w", err)
		}
	}
	return t, nil
}

// errShuttingDown answers requests that arrive while easel drains.
const errShuttingDown = "easel is shutting down and takes no new calls; call again once it has restarted"

// handler runs one tools/call on the plugin. A panic anywhere below it (the
// plugin runtime, the job watcher, progress forwarding) becomes an error
// result and an error log with the stack; the server keeps serving.
func (s *Server) handler(slot *toolSlot) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		cur := slot.cur.Load()
		t, output := cur.t, cur.output
		if !s.calls.begin() {
			return mcp.NewToolResultError(errShuttingDown), nil
		}
		defer s.calls.end()
		start, outcome := time.Now(), OutcomeError
		defer func() {
			if r := recover(); r != nil {
				s.logger.Error("panic in a tool call; recovered", "tool", t.Name(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				res, err = mcp.NewToolResultError(fmt.Sprintf("easel failed internally while running %s (%v); the error is logged and the server keeps serving", t.Name(), r)), nil
			}
			if s.observe != nil {
				s.observe(t.Name(), outcome, time.Since(start))
			}
		}()
		res, outcome = s.call(ctx, t, output, req)
		return res, nil
	}
}

// call runs the plugin and says how the call ended; every failure is a
// result with isError, which the client's model can read. A result whose
// structuredContent the tool's compiled output schema refuses is one.
func (s *Server) call(ctx context.Context, t Tool, output *outputSchema, req mcp.CallToolRequest) (*mcp.CallToolResult, string) {
	args := req.Params.RawArguments
	if len(args) == 0 && req.Params.Arguments != nil {
		var err error
		if args, err = json.Marshal(req.Params.Arguments); err != nil {
			return mcp.NewToolResultError("arguments are not JSON: " + err.Error()), OutcomeToolError
		}
	}
	raw, err := t.Call(s.withClient(ctx), args, s.progressSender(ctx, req))
	if err != nil {
		var ce *plugin.CallError
		if !errors.As(err, &ce) {
			s.logger.Error("tool call failed", "tool", t.Name(), "err", err)
		}
		return mcp.NewToolResultError(err.Error()), OutcomeError
	}
	result, err := decodeResult(raw)
	if err != nil {
		return mcp.NewToolResultError(fmt.Sprintf("plugin %s returned a result that is not an MCP CallToolResult: %v", t.Name(), err)), OutcomeError
	}
	if result.IsError {
		return result, OutcomeToolError
	}
	if len(t.Tool().OutputSchema) > 0 && result.StructuredContent == nil {
		return mcp.NewToolResultError(fmt.Sprintf("plugin %s declares an outputSchema but returned no structuredContent", t.Name())), OutcomeError
	}
	if output != nil {
		if err := validateOutput(output, result.RawStructuredContent); err != nil {
			s.logger.Warn("a plugin returned structuredContent that its outputSchema refuses", "tool", t.Name(), "err", err)
			return mcp.NewToolResultError(fmt.Sprintf("plugin %s: %v", t.Name(), err)), OutcomeError
		}
	}
	return result, OutcomeOK
}

// decodeResult reads a plugin's CallToolResult in one pass (package
// jsonread). structuredContent stays the plugin's JSON (a
// json.RawMessage): mcp-go validates it against the outputSchema from
// those bytes and writes them to the client as they are, where decoding
// it into a map would cost a decode, an encode for the validator and a
// sorted re-encode for the client on every call.
//
// A result without "content" (or with a null one) but with
// structuredContent gets one text item holding the structuredContent's
// JSON, what MCP advises for clients that read only text (docs/abi.md): a
// plugin need not write its answer twice.
func decodeResult(raw []byte) (*mcp.CallToolResult, error) {
	r := jsonread.New(raw)
	if r.Kind() != jsonread.Object {
		return nil, errors.New("it is not a JSON object")
	}
	result := &mcp.CallToolResult{Content: []mcp.Content{}}
	var err error
	var content bool
	r.ObjectBytes(func(key []byte) {
		if err != nil || r.Null() {
			return
		}
		switch string(key) {
		case "_meta":
			result.Meta = &mcp.Meta{}
			err = json.Unmarshal(r.Raw(), result.Meta)
		case "content":
			content = true
			if r.Kind() != jsonread.Array {
				err = errors.New("content is not an array")
				return
			}
			r.Array(func(i int) {
				if err != nil {
					return
				}
				c, cerr := readContent(r.Raw())
				if cerr != nil {
					err = fmt.Errorf("content[%d]: %w", i, cerr)
				}
				result.Content = append(result.Content, c)
			})
		case "structuredContent":
			if r.Kind() != jsonread.Object {
				err = fmt.Errorf("structuredContent must be a JSON object, not %.20s", r.Raw())
				return
			}
			sc := json.RawMessage(slices.Clone(r.Raw()))
			result.StructuredContent, result.RawStructuredContent = sc, sc
		case "isError":
			if r.Kind() != jsonread.Bool {
				err = fmt.Errorf("isError is %.20s, not a boolean", r.Raw())
				return
			}
			result.IsError = r.Bool()
		}
	})
	if rerr := r.End(); rerr != nil {
		return nil, rerr
	}
	if !content && err == nil && result.RawStructuredContent != nil {
		result.Content = []mcp.Content{mcp.TextContent{Type: "text", Text: string(result.RawStructuredContent)}}
	}
	return result, err
}

// readContent reads one content item. A plain text item, what most tools
// answer, is read directly; any other goes through mcp-go.
func readContent(raw []byte) (mcp.Content, error) {
	r := jsonread.New(raw)
	var typ, text string
	plain := r.Kind() == jsonread.Object
	r.ObjectBytes(func(key []byte) {
		switch {
		case string(key) == "type" && r.Kind() == jsonread.String:
			typ = r.String()
		case string(key) == "text" && r.Kind() == jsonread.String:
			text = r.String()
		default:
			plain = false
		}
	})
	if r.End() == nil && plain && typ == "text" {
		return mcp.TextContent{Type: "text", Text: text}, nil
	}
	return mcp.UnmarshalContent(raw)
}

// readFile serves resources/read for comfyui:// URIs, recovering panics as
// handler does. mcp-go answers every error a handler returns with an
// internal error (-32603), so a missing file is reported to the
// transport, which answers -32002 with data {uri} instead (cancel.go).
func (s *Server) readFile(files FileReader) server.ResourceTemplateHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) (contents []mcp.ResourceContents, err error) {
		if !s.calls.begin() {
			return nil, errors.New(errShuttingDown)
		}
		defer s.calls.end()
		defer func() {
			if r := recover(); r != nil {
				s.logger.Error("panic in resources/read; recovered", "uri", req.Params.URI, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				contents, err = nil, fmt.Errorf("easel failed internally while reading %s (%v); the error is logged and the server keeps serving", req.Params.URI, r)
			}
		}()
		data, mimeType, err := files.ReadFile(ctx, req.Params.URI)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			replyFrom(ctx).fail(ctx, resourceNotFoundCode(ctx), "Resource not found: "+err.Error(), map[string]string{"uri": req.Params.URI})
			return nil, err
		case errors.Is(err, fs.ErrInvalid):
			replyFrom(ctx).fail(ctx, mcp.INVALID_PARAMS, "Invalid params: "+err.Error(), map[string]string{"uri": req.Params.URI})
			return nil, err
		case err != nil:
			return nil, err
		}
		if strings.HasPrefix(mimeType, "text/") || mimeType == "application/json" {
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: mimeType, Text: string(data)}}, nil
		}
		return []mcp.ResourceContents{mcp.BlobResourceContents{URI: req.Params.URI, MIMEType: mimeType, Blob: base64.StdEncoding.EncodeToString(data)}}, nil
	}
}

// resourceNotFoundCode is the JSON-RPC error code of a resource that does
// not exist, as mcp-go chooses it for a URI no resource matches: MCP's
// -32002 ("Resource not found"), which protocol 2026 replaced with invalid
// params.
func resourceNotFoundCode(ctx context.Context) int {
	if mcp.IsModernProtocol(server.RequestProtocolVersion(ctx)) {
		return mcp.INVALID_PARAMS
	}
	return mcp.RESOURCE_NOT_FOUND
}

// progressSender returns the function that forwards plugin progress as MCP
// notifications, or nil when the client gave no progress token.
func (s *Server) progressSender(ctx context.Context, req mcp.CallToolRequest) func(plugin.Progress) {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return nil
	}
	token := req.Params.Meta.ProgressToken
	return func(p plugin.Progress) {
		params := map[string]any{"progressToken": token, "progress": p.Progress}
		if p.Total > 0 {
			params["total"] = p.Total
		}
		if p.Message != "" {
			params["message"] = p.Message
		}
		s.notify(ctx, "notifications/progress", params)
	}
}

// HTTPOptions configure the streamable HTTP transport.
type HTTPOptions struct {
	// Stateless serves without sessions: no Mcp-Session-Id is issued or
	// checked, so that replicas behind a load balancer can each answer
	// any request. Requests to the client (sampling, elicitation) and
	// notifications still travel on the request's own stream; what needs
	// a session (logging/setLevel remembered between requests, the
	// standalone GET stream, list_changed notifications) does not work.
	Stateless bool
	// SessionIdleTTL forgets a stateful session after this long without a
	// request; zero means DefaultSessionIdleTTL.
	SessionIdleTTL time.Duration
	// HostChecked turns off mcp-go's own DNS-rebinding check (Host must be
	// a loopback name on a loopback connection): the caller checks Host
	// and Origin itself (package httpguard), with a policy that can also
	// accept the names of http.allowed_hosts.
	HostChecked bool
	// MaxBodyBytes caps a POST body the handler reads; zero means
	// DefaultMaxBodyBytes. Set it to the cap in front of the handler
	// (http.max_body_bytes), or upload_image's largest image, which
	// tools.yaml's default cap is sized for, is refused here.
	MaxBodyBytes int64
}

// DefaultMaxBodyBytes is HTTPOptions.MaxBodyBytes's default, the same as
// http.max_body_bytes's: enough for upload_image's largest image (16 MiB,
// 21.4 MiB as base64) in a JSON-RPC request.
const DefaultMaxBodyBytes = 24 << 20

// HTTPHandler serves streamable HTTP; mount it at /mcp. Stateful by
// default: session ids are issued at initialize, a request with an
// unknown or terminated one gets 404, and one without any gets 400.
// Stateless mode answers only POST: GET and DELETE get 405.
func (s *Server) HTTPHandler(opts HTTPOptions) http.Handler {
	httpOpts := []server.StreamableHTTPOption{
		server.WithEndpointPath("/mcp"),
		server.WithStreamableHTTPLogger(s.logger),
	}
	if opts.HostChecked {
		httpOpts = append(httpOpts, server.WithDisableLocalhostProtection(true))
	}
	ids := &sessionIDs{}
	if opts.Stateless {
		httpOpts = append(httpOpts, server.WithStateLess(true))
	} else {
		ttl := opts.SessionIdleTTL
		if ttl <= 0 {
			ttl = DefaultSessionIdleTTL
		}
		httpOpts = append(httpOpts, server.WithSessionIdManager(ids), server.WithSessionIdleTTL(ttl))
	}
	var h http.Handler = server.NewStreamableHTTPServer(s.mcp, httpOpts...)
	if opts.Stateless {
		h = postOnly(h)
	} else {
		h = requireSession(h, ids)
	}
	return s.streams(h, cmp.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes))
}
