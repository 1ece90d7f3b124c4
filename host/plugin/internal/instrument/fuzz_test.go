package instrument_test

import (
	"context"
	"testing"

	"github.com/easel-mcp/easel/host/plugin/internal/instrument"
	w "github.com/easel-mcp/easel/host/plugin/internal/wasmbuild"
	"github.com/tetratelabs/wazero"
)

// FuzzModule checks that the rewrite never panics on any input and never
// breaks a module: whenever wazero accepts the original, it accepts the
// instrumented module too.
func FuzzModule(f *testing.F) {
	f.Add(spinModule())
	f.Add(callTreeModule())
	f.Add((&w.Module{
		Types:     []w.FuncType{voidType, i32ToI32},
		Imports:   []w.Import{{Module: "host", Name: "yield", Type: 0}},
		Funcs:     []w.Func{{Type: 1, Body: w.Code(w.LocalGet(0), w.I32Const(0), w.LocalGet(0), w.MemoryFill, w.LocalGet(0))}},
		Memory:    true,
		MemoryMin: 1,
		Globals:   []int32{5},
		Exports:   []w.Export{{Name: "f", Kind: w.KindFunc, Index: 1}, {Name: "memory", Kind: w.KindMemory}},
		Table:     []uint32{1, 0},
		Data:      []w.Data{{Offset: 8, Bytes: []byte("data")}},
		Names:     map[uint32]string{1: "f"},
	}).Encode())
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, err := instrument.Module(wasm, instrument.Options{ImportModule: "host", ImportName: "yield", Fuel: 100, MaxMemoryPages: 16})
		if err != nil {
			return
		}
		orig, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			return
		}
		orig.Close(ctx)
		inst, err := rt.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("wazero accepts the original but not the instrumented module: %v", err)
		}
		inst.Close(ctx)
	})
}
