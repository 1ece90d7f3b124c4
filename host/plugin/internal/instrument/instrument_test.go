package instrument_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/plugin/internal/instrument"
	w "github.com/easel-mcp/easel/host/plugin/internal/wasmbuild"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

var opts = instrument.Options{ImportModule: "host", ImportName: "yield", Fuel: 1000}

var errStop = errors.New("stopped by the host")

// harness runs instrumented modules with a yield host function that counts
// its calls and traps after stopAfter of them (never when 0).
type harness struct {
	rt        wazero.Runtime
	yields    int
	stopAfter int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{rt: wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())}
	t.Cleanup(func() { h.rt.Close(ctx) })
	_, err := h.rt.NewHostModuleBuilder("host").NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			h.yields++
			if h.stopAfter > 0 && h.yields >= h.stopAfter {
				panic(errStop)
			}
		}), nil, nil).Export("yield").
		NewFunctionBuilder().WithFunc(func() {}).Export("unused").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) instantiate(t *testing.T, wasm []byte, o instrument.Options) api.Module {
	t.Helper()
	out, err := instrument.Module(wasm, o)
	if err != nil {
		t.Fatalf("instrument: %v", err)
	}
	mod, err := h.rt.InstantiateWithConfig(context.Background(), out, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatalf("instantiate instrumented module: %v", err)
	}
	return mod
}

func call(t *testing.T, mod api.Module, name string, params ...uint64) ([]uint64, error) {
	t.Helper()
	fn := mod.ExportedFunction(name)
	if fn == nil {
		t.Fatalf("no export %s", name)
	}
	return fn.Call(context.Background(), params...)
}

var (
	voidType  = w.FuncType{}
	i32ToI32  = w.FuncType{Params: []byte{w.I32}, Results: []byte{w.I32}}
	voidToI32 = w.FuncType{Results: []byte{w.I32}}
)

// spin loops forever.
func spinModule() []byte {
	return (&w.Module{
		Types:   []w.FuncType{voidType},
		Funcs:   []w.Func{{Type: 0, Body: w.Code(w.Loop, w.Void, w.Br(0), w.End)}},
		Exports: []w.Export{{Name: "spin", Kind: w.KindFunc, Index: 0}},
	}).Encode()
}

func TestEndlessLoopYields(t *testing.T) {
	h := newHarness(t)
	h.stopAfter = 3
	mod := h.instantiate(t, spinModule(), opts)
	_, err := call(t, mod, "spin")
	if !errors.Is(err, errStop) {
		t.Fatalf("spin returned %v, want the host's trap", err)
	}
	if h.yields != 3 {
		t.Fatalf("yield called %d times, want 3", h.yields)
	}
}

// callTree calls itself twice per level with no loop: 2^depth calls.
func callTreeModule() []byte {
	// f(n) = n == 0 ? 1 : f(n-1) + f(n-1)
	body := w.Code(w.LocalGet(0), w.I32Eqz, w.If, w.Void, w.I32Const(1), w.Return, w.End,
		w.LocalGet(0), w.I32Const(1), w.I32Sub, w.Call(1),
		w.LocalGet(0), w.I32Const(1), w.I32Sub, w.Call(1), w.I32Add)
	return (&w.Module{
		Types:   []w.FuncType{voidType, i32ToI32},
		Imports: []w.Import{{Module: "host", Name: "unused", Type: 0}},
		Funcs:   []w.Func{{Type: 1, Body: body}},
		Exports: []w.Export{{Name: "tree", Kind: w.KindFunc, Index: 1}},
	}).Encode()
}

func TestCallTreeWithoutLoopsYields(t *testing.T) {
	h := newHarness(t)
	mod := h.instantiate(t, callTreeModule(), opts)
	res, err := call(t, mod, "tree", 16)
	if err != nil || res[0] != 1<<16 {
		t.Fatalf("tree(16) = %v, %v; want 65536", res, err)
	}
	// 2^17-1 calls at one unit each, 1000 units per yield.
	if h.yields < 100 {
		t.Fatalf("yield called %d times for 131071 calls; function entries are not counted", h.yields)
	}
}

// TestSemanticsKept runs a module using every kind of function reference
// the rewrite renumbers (calls, an exported function, the start function, a
// table with call_indirect, ref.func in a global) and checks its results.
func TestSemanticsKept(t *testing.T) {
	// func 0: import host.yield2 (a second import, to check the shift)
	// func 1: start: sets global 0 to 7
	// func 2: sum(n) = 0 + 1 + ... + n-1 in a loop
	// func 3: run() = sum(10) + call_indirect table[1] (= get7) + global 0
	// func 4: get7() = 7
	loop := w.Code(w.Block, w.Void, w.Loop, w.Void,
		w.LocalGet(1), w.LocalGet(0), []byte{0x4e}, w.BrIf(1), // i >= n: break
		w.LocalGet(2), w.LocalGet(1), w.I32Add, w.LocalSet(2),
		w.LocalGet(1), w.I32Const(1), w.I32Add, w.LocalSet(1),
		w.Br(0), w.End, w.End, w.LocalGet(2))
	run := w.Code(w.I32Const(10), w.Call(2),
		w.I32Const(1), []byte{0x11, 0x02, 0x00}, w.I32Add, // call_indirect (type 2) table 0
		w.GlobalGet(0), w.I32Add)
	m := &w.Module{
		Types:   []w.FuncType{voidType, i32ToI32, voidToI32},
		Imports: []w.Import{{Module: "host", Name: "yield", Type: 0}},
		Funcs: []w.Func{
			{Type: 0, Body: w.Code(w.I32Const(7), w.GlobalSet(0))},
			{Type: 1, Locals: []byte{w.I32, w.I32}, Body: loop},
			{Type: 2, Body: run},
			{Type: 2, Body: w.I32Const(7)},
		},
		Globals: []int32{0},
		Exports: []w.Export{{Name: "run", Kind: w.KindFunc, Index: 3}, {Name: "sum", Kind: w.KindFunc, Index: 2}},
		Start:   1 + 1,
		Table:   []uint32{2, 4},
		Names:   map[uint32]string{0: "yield", 1: "init", 2: "sum", 3: "run", 4: "get7"},
	}
	wasm := m.Encode()
	h := newHarness(t)
	plain, err := h.rt.InstantiateWithConfig(context.Background(), wasm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	want, err := call(t, plain, "run")
	if err != nil || want[0] != 45+7+7 {
		t.Fatalf("uninstrumented run() = %v, %v; the test module is wrong", want, err)
	}
	mod := h.instantiate(t, wasm, instrument.Options{ImportModule: "host", ImportName: "yield", Fuel: 3})
	got, err := call(t, mod, "run")
	if err != nil || got[0] != want[0] {
		t.Fatalf("instrumented run() = %v, %v; want %v", got, err, want)
	}
	if h.yields == 0 {
		t.Fatal("the loop never yielded with 3 units of fuel")
	}
	names := mod.ExportedFunction("sum").Definition().DebugName()
	if !strings.Contains(names, "sum") {
		t.Errorf("export sum has debug name %q: the name section was not renumbered", names)
	}
}

func TestBulkMemoryIsCharged(t *testing.T) {
	// fill(n): memory.fill(0, 0, n) once.
	m := &w.Module{
		Types:     []w.FuncType{{Params: []byte{w.I32}}},
		Funcs:     []w.Func{{Type: 0, Body: w.Code(w.I32Const(0), w.I32Const(0), w.LocalGet(0), w.MemoryFill)}},
		Memory:    true,
		MemoryMin: 64,
		Exports:   []w.Export{{Name: "fill", Kind: w.KindFunc, Index: 0}},
	}
	h := newHarness(t)
	mod := h.instantiate(t, m.Encode(), instrument.Options{ImportModule: "host", ImportName: "yield", Fuel: 100})
	if _, err := call(t, mod, "fill", 4<<20); err != nil { // 65536 units: 655 tanks of 100
		t.Fatal(err)
	}
	if h.yields != 1 {
		t.Fatalf("yield called %d times after filling 4 MiB with 6400 bytes of fuel, want 1 (charged at once)", h.yields)
	}
}

func TestMemoryCap(t *testing.T) {
	// grow(n) = memory.grow(n)
	m := &w.Module{
		Types:     []w.FuncType{i32ToI32},
		Funcs:     []w.Func{{Type: 0, Body: w.Code(w.LocalGet(0), w.MemoryGrow, 0x00)}},
		Memory:    true,
		MemoryMin: 2,
		Exports:   []w.Export{{Name: "grow", Kind: w.KindFunc, Index: 0}},
	}
	h := newHarness(t)
	mod := h.instantiate(t, m.Encode(), instrument.Options{ImportModule: "host", ImportName: "yield", Fuel: 100, MaxMemoryPages: 10})
	for _, tt := range []struct{ grow, want uint32 }{{8, 2}, {1, 0xffffffff}, {0, 10}} {
		res, err := call(t, mod, "grow", uint64(tt.grow))
		if err != nil || uint32(res[0]) != tt.want {
			t.Fatalf("memory.grow(%d) = %v, %v; want %d", tt.grow, res, err, int32(tt.want))
		}
	}
	m.MemoryMin = 11
	_, err := instrument.Module(m.Encode(), instrument.Options{ImportModule: "host", ImportName: "yield", Fuel: 1, MaxMemoryPages: 10})
	if err == nil || !strings.Contains(err.Error(), "needs at least 11 pages of memory (0 MiB), over its limit of 10 pages") {
		t.Fatalf("error = %v, want the memory minimum refused", err)
	}
}

func TestRefuses(t *testing.T) {
	tests := []struct {
		name string
		wasm []byte
		want string
	}{
		{"shell script", []byte("#!/bin/sh\necho hi\n"), `no WebAssembly magic number (the file starts with "#!/bin/s")`},
		{"empty", nil, "no WebAssembly magic number"},
		{"component", []byte{0, 'a', 's', 'm', 0x0d, 0, 1, 0}, "unsupported WebAssembly binary version 0d 00 01 00"},
		{"truncated section", append(spinModule()[:8], 1, 50, 0), "section 1: at byte 10: unexpected end"},
		{"bad opcode", (&w.Module{Types: []w.FuncType{voidType}, Funcs: []w.Func{{Body: []byte{0xff}}}}).Encode(), "opcode 0xff is not supported"},
		{"huge vector", append(spinModule()[:8], 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), "vector of 4294967295 elements does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := instrument.Module(tt.wasm, opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	a, err := instrument.Module(callTreeModule(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := instrument.Module(callTreeModule(), opts)
	if string(a) != string(b) {
		t.Fatal("two rewrites of one module differ: the compilation cache would miss")
	}
}

// TestVersionPinsOutput records what the rewrite makes of a few modules
// (loops, a call tree, bulk memory, a memory cap) under the current
// Version. Instrumented modules are cached by Version: if this fails, the
// rewrite changed, and a cache filled by the previous easel would hand
// out modules the old way. Bump Version, then record the new digest.
func TestVersionPinsOutput(t *testing.T) {
	const want = "v2 47e589b8"
	fill := &w.Module{
		Types:     []w.FuncType{{Params: []byte{w.I32}}},
		Funcs:     []w.Func{{Type: 0, Body: w.Code(w.I32Const(0), w.I32Const(0), w.LocalGet(0), w.MemoryFill)}},
		Memory:    true,
		MemoryMin: 2,
		Exports:   []w.Export{{Name: "fill", Kind: w.KindFunc, Index: 0}},
	}
	h := sha256.New()
	for _, m := range [][]byte{spinModule(), callTreeModule(), fill.Encode(), dataModule(segmentsInOrder)} {
		out, err := instrument.Module(m, instrument.Options{ImportModule: "host", ImportName: "yield", Fuel: 1000, MaxMemoryPages: 10})
		if err != nil {
			t.Fatal(err)
		}
		h.Write(out)
	}
	if got := fmt.Sprintf("v%d %x", instrument.Version, h.Sum(nil)[:4]); got != want {
		t.Fatalf("the rewrite's output is %q, recorded as %q: if the rewrite changed, bump instrument.Version and record the new value", got, want)
	}
}

// Data segments as the Go linker writes them: ascending, with gaps of
// zeros, some short and some long.
var segmentsInOrder = []w.Data{
	{Offset: 16, Bytes: []byte("abc")},
	{Offset: 24, Bytes: []byte("defg")}, // 5 zeros after abc
	{Offset: 28, Bytes: []byte("h")},    // adjoining
	{Offset: 28 + 1 + 300, Bytes: []byte("far")},
	{Offset: 65536 + 7, Bytes: []byte{1, 0, 2}},
}

func dataModule(segs []w.Data) []byte {
	return (&w.Module{Memory: true, MemoryMin: 2, Data: segs, Exports: []w.Export{{Name: "memory", Kind: w.KindMemory, Index: 0}}}).Encode()
}

// dataSegments counts the data segments of a module.
func dataSegments(t *testing.T, wasm []byte) int {
	t.Helper()
	for i := 8; i < len(wasm); {
		id := wasm[i]
		size, n := uleb(wasm[i+1:])
		content := wasm[i+1+n : i+1+n+int(size)]
		if id == 11 {
			count, _ := uleb(content)
			return int(count)
		}
		i += 1 + n + int(size)
	}
	return 0
}

func uleb(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return v, len(b)
}

// TestDataSegmentsMerged checks that merging keeps what memory starts
// with, and that it merges only what it safely can.
func TestDataSegmentsMerged(t *testing.T) {
	inPages := segmentsInOrder[:5]
	tests := []struct {
		name string
		segs []w.Data
		want int // segments after the rewrite
	}{
		{"ascending with gaps", inPages, 3}, // abc…h, far, the second page's
		{"out of order", []w.Data{inPages[1], inPages[0]}, 1},
		{"overlapping", []w.Data{{Offset: 8, Bytes: []byte("xxxx")}, {Offset: 10, Bytes: []byte("yy")}}, 2},
		{"one", inPages[:1], 1},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := dataModule(tt.segs)
			out, err := instrument.Module(orig, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := dataSegments(t, out); got != tt.want {
				t.Errorf("%d segments after the rewrite, want %d", got, tt.want)
			}
			h := newHarness(t)
			a, err := h.rt.InstantiateWithConfig(ctx, orig, wazero.NewModuleConfig().WithName("orig"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := h.rt.InstantiateWithConfig(ctx, out, wazero.NewModuleConfig().WithName("rewritten"))
			if err != nil {
				t.Fatal(err)
			}
			ma, _ := a.Memory().Read(0, a.Memory().Size())
			mb, _ := b.Memory().Read(0, b.Memory().Size())
			if string(ma) != string(mb) {
				t.Fatal("the rewritten module's memory starts different")
			}
		})
	}
}
