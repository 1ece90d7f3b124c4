// Package wasmbuild emits small WebAssembly modules for tests: hostile
// plugins and instrumentation cases written as Go values instead of WAT, so
// that tests need no assembler and no network. It encodes what it is given
// without validating it; wazero does that, and some tests want invalid
// modules on purpose.
package wasmbuild

// Value types.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// FuncType is a function signature.
type FuncType struct {
	Params, Results []byte
}

// Import is an imported function.
type Import struct {
	Module, Name string
	Type         uint32
}

// Func is a defined function. Body is its instructions, without the final
// end, which Encode adds.
type Func struct {
	Type   uint32
	Locals []byte // one value type per local
	Body   []byte
}

// Export kinds.
const (
	KindFunc   byte = 0
	KindMemory byte = 2
	KindGlobal byte = 3
)

// Export exports a function, memory or global by index.
type Export struct {
	Name  string
	Kind  byte
	Index uint32
}

// Data is an active data segment in memory 0.
type Data struct {
	Offset int32
	Bytes  []byte
}

// Module is a module to encode. Function indices count Imports first.
type Module struct {
	Types   []FuncType
	Imports []Import
	Funcs   []Func
	// Memory declares memory 0 with MemoryMin pages when true.
	Memory    bool
	MemoryMin uint32
	// Globals are mutable i32 globals with these initial values.
	Globals []int32
	Exports []Export
	// Start is 1 + the index of the start function; 0 means none.
	Start uint32
	// Table lists function indices for an active element segment at 0.
	Table []uint32
	Data  []Data
	// Names, if not nil, become a name section (function index -> name).
	Names map[uint32]string
}

// Encode returns the binary module.
func (m *Module) Encode() []byte {
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	out = section(out, 1, vector(len(m.Types), func(b []byte, i int) []byte {
		t := m.Types[i]
		b = append(U32(append(b, 0x60), uint32(len(t.Params))), t.Params...)
		return append(U32(b, uint32(len(t.Results))), t.Results...)
	}))
	out = section(out, 2, vector(len(m.Imports), func(b []byte, i int) []byte {
		im := m.Imports[i]
		return U32(append(name(name(b, im.Module), im.Name), 0x00), im.Type)
	}))
	out = section(out, 3, vector(len(m.Funcs), func(b []byte, i int) []byte { return U32(b, m.Funcs[i].Type) }))
	if len(m.Table) > 0 {
		n := uint32(len(m.Imports) + len(m.Funcs))
		out = section(out, 4, U32([]byte{0x01, 0x70, 0x00}, n))
	}
	if m.Memory {
		out = section(out, 5, U32([]byte{0x01, 0x00}, m.MemoryMin))
	}
	out = section(out, 6, vector(len(m.Globals), func(b []byte, i int) []byte {
		return append(S32(append(b, I32, 0x01, 0x41), m.Globals[i]), 0x0b)
	}))
	out = section(out, 7, vector(len(m.Exports), func(b []byte, i int) []byte {
		e := m.Exports[i]
		return U32(append(name(b, e.Name), e.Kind), e.Index)
	}))
	if m.Start > 0 {
		out = section(out, 8, U32(nil, m.Start-1))
	}
	if len(m.Table) > 0 {
		seg := vector(len(m.Table), func(b []byte, i int) []byte { return U32(b, m.Table[i]) })
		out = section(out, 9, append([]byte{0x01, 0x00, 0x41, 0x00, 0x0b}, seg...))
	}
	out = section(out, 10, vector(len(m.Funcs), func(b []byte, i int) []byte {
		f := m.Funcs[i]
		body := vector(len(f.Locals), func(b []byte, j int) []byte { return append(U32(b, 1), f.Locals[j]) })
		body = append(append(body, f.Body...), 0x0b)
		return append(U32(b, uint32(len(body))), body...)
	}))
	out = section(out, 11, vector(len(m.Data), func(b []byte, i int) []byte {
		d := m.Data[i]
		b = append(S32(append(b, 0x00, 0x41), d.Offset), 0x0b)
		return append(U32(b, uint32(len(d.Bytes))), d.Bytes...)
	}))
	if m.Names != nil {
		var idx []uint32
		for i := range m.Names {
			idx = append(idx, i)
		}
		sortU32(idx)
		fn := vector(len(idx), func(b []byte, i int) []byte { return name(U32(b, idx[i]), m.Names[idx[i]]) })
		sub := append(U32([]byte{0x01}, uint32(len(fn))), fn...)
		out = section(out, 0, append(name(nil, "name"), sub...))
	}
	return out
}

func sortU32(s []uint32) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func section(out []byte, id byte, content []byte) []byte {
	if id != 0 && len(content) == 1 && content[0] == 0 {
		return out // an empty vector: leave the section out
	}
	return append(U32(append(out, id), uint32(len(content))), content...)
}

func vector(n int, item func(b []byte, i int) []byte) []byte {
	b := U32(nil, uint32(n))
	for i := range n {
		b = item(b, i)
	}
	return b
}

func name(b []byte, s string) []byte { return append(U32(b, uint32(len(s))), s...) }

// U32 appends an unsigned LEB128.
func U32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// S32 appends a signed LEB128.
func S32(b []byte, v int32) []byte { return S64(b, int64(v)) }

// S64 appends a signed LEB128 of 64 bits.
func S64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// Code concatenates instructions: each part is a byte (or an int constant),
// a []byte or an instruction built by the helpers below.
func Code(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case byte:
			b = append(b, p)
		case int: // an untyped constant such as 0x00
			b = append(b, byte(p))
		case []byte:
			b = append(b, p...)
		default:
			panic("wasmbuild.Code: part must be a byte, an int or a []byte")
		}
	}
	return b
}

// Instructions with immediates.
func I32Const(v int32) []byte  { return S32([]byte{0x41}, v) }
func I64Const(v int64) []byte  { return S64([]byte{0x42}, v) }
func Call(fn uint32) []byte    { return U32([]byte{0x10}, fn) }
func LocalGet(i uint32) []byte { return U32([]byte{0x20}, i) }
func LocalSet(i uint32) []byte { return U32([]byte{0x21}, i) }
func GlobalGet(i uint32) []byte {
	return U32([]byte{0x23}, i)
}
func GlobalSet(i uint32) []byte { return U32([]byte{0x24}, i) }
func Br(depth uint32) []byte    { return U32([]byte{0x0c}, depth) }
func BrIf(depth uint32) []byte  { return U32([]byte{0x0d}, depth) }

// I32Store is i32.store with offset 0.
func I32Store() []byte { return []byte{0x36, 0x02, 0x00} }

// I64Store8 is i64.store8 with offset 0.
func I64Store8() []byte { return []byte{0x3c, 0x00, 0x00} }

// Instructions without immediates.
const (
	Unreachable byte = 0x00
	Nop         byte = 0x01
	Loop        byte = 0x03 // follow with Void
	Block       byte = 0x02 // follow with Void
	If          byte = 0x04 // follow with Void
	Else        byte = 0x05
	Void        byte = 0x40
	End         byte = 0x0b
	Return      byte = 0x0f
	Drop        byte = 0x1a
	I32Eqz      byte = 0x45
	I32Add      byte = 0x6a
	I32Sub      byte = 0x6b
	I64ExtendU  byte = 0xad // i64.extend_i32_u
	I64Shl      byte = 0x86
	I64Or       byte = 0x84
	MemoryGrow  byte = 0x40 // follow with 0x00
	MemorySize  byte = 0x3f // follow with 0x00
)

// MemoryFill is memory.fill (d, value, n).
var MemoryFill = []byte{0xfc, 0x0b, 0x00}

// Pack returns instructions that leave the i64 (ptr << 32) | n on the stack.
func Pack(ptr, n int32) []byte {
	return I64Const(int64(uint64(uint32(ptr))<<32 | uint64(uint32(n))))
}
