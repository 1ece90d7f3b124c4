package instrument

import (
	"bytes"
	"fmt"
	"slices"
)

// edit replaces b[start:end] with data (an insertion when start == end).
type edit struct {
	start, end int
	data       []byte
}

// apply returns src with edits applied; edits are sorted and disjoint.
func apply(src []byte, edits []edit) []byte {
	return applyTo(make([]byte, 0, appliedLen(src, edits)), src, edits)
}

// applyTo appends src with edits applied to dst.
func applyTo(dst, src []byte, edits []edit) []byte {
	at := 0
	for _, e := range edits {
		dst = append(dst, src[at:e.start]...)
		dst = append(dst, e.data...)
		at = e.end
	}
	return append(dst, src[at:]...)
}

// appliedLen is the length of src once edits are applied.
func appliedLen(src []byte, edits []edit) int {
	n := len(src)
	for _, e := range edits {
		n += len(e.data) - (e.end - e.start)
	}
	return n
}

// rewriter holds the indices of what the rewrite adds.
type rewriter struct {
	*module
	o            Options
	yield        uint32 // the imported host function
	refuel, bulk uint32 // the added functions
	fuel         uint32 // the added global
	voidType     uint32 // () -> ()
	bulkType     uint32 // (i32) -> (i32)
	newTypes     [][]byte
	check        []byte // the inline check at loop headers and function entries
}

var (
	voidTypeBytes = []byte{0x60, 0x00, 0x00}
	bulkTypeBytes = []byte{0x60, 0x01, 0x7f, 0x01, 0x7f}
)

func (m *module) rewrite(o Options) ([]byte, error) {
	w := &rewriter{module: m, o: o}
	w.voidType = w.typeIndex(voidTypeBytes)
	w.bulkType = w.typeIndex(bulkTypeBytes)
	w.yield = m.importedFuncs
	w.refuel = m.importedFuncs + 1 + uint32(len(m.funcTypes))
	w.bulk = w.refuel + 1
	w.fuel = m.importedGlobals + m.globals
	w.check = w.checkCode(1)

	out := make([]byte, 0, len(m.input)+len(m.input)/8)
	out = append(out, header...)
	// Sections the rewrite needs are created when the module has none.
	needed := map[byte]bool{secType: true, secImport: true, secFunction: true, secGlobal: true, secCode: true}
	flush := func(before byte) error {
		for _, id := range sectionOrder {
			if id == before {
				return nil
			}
			if needed[id] {
				delete(needed, id)
				content, err := w.section(section{id: id, content: emptyVector})
				if err != nil {
					return err
				}
				out = appendSection(out, id, content)
			}
		}
		return nil
	}
	for _, s := range m.sections {
		if s.id != secCustom {
			if err := flush(s.id); err != nil {
				return nil, err
			}
			delete(needed, s.id)
		}
		content, err := w.section(s)
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
		if content != nil {
			out = appendSection(out, s.id, content)
		}
	}
	if err := flush(0xff); err != nil {
		return nil, err
	}
	return out, nil
}

// sectionOrder is the order non-custom sections must appear in.
var sectionOrder = []byte{1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11}

var emptyVector = []byte{0x00}

// typeIndex finds a function type or schedules it to be added.
func (w *rewriter) typeIndex(t []byte) uint32 {
	if i := slices.IndexFunc(w.types, func(b []byte) bool { return bytes.Equal(b, t) }); i >= 0 {
		return uint32(i)
	}
	w.newTypes = append(w.newTypes, t)
	return uint32(len(w.types) + len(w.newTypes) - 1)
}

// shift maps an old function index to its index after the added import.
func (w *rewriter) shift(idx uint32) uint32 {
	if idx < w.importedFuncs {
		return idx
	}
	return idx + 1
}

// section returns the rewritten content of s; nil drops it.
func (w *rewriter) section(s section) ([]byte, error) {
	r := &reader{b: s.content, base: s.offset}
	switch s.id {
	case secCustom:
		return w.custom(r)
	case secType:
		return w.appendToVector(r, len(w.newTypes), bytes.Join(w.newTypes, nil))
	case secImport:
		return w.imports(r)
	case secFunction:
		var add []byte
		add = appendU32(add, w.voidType)
		add = appendU32(add, w.bulkType)
		return w.appendToVector(r, 2, add)
	case secMemory:
		return w.memories(r)
	case secGlobal:
		return w.globals(r)
	case secExport:
		return w.exports(r)
	case secStart:
		idx, err := r.u32()
		if err != nil {
			return nil, err
		}
		return appendU32(nil, w.shift(idx)), nil
	case secElement:
		return w.elements(r)
	case secCode:
		return w.code(r)
	case secData:
		return mergeData(s.content, s.offset, w.hasDataCount)
	}
	return s.content, nil
}

// appendToVector rewrites a vector's count to count+n and appends add
// after the existing elements; edits fix function indices inside them.
func (w *rewriter) appendToVector(r *reader, n int, add []byte, edits ...edit) ([]byte, error) {
	count, err := r.u32()
	if err != nil {
		return nil, err
	}
	edits = append([]edit{{0, r.pos, appendU32(nil, count+uint32(n))}}, edits...)
	return append(apply(r.b, edits), add...), nil
}

// indexEdit re-encodes a function index at [start, end).
func (w *rewriter) indexEdit(e event) edit {
	return edit{e.start, e.end, appendU32(nil, w.shift(e.index))}
}

// expr walks a constant expression and returns the edits of its function
// indices (ref.func).
func (w *rewriter) expr(r *reader) ([]edit, error) {
	var edits []edit
	err := walk(r, func(e event) {
		if e.kind == evFuncIndex {
			edits = append(edits, w.indexEdit(e))
		}
	})
	return edits, err
}

func (w *rewriter) imports(r *reader) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	edits := []edit{{0, r.pos, appendU32(nil, n+1)}}
	for range n {
		if _, err := r.name(); err != nil {
			return nil, err
		}
		if _, err := r.name(); err != nil {
			return nil, err
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch kind {
		case 0:
			_, err = r.u32()
		case 1:
			if _, err = r.byte(); err == nil {
				_, _, _, err = r.limits()
			}
		case 2:
			var e edit
			if e, err = w.memoryLimits(r); err == nil {
				edits = append(edits, e)
			}
		case 3:
			_, err = r.bytes(2)
		}
		if err != nil {
			return nil, err
		}
	}
	imp := appendName(nil, w.o.ImportModule)
	imp = appendName(imp, w.o.ImportName)
	imp = append(imp, 0x00)
	imp = appendU32(imp, w.voidType)
	return append(apply(r.b, edits), imp...), nil
}

func (w *rewriter) memories(r *reader) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	var edits []edit
	for range n {
		e, err := w.memoryLimits(r)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	return apply(r.b, edits), nil
}

// memoryLimits caps one memory's limits at MaxMemoryPages.
func (w *rewriter) memoryLimits(r *reader) (edit, error) {
	start := r.pos
	min, max, hasMax, err := r.limits()
	if err != nil {
		return edit{}, err
	}
	capPages := w.o.MaxMemoryPages
	switch {
	case capPages == 0:
		return edit{start, r.pos, r.b[start:r.pos]}, nil
	case min > capPages:
		return edit{}, fmt.Errorf("the module needs at least %d pages of memory (%d MiB), over its limit of %d pages (%d MiB)",
			min, min/16, capPages, capPages/16)
	case hasMax && max <= capPages:
		return edit{start, r.pos, r.b[start:r.pos]}, nil
	}
	limits := appendU32([]byte{0x01}, min)
	return edit{start, r.pos, appendU32(limits, capPages)}, nil
}

func (w *rewriter) globals(r *reader) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	countEnd := r.pos
	var edits []edit
	for range n {
		if _, err := r.bytes(2); err != nil { // value type, mutability
			return nil, err
		}
		e, err := w.expr(r)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	}
	edits = append([]edit{{0, countEnd, appendU32(nil, n+1)}}, edits...)
	fuel := appendS32([]byte{0x7f, 0x01, opI32Const}, w.o.Fuel)
	return append(apply(r.b, edits), append(fuel, opEnd)...), nil
}

func (w *rewriter) exports(r *reader) ([]byte, error) {
	n, err := r.count(3)
	if err != nil {
		return nil, err
	}
	var edits []edit
	for range n {
		if _, err := r.name(); err != nil {
			return nil, err
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		start := r.pos
		idx, err := r.u32()
		if err != nil {
			return nil, err
		}
		if kind == 0 {
			edits = append(edits, w.indexEdit(event{start: start, end: r.pos, index: idx}))
		}
	}
	return apply(r.b, edits), nil
}

func (w *rewriter) elements(r *reader) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	var edits []edit
	for range n {
		e, err := w.element(r)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	}
	return apply(r.b, edits), nil
}

// element walks one element segment (flags 0 to 7 of the binary format).
func (w *rewriter) element(r *reader) ([]edit, error) {
	flags, err := r.u32()
	if err != nil {
		return nil, err
	}
	if flags > 7 {
		return nil, r.fail("element segment flags %d", flags)
	}
	var edits []edit
	if flags == 2 || flags == 6 { // explicit table index
		if _, err := r.u32(); err != nil {
			return nil, err
		}
	}
	if flags&1 == 0 { // active: offset expression
		e, err := w.expr(r)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	}
	if flags&3 != 0 { // element kind or reference type
		if _, err := r.byte(); err != nil {
			return nil, err
		}
	}
	n, err := r.count(1)
	if err != nil {
		return nil, err
	}
	for range n {
		if flags&4 != 0 { // expressions
			e, err := w.expr(r)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e...)
			continue
		}
		start := r.pos
		idx, err := r.u32()
		if err != nil {
			return nil, err
		}
		edits = append(edits, w.indexEdit(event{start: start, end: r.pos, index: idx}))
	}
	return edits, nil
}

func (w *rewriter) code(r *reader) ([]byte, error) {
	n, err := r.count(2)
	if err != nil {
		return nil, err
	}
	if n != len(w.funcTypes) {
		return nil, fmt.Errorf("%d function bodies for %d functions", n, len(w.funcTypes))
	}
	out := make([]byte, 0, len(r.b)+len(r.b)/8)
	out = appendU32(out, uint32(n+2))
	for i := range n {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		start := r.pos
		raw, err := r.bytes(int(size))
		if err != nil {
			return nil, err
		}
		edits, err := w.body(&reader{b: raw, base: r.base + start})
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", int(w.importedFuncs)+i, err)
		}
		out = appendU32(out, uint32(appliedLen(raw, edits)))
		out = applyTo(out, raw, edits)
	}
	for _, body := range [][]byte{w.refuelBody(), w.bulkBody()} {
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out, nil
}

// body returns the edits that instrument one function body.
func (w *rewriter) body(r *reader) ([]edit, error) {
	groups, err := r.count(2)
	if err != nil {
		return nil, err
	}
	for range groups {
		if _, err := r.u32(); err != nil {
			return nil, err
		}
		if _, err := r.byte(); err != nil {
			return nil, err
		}
	}
	exprStart := r.pos
	startsWithLoop := exprStart < len(r.b) && r.b[exprStart] == opLoop
	var edits []edit
	calls := false
	bulk := w.call(w.bulk)
	err = walk(r, func(e event) {
		switch e.kind {
		case evLoop:
			edits = append(edits, edit{e.end, e.end, w.check})
		case evFuncIndex:
			edits = append(edits, w.indexEdit(e))
		case evBulk:
			edits = append(edits, edit{e.start, e.start, bulk})
		case evCall:
			calls = true
		}
	})
	if err != nil {
		return nil, err
	}
	if !r.done() {
		return nil, r.fail("%d bytes after the end of the function body", len(r.b)-r.pos)
	}
	if calls && !startsWithLoop {
		// A function that calls others can recurse or spend its time in a
		// call tree; one starting with a loop is checked by that loop.
		edits = append([]edit{{exprStart, exprStart, w.check}}, edits...)
	}
	return edits, nil
}

func (w *rewriter) call(fn uint32) []byte {
	return appendU32([]byte{opCall}, fn)
}

// checkCode charges weight units of fuel and refuels when it runs out:
//
//	global.set $fuel (i32.sub (global.get $fuel) (i32.const weight))
//	if (i32.le_s (global.get $fuel) (i32.const 0)) (then call $refuel)
func (w *rewriter) checkCode(weight int32) []byte {
	b := w.getFuel(nil)
	b = appendS32(append(b, opI32Const), weight)
	b = append(b, 0x6b) // i32.sub
	b = w.setFuel(b)
	return w.refuelIfEmpty(b)
}

func (w *rewriter) getFuel(b []byte) []byte { return appendU32(append(b, 0x23), w.fuel) }
func (w *rewriter) setFuel(b []byte) []byte { return appendU32(append(b, opGlobalSet), w.fuel) }

func (w *rewriter) refuelIfEmpty(b []byte) []byte {
	b = w.getFuel(b)
	b = append(b, opI32Const, 0x00, 0x4c, opIf, 0x40) // i32.const 0, i32.le_s, if
	b = append(b, w.call(w.refuel)...)
	return append(b, opEnd)
}

// refuelBody is $refuel: call the host, then fill the tank.
func (w *rewriter) refuelBody() []byte {
	b := append([]byte{0x00}, w.call(w.yield)...)
	b = appendS32(append(b, opI32Const), w.o.Fuel)
	b = w.setFuel(b)
	return append(b, opEnd)
}

// bulkBody is $bulk (n i32) -> i32: charge one unit per 64 bytes of a bulk
// operation about to run on n bytes or elements, and return n.
func (w *rewriter) bulkBody() []byte {
	b := w.getFuel([]byte{0x00})
	b = append(b, opLocalGet, 0x00, opI32Const, 6, 0x76, 0x6b) // local.get 0, i32.const 6, i32.shr_u, i32.sub
	b = w.setFuel(b)
	b = w.refuelIfEmpty(b)
	return append(b, opLocalGet, 0x00, opEnd)
}

// custom keeps custom sections, renumbering the function names of the
// "name" section and dropping DWARF, whose code offsets no longer hold.
func (w *rewriter) custom(r *reader) ([]byte, error) {
	name, err := r.name()
	if err != nil {
		return nil, err
	}
	switch {
	case name == "name":
		if b, err := w.names(r); err == nil {
			return b, nil
		}
		return nil, nil // a broken name section only costs names in traces
	case len(name) >= 7 && name[:7] == ".debug_":
		return nil, nil
	}
	return r.b, nil
}

// names renumbers the function and local name maps of a name section.
func (w *rewriter) names(r *reader) ([]byte, error) {
	out := bytes.Clone(r.b[:r.pos])
	for !r.done() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		content, err := r.bytes(int(size))
		if err != nil {
			return nil, err
		}
		if id == 1 || id == 2 {
			sub := &reader{b: content}
			if content, err = w.nameMap(sub, id == 2); err != nil {
				return nil, err
			}
		}
		out = appendSection(out, id, content)
	}
	return out, nil
}

// nameMap renumbers a name map (function names) or indirect name map
// (local names) keyed by function index.
func (w *rewriter) nameMap(r *reader, indirect bool) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	var edits []edit
	for range n {
		start := r.pos
		idx, err := r.u32()
		if err != nil {
			return nil, err
		}
		edits = append(edits, w.indexEdit(event{start: start, end: r.pos, index: idx}))
		if !indirect {
			if _, err := r.name(); err != nil {
				return nil, err
			}
			continue
		}
		locals, err := r.u32()
		if err != nil {
			return nil, err
		}
		for range locals {
			if _, err := r.u32(); err != nil {
				return nil, err
			}
			if _, err := r.name(); err != nil {
				return nil, err
			}
		}
	}
	return apply(r.b, edits), nil
}
