// Package instrument rewrites a WebAssembly module so that the host can stop
// it and bound its memory without paying for it on every call.
//
// wazero can stop a running module only when its code returns to Go: its own
// option (RuntimeConfig.WithCloseOnContextDone) makes every loop iteration
// leave the machine code for Go to check whether the module was closed, which
// triples the cost of a Go plugin's call. Without any such exit, a spinning
// module cannot be stopped at all, and worse, it blocks the Go garbage
// collector's stop-the-world phase, freezing the whole host at the next
// collection.
//
// [Module] instead gives the module a fuel counter (a mutable global) that
// loop headers, the entries of functions that call others and bulk memory
// operations decrement inline — a load, a subtraction, a store and a branch —
// and, when it runs out, calls an imported host function ([Options.Import])
// and refills it. That host function is where the host checks the call's
// context and traps the module; it is also a point where Go can preempt the
// goroutine, so that a spinning plugin never freezes the host.
//
// Every unbounded execution passes one of the counted points infinitely
// often: a loop iterates, a recursion or a call tree enters functions that
// call, and a single instruction is bounded by the memory size (bulk
// operations are charged per 64 bytes).
//
// It also joins the module's data segments where that cannot change what
// an instance's memory starts with: Go modules have tens of thousands,
// which wazero keeps and copies one by one.
//
// The rewrite also caps the module's linear memory by setting its declared
// maximum ([Options.MaxMemoryPages]), so that memory.grow beyond the plugin's
// limit fails inside the guest (a Go plugin reports "out of memory" and
// traps) while other plugins keep their own limits in the same runtime.
package instrument

import (
	"bytes"
	"fmt"
)

// Version names the rewrite [Module] performs. Caches of instrumented
// modules key on it, so it must change whenever Module's output for some
// input changes; TestVersionPinsOutput fails until it does.
//
// Version 2 merges data segments (mergeData).
const Version = 2

// Options says how to instrument a module.
type Options struct {
	// ImportModule and ImportName name the host function () -> () that the
	// module calls when its fuel runs out. It may trap to stop the module.
	ImportModule, ImportName string
	// Fuel is the number of counted points (loop iterations, calling
	// function entries, 64-byte blocks of bulk memory operations) between two calls of
	// the host function. It must be positive.
	Fuel int32
	// MaxMemoryPages caps the module's memory, in 64 KiB pages; 0 leaves the
	// declared maximum as it is.
	MaxMemoryPages uint32
}

// Section ids of the binary format.
const (
	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secElement  = 9
	secCode     = 10
)

var header = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

type section struct {
	id      byte
	content []byte
	offset  int // of content in the module, for messages
}

// module is what the rewrite needs to know about the input.
type module struct {
	sections        []section
	input           []byte   // the module as given
	types           [][]byte // each type's encoding, to find or add ours
	importedFuncs   uint32
	importedGlobals uint32
	funcTypes       []uint32 // type of each defined function
	globals         uint32   // defined globals
	hasDataCount    bool     // a data count section: instructions name data segments
}

// Module returns the instrumented module, or an error saying why wasm is not
// a module this package can rewrite (not WebAssembly, malformed, or using
// features beyond WebAssembly 2.0 and tail calls). Its output is a pure
// function of its input, so compilation caches keyed by content keep working.
func Module(wasm []byte, o Options) ([]byte, error) {
	if o.Fuel <= 0 {
		return nil, fmt.Errorf("instrument: fuel %d is not positive", o.Fuel)
	}
	m, err := parse(wasm)
	if err != nil {
		return nil, err
	}
	return m.rewrite(o)
}

func parse(wasm []byte) (*module, error) {
	if !bytes.HasPrefix(wasm, header) {
		if len(wasm) >= 4 && bytes.Equal(wasm[:4], header[:4]) {
			return nil, fmt.Errorf("unsupported WebAssembly binary version % x (easel accepts version 1)", wasm[4:min(8, len(wasm))])
		}
		return nil, fmt.Errorf("no WebAssembly magic number (the file starts with %q)", wasm[:min(8, len(wasm))])
	}
	m := &module{input: wasm}
	r := &reader{b: wasm, pos: len(header)}
	for !r.done() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		offset := r.pos
		content, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		s := section{id: id, content: content, offset: offset}
		if err := m.scan(s); err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		m.sections = append(m.sections, s)
	}
	return m, nil
}

// scan records what the rewrite needs from the sections before the code.
func (m *module) scan(s section) error {
	r := &reader{b: s.content, base: s.offset}
	switch s.id {
	case secType:
		return m.scanTypes(r)
	case secImport:
		return m.scanImports(r)
	case secFunction:
		n, err := r.count(1)
		if err != nil {
			return err
		}
		m.funcTypes = make([]uint32, n)
		for i := range m.funcTypes {
			if m.funcTypes[i], err = r.u32(); err != nil {
				return err
			}
		}
	case secGlobal:
		n, err := r.u32()
		m.globals = n
		return err
	case secDataCount:
		m.hasDataCount = true
	}
	return nil
}

func (m *module) scanTypes(r *reader) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	for range n {
		start := r.pos
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return r.fail("type form 0x%02x is not a function type", form)
		}
		params, err := r.count(1)
		if err != nil {
			return err
		}
		if _, err := r.bytes(params); err != nil {
			return err
		}
		results, err := r.count(1)
		if err != nil {
			return err
		}
		if _, err := r.bytes(results); err != nil {
			return err
		}
		m.types = append(m.types, r.b[start:r.pos])
	}
	return nil
}

func (m *module) scanImports(r *reader) error {
	n, err := r.count(4)
	if err != nil {
		return err
	}
	for range n {
		if _, err := r.name(); err != nil {
			return err
		}
		if _, err := r.name(); err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case 0: // function: type index
			_, err = r.u32()
			m.importedFuncs++
		case 1: // table: reference type, limits
			if _, err = r.byte(); err == nil {
				_, _, _, err = r.limits()
			}
		case 2: // memory: limits
			_, _, _, err = r.limits()
		case 3: // global: value type, mutability
			_, err = r.bytes(2)
			m.importedGlobals++
		default:
			return r.fail("import kind 0x%02x is not supported", kind)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
