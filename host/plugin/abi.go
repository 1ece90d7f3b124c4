package plugin

import (
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// HostModule is the import module name of ABI v1. A future incompatible ABI
// gets a new name, so that one host can serve plugins of both.
const HostModule = "easel_v1"

// ABIVersion is the value a plugin's description must carry in "abi".
const ABIVersion = 1

// Names of the exports every plugin provides (docs/abi.md).
const (
	exportAlloc    = "easel_alloc"
	exportFree     = "easel_free"
	exportDescribe = "easel_describe"
	exportCall     = "easel_call"
	exportMemory   = "memory"
)

// signature is a wasm function type written as "(i32,i32)->(i64)".
type signature struct {
	params, results []api.ValueType
}

func (s signature) String() string {
	return "(" + valueTypes(s.params) + ")->(" + valueTypes(s.results) + ")"
}

func valueTypes(ts []api.ValueType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = api.ValueTypeName(t)
	}
	return strings.Join(names, ",")
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// requiredExports lists the ABI's exports with their exact types.
var requiredExports = []struct {
	name string
	sig  signature
}{
	{exportAlloc, signature{[]api.ValueType{i32}, []api.ValueType{i32}}},
	{exportFree, signature{[]api.ValueType{i32}, nil}},
	{exportDescribe, signature{nil, []api.ValueType{i64}}},
	{exportCall, signature{[]api.ValueType{i32, i32}, []api.ValueType{i64}}},
}

// checkExports verifies that a compiled module exports what ABI v1 needs,
// naming every missing or mistyped export, so that a broken plugin is refused
// at load time rather than failing its first call.
func checkExports(m wazero.CompiledModule) error {
	fns := m.ExportedFunctions()
	var problems []string
	for _, want := range requiredExports {
		def, ok := fns[want.name]
		if !ok {
			problems = append(problems, fmt.Sprintf("missing export %s%s", want.name, want.sig))
			continue
		}
		got := signature{def.ParamTypes(), def.ResultTypes()}
		if got.String() != want.sig.String() {
			problems = append(problems, fmt.Sprintf("export %s has type %s, want %s", want.name, got, want.sig))
		}
	}
	if _, ok := m.ExportedMemories()[exportMemory]; !ok {
		problems = append(problems, "missing exported memory \"memory\"")
	}
	for _, imp := range m.ImportedFunctions() {
		mod, name, _ := imp.Import()
		if mod != HostModule && mod != "wasi_snapshot_preview1" && (mod != interruptModule || name != interruptName) {
			problems = append(problems, fmt.Sprintf("imports %s.%s, which easel does not provide", mod, name))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("not an easel ABI v%d plugin: %s", ABIVersion, strings.Join(problems, "; "))
	}
	return nil
}

// unpack splits a packed (ptr << 32 | len) result.
func unpack(v uint64) (ptr, length uint32) {
	return uint32(v >> 32), uint32(v)
}
