package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/url"
	"os"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/imaging"
	"github.com/easel-mcp/easel/sdk/jsonread"
	"github.com/tetratelabs/wazero/api"
)

// Requester is the one network route a plugin has: HTTP requests to the
// configured ComfyUI server. *comfyui.Client implements it; tests may pass
// anything else.
type Requester interface {
	Do(ctx context.Context, req comfyui.Request) (*comfyui.Response, error)
}

// Progress is one progress report from a plugin (the ABI's progress message).
type Progress struct {
	Progress float64 `json:"progress"`
	Total    float64 `json:"total,omitempty"`
	Message  string  `json:"message,omitempty"`
}

// callState is what the host functions of one export call need. It travels in
// the call's context, because that is the only thing wazero hands from the
// caller of an export to the host functions the guest calls during it.
type callState struct {
	inst     *instance
	describe bool // easel_describe is running: no ComfyUI requests
	progress func(Progress)
}

type callStateKey struct{}

func withCallState(ctx context.Context, st *callState) context.Context {
	return context.WithValue(ctx, callStateKey{}, st)
}

func stateFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	if st == nil {
		// Only reachable if a host function is called outside an export
		// call, which wazero does not do; fail loudly rather than guess.
		panic(errors.New("easel host function called outside a plugin call"))
	}
	return st
}

// abiViolation is panicked by host functions when the guest breaks the ABI
// (a pointer outside memory, a malformed message). wazero turns the panic into
// an error of the export call, and the instance is discarded.
type abiViolation struct{ msg string }

func (v abiViolation) Error() string { return "ABI violation: " + v.msg }

func violate(format string, args ...any) {
	panic(abiViolation{fmt.Sprintf(format, args...)})
}

// read copies guest memory, since a view goes stale when memory grows.
func read(mod api.Module, fn string, ptr, n uint32) []byte {
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		violate("%s: range [%d, %d+%d) is outside the plugin's memory (%d bytes)", fn, ptr, ptr, n, mod.Memory().Size())
	}
	return bytes.Clone(b)
}

// writeOrStash implements the ABI's write-or-stash convention and returns
// the value the host function gives back: the full length of answer.
func writeOrStash(mod api.Module, inst *instance, fn string, answer []byte, ptr, capacity uint32) uint64 {
	if uint64(len(answer)) > uint64(^uint32(0)>>1) {
		violate("%s: answer of %d bytes does not fit the ABI", fn, len(answer))
	}
	if uint32(len(answer)) <= capacity {
		if !mod.Memory().Write(ptr, answer) {
			violate("%s: buffer [%d, %d+%d) is outside the plugin's memory", fn, ptr, ptr, capacity)
		}
		inst.stash = nil
		return uint64(len(answer))
	}
	inst.stash = answer
	return uint64(len(answer))
}

// instantiateHostModule provides the easel_v1 host functions to every
// plugin of the runtime.
func (r *Runtime) instantiateHostModule(ctx context.Context) error {
	b := r.wz.NewHostModuleBuilder(HostModule)
	fn := func(name string, f api.GoModuleFunc, params, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).WithName(name).Export(name)
	}
	fn("take", r.hostTake, []api.ValueType{i32, i32}, []api.ValueType{i32})
	fn("config", r.hostConfig, []api.ValueType{i32, i32}, []api.ValueType{i32})
	fn("log", r.hostLog, []api.ValueType{i32, i32, i32}, nil)
	fn("progress", r.hostProgress, []api.ValueType{i32, i32}, nil)
	fn("comfyui_request", r.hostComfyUIRequest, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	fn("file", r.hostFile, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	fn("image_thumbnail", r.hostThumbnail, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	fn("http_request", r.hostHTTPRequest, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	exportClientFuncs(fn)
	_, err := b.Instantiate(ctx)
	return err
}

// Results of take, as documented in docs/abi.md.
var (
	takeNothing  = api.EncodeI32(-1)
	takeTooSmall = api.EncodeI32(-2)
)

func (r *Runtime) hostTake(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	ptr, capacity := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	stash := st.inst.stash
	switch {
	case stash == nil:
		stack[0] = takeNothing
	case uint64(len(stash)) > uint64(capacity):
		stack[0] = takeTooSmall
	default:
		if !mod.Memory().Write(ptr, stash) {
			violate("take: buffer [%d, %d+%d) is outside the plugin's memory", ptr, ptr, capacity)
		}
		st.inst.stash = nil
		stack[0] = uint64(len(stash))
	}
}

func (r *Runtime) hostConfig(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	stack[0] = writeOrStash(mod, st.inst, "config", st.inst.plugin.configMessage, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
}

// maxLogMessage bounds one log line from a plugin.
const maxLogMessage = 8 << 10

func (r *Runtime) hostLog(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	level, ptr, n := api.DecodeI32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	msg := read(mod, "log", ptr, min(n, maxLogMessage))
	var lvl slog.Level
	switch {
	case level <= 0:
		lvl = slog.LevelDebug
	case level == 1:
		lvl = slog.LevelInfo
	case level == 2:
		lvl = slog.LevelWarn
	default:
		lvl = slog.LevelError
	}
	st.inst.plugin.logger.Log(ctx, lvl, string(msg), "source", "plugin")
}

func (r *Runtime) hostProgress(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	msg := read(mod, "progress", api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	if st.progress == nil {
		return
	}
	var p Progress
	if err := json.Unmarshal(msg, &p); err != nil {
		violate("progress: message is not JSON: %v", err)
	}
	st.progress(p)
}

// maxFileBytes bounds a granted file handed to a plugin.
const maxFileBytes = 16 << 20

func (r *Runtime) hostFile(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	name := string(read(mod, "file", api.DecodeU32(stack[0]), min(api.DecodeU32(stack[1]), 256)))
	answer := st.inst.plugin.readFile(name)
	stack[0] = writeOrStash(mod, st.inst, "file", answer, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
}

// readFile answers the file host function: the granted file's bytes, or an
// error header. Only names from tools.yaml's files: mapping resolve; the
// name is never used as a path.
func (p *Plugin) readFile(name string) []byte {
	fail := func(format string, args ...any) []byte {
		return frame(struct {
			Error string `json:"error"`
		}{fmt.Sprintf(format, args...)}, nil)
	}
	path, ok := p.files[name]
	if !ok {
		p.logger.Warn("plugin asked for a file it was not granted", "file", name)
		return fail("file %q is not granted to tool %s (tools.yaml: files)", name, p.name)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail("file %q: %v", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	switch {
	case err != nil:
		return fail("file %q: %v", name, err)
	case len(data) > maxFileBytes:
		return fail("file %q is larger than %d bytes", name, maxFileBytes)
	}
	return frame(struct{}{}, data)
}

// Bounds of image_thumbnail requests: no thumbnail larger than a 4K
// screen or 16 MiB is useful to an agent.
const (
	maxThumbDimension = 4096
	maxThumbBytes     = 16 << 20
)

func (r *Runtime) hostThumbnail(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	msg := read(mod, "image_thumbnail", api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	answer := thumbnail(msg)
	stack[0] = writeOrStash(mod, st.inst, "image_thumbnail", answer, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
}

// thumbnail answers image_thumbnail: natively, because decoding and
// scaling in the guest costs several times more (docs/design.md).
func thumbnail(msg []byte) []byte {
	type reply struct {
		Error          string `json:"error,omitempty"`
		MimeType       string `json:"mime_type,omitempty"`
		Width          int    `json:"width,omitempty"`
		Height         int    `json:"height,omitempty"`
		OriginalWidth  int    `json:"original_width,omitempty"`
		OriginalHeight int    `json:"original_height,omitempty"`
		OriginalFormat string `json:"original_format,omitempty"`
	}
	var h struct {
		MaxDimension int `json:"max_dimension"`
		MaxBytes     int `json:"max_bytes"`
	}
	data := unframe("image_thumbnail", msg, &h)
	h.MaxDimension = min(max(h.MaxDimension, 1), maxThumbDimension)
	h.MaxBytes = min(max(h.MaxBytes, 1), maxThumbBytes)
	if err := checkPixels(data); err != nil {
		return frame(reply{Error: err.Error()}, nil)
	}
	t, err := imaging.Thumbnail(data, h.MaxDimension, h.MaxBytes)
	if err != nil {
		return frame(reply{Error: err.Error()}, nil)
	}
	return frame(reply{MimeType: t.MimeType, Width: t.Width, Height: t.Height,
		OriginalWidth: t.OriginalWidth, OriginalHeight: t.OriginalHeight, OriginalFormat: t.OriginalFormat}, t.Data)
}

// maxThumbPixels bounds the images image_thumbnail decodes: 8192×8192, a
// 4× upscale of a 2048 image. Decoding allocates 4 bytes per pixel before
// reading any pixel, so a few KiB of PNG declaring 60000×60000 would
// otherwise make the host allocate 14 GB.
const maxThumbPixels = 8192 * 8192

// checkPixels refuses an image whose header declares more than
// maxThumbPixels; formats it cannot read are left to the decoder's error.
func checkPixels(data []byte) error {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxThumbPixels {
		return fmt.Errorf("the %s image is %d×%d pixels, over the %d-megapixel limit of image_thumbnail", format, cfg.Width, cfg.Height, maxThumbPixels>>20)
	}
	return nil
}

// requestHeader is the header line of a comfyui_request message.
type requestHeader struct {
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Query       map[string]string `json:"query,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	// Backend and Job are routing hints for a host with several ComfyUI
	// servers (docs/abi.md): the server to ask ("*" for every one), or the
	// job the request is about.
	Backend string `json:"backend,omitempty"`
	Job     string `json:"job,omitempty"`
	// Select is a JSON pointer into a 2xx JSON answer, Omit patterns of
	// values to leave out of it (jsonread.Omit): the host reads the answer
	// natively and hands the plugin only what it will read.
	Select string   `json:"select,omitempty"`
	Omit   []string `json:"omit,omitempty"`
}

// responseHeader is the header line of a comfyui_request answer.
type responseHeader struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	URL         string `json:"url,omitempty"`
	Backend     string `json:"backend,omitempty"`
	// Selected says the host applied the request's select and omit: the
	// body is the value select named (empty when the answer has none),
	// without what omit named.
	Selected bool   `json:"selected,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (r *Runtime) hostComfyUIRequest(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateFrom(ctx)
	msg := read(mod, "comfyui_request", api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	answer := st.inst.plugin.comfyUIRequest(ctx, st, msg)
	stack[0] = writeOrStash(mod, st.inst, "comfyui_request", answer, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
}

// comfyUIRequest performs one plugin request and frames the answer. Failures
// that are not the plugin's fault (server down, timeout) and requests the host
// refuses become status 0 with a message, never a trap.
func (p *Plugin) comfyUIRequest(ctx context.Context, st *callState, msg []byte) []byte {
	var h requestHeader
	body := unframeRequest(msg, &h)
	fail := func(format string, args ...any) []byte {
		return frameResponse(responseHeader{Error: fmt.Sprintf(format, args...)}, nil)
	}
	switch {
	case st.describe:
		return fail("ComfyUI requests are not allowed while a plugin describes itself")
	case p.requester == nil:
		return fail("this easel has no ComfyUI connection configured")
	case !validMethod(h.Method):
		return fail("request refused: %q is not an HTTP method easel forwards", h.Method)
	}
	if err := comfyui.CheckPath(h.Path); err != nil {
		p.logger.Warn("plugin request refused", "path", h.Path, "err", err)
		return fail("request refused: %v", err)
	}
	if !p.perms.AllowsComfyUI(h.Method, h.Path) {
		p.logger.Warn("plugin request refused: route not granted", "method", h.Method, "path", h.Path)
		return fail("request refused: %s %s is not granted to tool %s (tools.yaml: add it to permissions.comfyui)", h.Method, h.Path, p.name)
	}
	if err := jsonread.CheckPointer(h.Select); err != nil {
		return fail("request refused: select: %v", err)
	}
	if len(h.Omit) > maxOmitPatterns {
		return fail("request refused: omit has %d patterns, more than the %d the host reads", len(h.Omit), maxOmitPatterns)
	}
	if err := jsonread.CheckPatterns(h.Omit); err != nil {
		return fail("request refused: omit: %v", err)
	}
	if err := checkViewQuery(h.Path, h.Query); err != nil {
		p.logger.Warn("plugin request refused", "path", h.Path, "err", err)
		return fail("request refused: %v", err)
	}
	if h.Method == "POST" && comfyui.IsUploadPath(h.Path) {
		if err := comfyui.CheckUpload(h.ContentType, body); err != nil {
			p.logger.Warn("plugin upload refused", "path", h.Path, "err", err)
			return fail("request refused: %v", err)
		}
	}
	req := comfyui.Request{Method: h.Method, Path: h.Path, Body: body, ContentType: h.ContentType, Backend: h.Backend, Job: h.Job}
	if len(h.Query) > 0 {
		req.Query = make(url.Values, len(h.Query))
		for k, v := range h.Query {
			req.Query.Set(k, v)
		}
	}
	resp, err := p.requester.Do(ctx, req)
	if err != nil {
		return fail("%v", err)
	}
	if len(resp.Body) > p.maxResponse {
		p.logger.Warn("ComfyUI response over the tool's limit", "url", resp.URL, "bytes", len(resp.Body), "limit", p.maxResponse)
		return fail("ComfyUI answered %d bytes from %s, over tool %s's limit of %d bytes (tools.yaml limits.max_response_bytes)",
			len(resp.Body), resp.URL, p.name, p.maxResponse)
	}
	rh := responseHeader{Status: resp.Status, ContentType: resp.ContentType, URL: resp.URL, Backend: resp.Backend}
	answer := resp.Body
	if (h.Select != "" || len(h.Omit) > 0) && resp.Status >= 200 && resp.Status <= 299 {
		// An answer that is not JSON goes whole, unselected: the plugin's
		// decoder then says what it got.
		if shaped, err := jsonread.Shape(answer, h.Select, h.Omit); err == nil {
			rh.Selected, answer = true, shaped
		}
	}
	return frameResponse(rh, answer)
}

// maxOmitPatterns bounds a request's omit: the host's work to apply it
// grows with the answer times the patterns that have a "*", and a plugin
// must not be able to spend the host's CPU without bound.
const maxOmitPatterns = 32

// checkViewQuery applies the host's file-reference rules to /view, whose
// file lives in the query: a plugin cannot read outside ComfyUI's output,
// input and temp folders even if ComfyUI would let it.
func checkViewQuery(path string, q map[string]string) error {
	if path != "/view" && path != "/api/view" {
		return nil
	}
	ref := comfyui.FileRef{Type: q["type"], Subfolder: q["subfolder"], Filename: q["filename"]}
	if ref.Type == "" {
		ref.Type = "output"
	}
	return ref.Check()
}

func validMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// unframe splits a framed message from the guest and decodes its header
// line into header, returning the raw bytes after it. A message without a
// header line or with a header that is not JSON breaks the ABI of fn.
func unframe(fn string, msg []byte, header any) []byte {
	head, body, ok := bytes.Cut(msg, []byte{'\n'})
	if !ok {
		violate("%s: message has no header line", fn)
	}
	if err := json.Unmarshal(head, header); err != nil {
		violate("%s: header is not JSON: %v", fn, err)
	}
	return body
}

// frame builds a framed message: one JSON header line, '\n', raw bytes.
func frame(header any, body []byte) []byte {
	h, err := json.Marshal(header)
	if err != nil {
		panic(err) // the headers are our own structs
	}
	out := make([]byte, 0, len(h)+1+len(body))
	out = append(out, h...)
	out = append(out, '\n')
	return append(out, body...)
}
