package plugin

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	w "github.com/easel-mcp/easel/host/plugin/internal/wasmbuild"
	"github.com/easel-mcp/easel/host/policy"
)

// The hostile plugin suite (testdata/hostile/README.md): modules that
// attack the host, each run beside a healthy plugin. For each, the call (or
// load) fails with an error that says what happened, the healthy plugin's
// calls keep succeeding meanwhile, and afterwards no goroutine, instance or
// memory is left behind.

// Function types of hostile modules, by index.
var hostileTypes = []w.FuncType{
	{Params: []byte{w.I32}, Results: []byte{w.I32}},        // 0 easel_alloc
	{Params: []byte{w.I32}},                                // 1 easel_free
	{Results: []byte{w.I64}},                               // 2 easel_describe
	{Params: []byte{w.I32, w.I32}, Results: []byte{w.I64}}, // 3 easel_call
	{}, // 4 _initialize
	{Params: []byte{w.I32, w.I32}, Results: []byte{w.I32}},               // 5 take, config
	{Params: []byte{w.I32, w.I32, w.I32}},                                // 6 log
	{Params: []byte{w.I32, w.I32}},                                       // 7 progress
	{Params: []byte{w.I32, w.I32, w.I32, w.I32}, Results: []byte{w.I32}}, // 8 four-argument host functions
}

// hostImports maps the host functions hostile modules may import to their type.
var hostImports = map[string]w.Import{
	"take":            {Module: HostModule, Name: "take", Type: 5},
	"config":          {Module: HostModule, Name: "config", Type: 5},
	"log":             {Module: HostModule, Name: "log", Type: 6},
	"progress":        {Module: HostModule, Name: "progress", Type: 7},
	"comfyui_request": {Module: HostModule, Name: "comfyui_request", Type: 8},
	"image_thumbnail": {Module: HostModule, Name: "image_thumbnail", Type: 8},
	"fd_write":        {Module: "wasi_snapshot_preview1", Name: "fd_write", Type: 8},
	"poll_oneoff":     {Module: "wasi_snapshot_preview1", Name: "poll_oneoff", Type: 8},
	"env.abort":       {Module: "env", Name: "abort", Type: 4},
}

// Memory layout of hostile modules.
const (
	descAt    = 0     // the description
	okAt      = 1024  // a valid outcome
	dataAt    = 2048  // the module's own data
	bufAt     = 8192  // a scratch buffer
	inputAt   = 16384 // what easel_alloc returns
	okOutcome = `{"result":{"content":[{"type":"text","text":"ok"}]}}`
)

func hostileDescription(name string) string {
	return `{"abi":1,"tool":{"name":"` + name + `","description":"hostile","inputSchema":{"type":"object"}}}`
}

// hostile is a hand-built plugin module: a valid ABI skeleton whose parts
// each case replaces.
type hostile struct {
	imports  []string // keys of hostImports, in function index order
	call     []byte   // easel_call's body (params: 0 ptr, 1 len); nil returns ok
	describe []byte   // nil returns the description of "hostile"
	init     []byte   // _initialize's body; nil: no _initialize
	alloc    []byte   // nil returns inputAt
	data     string   // placed at dataAt
	name     string   // the tool name described; "" is "hostile"
	pages    uint32   // memory pages; 0 is 1
	badCall  bool     // easel_call gets type (i32)->(i32)
	extra    []w.Func // more functions, after _initialize's index
}

// fn is the function index of an import or of the skeleton's functions.
func (h hostile) fn(name string) uint32 {
	for i, n := range h.imports {
		if n == name {
			return uint32(i)
		}
	}
	k := uint32(len(h.imports))
	switch name {
	case "easel_alloc":
		return k
	case "easel_call":
		return k + 3
	case "extra":
		return k + 5
	}
	panic("hostile module has no function " + name)
}

func (h hostile) encode() []byte {
	name := h.name
	if name == "" {
		name = "hostile"
	}
	m := &w.Module{Types: hostileTypes, Memory: true, MemoryMin: max(h.pages, 1)}
	for _, n := range h.imports {
		m.Imports = append(m.Imports, hostImports[n])
	}
	desc := hostileDescription(name)
	body := func(b, def []byte) []byte {
		if b == nil {
			return def
		}
		return b
	}
	init := body(h.init, []byte{w.Nop})
	callType := uint32(3)
	if h.badCall {
		callType, h.call = 0, w.I32Const(0)
	}
	m.Funcs = []w.Func{
		{Type: 0, Body: body(h.alloc, w.I32Const(inputAt))},
		{Type: 1, Body: []byte{w.Nop}},
		{Type: 2, Body: body(h.describe, w.Pack(descAt, int32(len(desc))))},
		{Type: callType, Body: body(h.call, w.Pack(okAt, int32(len(okOutcome))))},
		{Type: 4, Body: init},
	}
	m.Funcs = append(m.Funcs, h.extra...)
	k := uint32(len(m.Imports))
	m.Exports = []w.Export{
		{Name: "memory", Kind: w.KindMemory, Index: 0},
		{Name: exportAlloc, Kind: w.KindFunc, Index: k},
		{Name: exportFree, Kind: w.KindFunc, Index: k + 1},
		{Name: exportDescribe, Kind: w.KindFunc, Index: k + 2},
		{Name: exportCall, Kind: w.KindFunc, Index: k + 3},
	}
	if h.init != nil {
		m.Exports = append(m.Exports, w.Export{Name: "_initialize", Kind: w.KindFunc, Index: k + 4})
	}
	m.Data = []w.Data{{Offset: descAt, Bytes: []byte(desc)}, {Offset: okAt, Bytes: []byte(okOutcome)}}
	if h.data != "" {
		m.Data = append(m.Data, w.Data{Offset: dataAt, Bytes: []byte(h.data)})
	}
	return m.Encode()
}

// hostCall is the instructions of a call of fn with i32 arguments whose
// i32 result, if any, is dropped.
func (h hostile) hostCall(fn string, result bool, args ...int32) []byte {
	var b []byte
	for _, a := range args {
		b = append(b, w.I32Const(a)...)
	}
	b = append(b, w.Call(h.fn(fn))...)
	if result {
		b = append(b, w.Drop)
	}
	return b
}

// thenOK follows instructions with the valid outcome.
func thenOK(code ...[]byte) []byte {
	return append(bytes.Join(code, nil), w.Pack(okAt, int32(len(okOutcome)))...)
}

var spin = w.Code(w.Loop, w.Void, w.Br(0), w.End, w.Unreachable)

// pngBomb is a few hundred bytes of PNG declaring 60000×60000 RGBA pixels:
// decoding it would allocate 14 GB before reading a pixel.
func pngBomb() []byte {
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, 60000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 60000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, chunk("IHDR", ihdr)...)
	b = append(b, chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})...)
	return append(b, chunk("IEND", nil)...)
}

// subscription is a WASI clock subscription sleeping for ns.
func subscription(ns uint64) string {
	b := make([]byte, 48)
	b[8] = 0                                  // tag: clock
	binary.LittleEndian.PutUint32(b[16:], 1)  // monotonic
	binary.LittleEndian.PutUint64(b[24:], ns) // timeout
	return string(b)
}

// hangingComfyUI answers nothing until the request's context ends.
var hangingComfyUI = requesterFunc(func(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	<-ctx.Done()
	return nil, ctx.Err()
})

type hostileCase struct {
	name string
	wasm func(t *testing.T) []byte
	spec Spec   // Name and Wasm are filled in
	args string // "" is {}
	// progress, when set, receives progress reports.
	progress func(Progress)
	// loadErr or callErr is the error expected, as a substring; both empty
	// means the call succeeds.
	loadErr, callErr string
	// slow cases are skipped with -short.
	slow bool
	// check, if set, inspects the fixture after the case.
	check func(t *testing.T, f *fixture, logBefore int)
}

func mod(h hostile) func(*testing.T) []byte { return func(*testing.T) []byte { return h.encode() } }

func probe(t *testing.T) []byte {
	wasm, err := probeWasm()
	if err != nil {
		t.Fatalf("build probe plugin: %v", err)
	}
	return wasm
}

func hostileCases() []hostileCase {
	imp := func(names ...string) hostile { return hostile{imports: names} }
	short := Spec{CallTimeout: 300 * time.Millisecond}
	request := `{"method":"GET","path":"/queue"}` + "\n"
	thumbReq := `{"max_dimension":64,"max_bytes":4096}` + "\n" + string(pngBomb())
	return []hostileCase{
		// Refused at load.
		{name: "not wasm", wasm: func(*testing.T) []byte { return []byte("#!/bin/sh\nrm -rf /\n") },
			loadErr: `not a valid WebAssembly module: no WebAssembly magic number (the file starts with "#!/bin/s")`},
		{name: "truncated module", wasm: func(t *testing.T) []byte { return probe(t)[:100000] },
			loadErr: "not a valid WebAssembly module"},
		{name: "wrong export signature", wasm: mod(hostile{badCall: true}),
			loadErr: "export easel_call has type (i32)->(i32), want (i32,i32)->(i64)"},
		{name: "imports what easel does not provide", wasm: mod(imp("env.abort")),
			loadErr: "imports env.abort, which easel does not provide"},
		{name: "claims another tool's name", wasm: mod(hostile{name: "get_job_status"}),
			loadErr: `plugin describes tool "get_job_status" but tools.yaml declares it as "hostile"`},
		{name: "describe returns memory it does not have", wasm: mod(hostile{describe: w.Pack(-16, 64)}),
			loadErr: "easel_describe returned range [4294967280, 4294967280+64), outside the plugin's memory"},
		{name: "endless loop in describe", wasm: mod(hostile{describe: spin}), spec: short,
			loadErr: "easel_describe timed out after 300ms"},
		{name: "endless loop in _initialize", wasm: mod(hostile{init: w.Code(w.Loop, w.Void, w.Br(0), w.End)}), spec: short,
			loadErr: "start-up timed out after 1s"},
		{name: "memory minimum over its limit", wasm: mod(hostile{pages: 200}), spec: Spec{MaxMemoryBytes: 1 << 20},
			loadErr: "needs at least 200 pages of memory (12 MiB), over its limit of 16 pages (1 MiB)"},

		// Stopped at the call.
		{name: "endless loop", wasm: mod(hostile{call: spin}), spec: short, callErr: "plugin hostile failed: timed out after 300ms"},
		{name: "endless call tree without loops", wasm: mod(callTree()), spec: short, callErr: "timed out after 300ms"},
		{name: "Go plugin spinning", wasm: probe, spec: Spec{CallTimeout: 300 * time.Millisecond, Name: "probe"},
			args: `{"mode": "spin"}`, callErr: "plugin probe failed: timed out after 300ms"},
		{name: "memory growth bomb", wasm: mod(hostile{call: w.Code(w.Block, w.Void, w.Loop, w.Void,
			w.I32Const(16), w.MemoryGrow, 0x00, w.I32Const(-1), 0x46, w.BrIf(1), w.Br(0), w.End, w.End, w.Unreachable)}),
			spec: Spec{MaxMemoryBytes: 32 << 20}, callErr: "wasm error: unreachable"},
		{name: "Go plugin allocating without end", wasm: probe, spec: Spec{Name: "probe"}, slow: true,
			args: `{"mode": "bomb"}`, callErr: "plugin probe ran out of memory: an instance may use 256MiB (tools.yaml limits.memory)"},
		{name: "huge output length", wasm: mod(hostile{call: w.Pack(0, 0x7fffffff)}),
			callErr: "easel_call returned 2147483647 bytes, over the 33554432-byte limit (tools.yaml limits.max_output_bytes)"},
		{name: "output outside memory", wasm: mod(hostile{call: w.Pack(1<<30, 64)}),
			callErr: "easel_call returned range [1073741824, 1073741824+64), outside the plugin's memory"},
		{name: "output pointer and length overflowing", wasm: mod(hostile{call: w.Pack(-8, 16)}),
			callErr: "easel_call returned range [4294967288, 4294967288+16), outside the plugin's memory"},
		{name: "outcome not JSON", wasm: mod(hostile{call: w.Pack(dataAt, 8), data: "not json"}),
			callErr: "easel_call returned invalid JSON"},
		{name: "easel_alloc returns garbage", wasm: mod(hostile{alloc: w.I32Const(-8)}),
			callErr: "returned 4294967288, outside the plugin's memory"},
		{name: "log pointer out of bounds", wasm: func(*testing.T) []byte {
			h := imp("log")
			h.call = thenOK(h.hostCall("log", false, 1, 1<<30, 10))
			return h.encode()
		}, callErr: "ABI violation: log: range [1073741824, 1073741824+10) is outside the plugin's memory"},
		{name: "negative length", wasm: func(*testing.T) []byte {
			h := imp("comfyui_request")
			h.call = thenOK(h.hostCall("comfyui_request", true, dataAt, -1, bufAt, 1024))
			return h.encode()
		}, callErr: "ABI violation: comfyui_request: range [2048, 2048+4294967295) is outside the plugin's memory"},
		{name: "garbage request", wasm: func(*testing.T) []byte {
			h := imp("comfyui_request")
			h.data = "\x00\xff garbage"
			h.call = thenOK(h.hostCall("comfyui_request", true, dataAt, 10, bufAt, 1024))
			return h.encode()
		}, spec: Spec{Permissions: policy.All(), Requester: emptyQueue}, callErr: "ABI violation: comfyui_request: message has no header line"},
		{name: "garbage progress", wasm: func(*testing.T) []byte {
			h := imp("progress")
			h.data = "{not json"
			h.call = thenOK(h.hostCall("progress", false, dataAt, 9))
			return h.encode()
		}, progress: func(Progress) {}, callErr: "ABI violation: progress: message is not JSON"},
		{name: "take into memory it does not have", wasm: func(*testing.T) []byte {
			h := imp("take", "config")
			h.call = thenOK(h.hostCall("config", true, bufAt, 1), h.hostCall("take", true, -100, 4096))
			return h.encode()
		}, callErr: "ABI violation: take: buffer [4294967196, 4294967196+4096) is outside the plugin's memory"},
		{name: "trap during a host call", wasm: func(*testing.T) []byte {
			h := imp("comfyui_request")
			h.data = request
			h.call = thenOK(h.hostCall("comfyui_request", true, dataAt, int32(len(request)), 1<<30, 4096))
			return h.encode()
		}, spec: Spec{Permissions: policy.All(), Requester: emptyQueue},
			callErr: "ABI violation: comfyui_request: buffer [1073741824, 1073741824+4096) is outside the plugin's memory"},
		{name: "decompression bomb for image_thumbnail", wasm: func(*testing.T) []byte {
			h := imp("image_thumbnail")
			h.data = thumbReq
			// Return the host's answer as the outcome: it is not one, so the
			// call fails, after the host survived the request.
			h.call = w.Code(w.I32Const(dataAt), w.I32Const(int32(len(thumbReq))), w.I32Const(bufAt), w.I32Const(4096),
				w.Call(h.fn("image_thumbnail")), w.LocalSet(0),
				w.I64Const(bufAt<<32), w.LocalGet(0), w.I64ExtendU, w.I64Or)
			return h.encode()
		}, callErr: `easel_call returned`}, // the host survived; TestThumbnailRefusesBombs checks the answer
		{name: "re-entrant easel_call", wasm: func(*testing.T) []byte {
			h := hostile{}
			h.call = w.Code(w.LocalGet(0), w.LocalGet(1), w.Call(h.fn("easel_call")))
			return h.encode()
		}, callErr: "stack overflow"},
		{name: "sleeps forever in a host call", wasm: func(*testing.T) []byte {
			h := imp("poll_oneoff")
			h.data = subscription(1 << 62)
			h.call = thenOK(h.hostCall("poll_oneoff", true, dataAt, bufAt, 1, bufAt+64))
			return h.encode()
		}, spec: short, callErr: "timed out after 300ms"},
		{name: "Go plugin sleeping forever", wasm: probe, spec: Spec{CallTimeout: 300 * time.Millisecond, Name: "probe"},
			args: `{"mode": "sleep"}`, callErr: "timed out after 300ms"},
		{name: "ComfyUI never answers", wasm: probe,
			spec: Spec{CallTimeout: 300 * time.Millisecond, Name: "probe", Permissions: policy.All(), Requester: hangingComfyUI},
			args: `{"mode": "queue"}`, callErr: "plugin probe failed: timed out after 300ms"},
		{name: "megabytes to stderr without a newline", wasm: func(*testing.T) []byte {
			h := imp("fd_write")
			h.pages = 80                                                                                           // 5 MiB
			h.data = string(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 65536), 4<<20)) // one iovec: 4 MiB at 64 KiB
			write := h.hostCall("fd_write", true, 2, dataAt, 1, bufAt)
			h.call = thenOK(write, write, write, write)
			return h.encode()
		}, check: func(t *testing.T, f *fixture, logBefore int) {
			if grew := len(f.log.String()) - logBefore; grew > 256<<10 {
				t.Errorf("16 MiB of stderr grew the host log by %d bytes", grew)
			}
		}},
	}
}

// callTree is a plugin whose easel_call calls f(40), where f(n) calls
// f(n-1) twice: 2^40 calls and not a single loop.
func callTree() hostile {
	h := hostile{}
	f := h.fn("extra")
	body := w.Code(w.LocalGet(0), w.I32Eqz, w.If, w.Void, w.I32Const(1), w.Return, w.End,
		w.LocalGet(0), w.I32Const(1), w.I32Sub, w.Call(f),
		w.LocalGet(0), w.I32Const(1), w.I32Sub, w.Call(f), w.I32Add)
	h.extra = []w.Func{{Type: 0, Body: body}}
	h.call = thenOK(w.I32Const(40), w.Call(f), []byte{w.Drop})
	return h
}

func TestHostilePlugins(t *testing.T) {
	f := newFixture(t)
	healthy := f.load(t, Spec{})
	mustEcho(t, healthy)
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			wasm := tc.wasm(t)
			goroutines, heap := baseline()
			logBefore := len(f.log.String())
			if tc.slow && testing.Short() {
				t.Skip("fills 256 MiB of plugin memory; skipped in -short")
			}
			alongside(t, healthy, func() { tc.run(t, f, wasm) })
			if tc.check != nil {
				tc.check(t, f, logBefore)
			}
			checkNoLeaks(t, goroutines, heap)
		})
	}
}

// run loads the case's plugin, calls it once and checks what failed.
func (tc hostileCase) run(t *testing.T, f *fixture, wasm []byte) {
	spec := tc.spec
	spec.Wasm = wasm
	if spec.Name == "" {
		spec.Name = "hostile"
	}
	p, err := f.rt.Load(context.Background(), spec)
	if tc.loadErr != "" {
		if err == nil || !strings.Contains(err.Error(), tc.loadErr) {
			t.Errorf("Load error = %v, want %q", err, tc.loadErr)
		}
		if p != nil {
			p.Close(context.Background())
		}
		return
	}
	if err != nil {
		t.Errorf("Load: %v", err)
		return
	}
	defer p.Close(context.Background())
	args := tc.args
	if args == "" {
		args = "{}"
	}
	_, err = p.Call(context.Background(), json.RawMessage(args), tc.progress)
	var ce *CallError
	switch {
	case tc.callErr == "" && err != nil:
		t.Errorf("Call: %v", err)
	case tc.callErr != "" && (!errors.As(err, &ce) || !strings.Contains(err.Error(), tc.callErr)):
		t.Errorf("Call error = %v, want a CallError containing %q", err, tc.callErr)
	}
	if live, inUse := p.pool.stats(); inUse != 0 || live > 1 {
		t.Errorf("after the call: %d instances alive, %d in use; want at most 1 and 0", live, inUse)
	}
}

// alongside runs fn while calling the healthy plugin in a loop: the host
// must keep serving other plugins while one misbehaves.
func alongside(t *testing.T, healthy *Plugin, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	for calls := 0; ; calls++ {
		select {
		case <-done:
			if calls == 0 {
				mustEcho(t, healthy)
			}
			return
		default:
			mustEcho(t, healthy)
		}
	}
}

// baseline settles the process and returns its goroutines and live heap.
func baseline() (goroutines int, heap uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapAlloc
}

// heapSlack is how much the live heap may differ from its baseline: the
// log buffer and allocator noise, far below what the attacks allocate.
const heapSlack = 24 << 20

// checkNoLeaks waits (a bounded settle loop, not a timing assertion) for
// goroutines to return to their baseline, then compares the heap.
func checkNoLeaks(t *testing.T, goroutines int, heap uint64) {
	t.Helper()
	var now int
	for range 250 {
		if now = runtime.NumGoroutine(); now <= goroutines {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if now > goroutines {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after the case, %d before:\n%s", now, goroutines, buf[:runtime.Stack(buf, true)])
	}
	if _, after := baseline(); after > heap+heapSlack {
		t.Errorf("live heap %d MiB after the case, %d MiB before", after>>20, heap>>20)
	}
}

func TestThumbnailRefusesBombs(t *testing.T) {
	msg := append([]byte(`{"max_dimension":64,"max_bytes":4096}`+"\n"), pngBomb()...)
	answer := string(thumbnail(msg))
	want := `{"error":"the png image is 60000×60000 pixels, over the 64-megapixel limit of image_thumbnail"}` + "\n"
	if answer != want {
		t.Fatalf("answer %q, want %q", answer, want)
	}
}

func TestStderrQuoteKeepsHeadAndTail(t *testing.T) {
	tests := []struct {
		writes []string
		want   string
	}{
		{[]string{"panic: boom\n"}, "panic: boom"},
		{[]string{"fatal error: out of memory\n", strings.Repeat("g", 5000), "last line\n"},
			"fatal error: out of memory\n" + strings.Repeat("g", headSize-27) + " … " + strings.Repeat("g", tailSize-10) + "last line"},
		{[]string{strings.Repeat("a", headSize), strings.Repeat("b", tailSize)}, strings.Repeat("a", headSize) + strings.Repeat("b", tailSize)},
	}
	for _, tt := range tests {
		lw := newLogWriter(slog.New(slog.DiscardHandler), slog.LevelWarn, "stderr")
		for _, s := range tt.writes {
			lw.Write([]byte(s))
		}
		if got := lw.takeTail(); got != tt.want {
			t.Errorf("quote of %.40q… = %.80q…, want %.80q…", tt.writes, got, tt.want)
		}
		if again := lw.takeTail(); again != "" {
			t.Errorf("second take = %q, want nothing", again)
		}
	}
}

// TestReentrantCallFromProgress has the host call a plugin again from
// inside one of its host calls (a progress report), with the plugin's only
// instance busy: the inner call must give up when its context ends, not
// deadlock, and the outer call must then finish normally.
func TestReentrantCallFromProgress(t *testing.T) {
	f := newFixture(t)
	p := f.load(t, Spec{MaxInstances: 1, CallTimeout: 5 * time.Second})
	var inner error
	report := func(Progress) {
		if inner != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, inner = p.Call(ctx, json.RawMessage(`{"mode": "echo", "text": "inner"}`), nil)
		if inner == nil {
			inner = errors.New("the inner call succeeded on a busy instance")
		}
	}
	if _, err := callCtx(context.Background(), t, p, `{"mode": "progress"}`, report); err != nil {
		t.Fatalf("outer call: %v", err)
	}
	var ce *CallError
	if !errors.As(inner, &ce) || !strings.Contains(inner.Error(), "no instance became free (all 1 busy; tools.yaml limits.max_instances)") {
		t.Fatalf("inner call: %v, want a CallError saying no instance became free", inner)
	}
	mustEcho(t, p)
}

// BenchmarkEchoBesideSpin measures a healthy plugin's calls alone and
// while another plugin spins in an endless loop on another instance: the
// ratio is what a runaway plugin costs everyone else until its timeout.
func BenchmarkEchoBesideSpin(b *testing.B) {
	f := newFixture(b)
	healthy := f.load(b, Spec{MaxInstances: 1})
	spinner, err := f.rt.Load(context.Background(), Spec{Name: "hostile", Wasm: hostile{call: spin}.encode()})
	if err != nil {
		b.Fatal(err)
	}
	defer spinner.Close(context.Background())
	args := json.RawMessage(`{"mode": "echo", "text": "hello"}`)
	echo := func(b *testing.B) {
		for b.Loop() {
			if _, err := healthy.Call(context.Background(), args, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("alone", echo)
	b.Run("beside-spin", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			spinner.Call(ctx, nil, nil)
		}()
		echo(b)
		cancel()
		<-done
	})
}
