package instrument

// eventKind is what the instruction walker reports to the rewriter.
type eventKind int

const (
	// evLoop: a loop's block type ends at event.end; its body starts there.
	evLoop eventKind = iota
	// evFuncIndex: the function index of a call, return_call or ref.func is
	// encoded in [start, end).
	evFuncIndex
	// evBulk: a bulk memory or table instruction whose top operand is an
	// element count starts at start.
	evBulk
	// evCall: a call of any kind (direct, indirect, tail) starts at start.
	evCall
)

type event struct {
	kind       eventKind
	start, end int // offsets in the reader's buffer
	index      uint32
}

// Opcodes the walker treats specially (WebAssembly 2.0 plus tail calls).
const (
	opBlock, opLoop, opIf, opElse, opEnd = 0x02, 0x03, 0x04, 0x05, 0x0b
	opBr, opBrIf, opBrTable              = 0x0c, 0x0d, 0x0e
	opCall, opCallIndirect               = 0x10, 0x11
	opReturnCall, opReturnCallIndirect   = 0x12, 0x13
	opSelectT                            = 0x1c
	opLocalGet, opGlobalSet              = 0x20, 0x24
	opTableGet, opTableSet               = 0x25, 0x26
	opLoadFirst, opStoreLast             = 0x28, 0x3e
	opMemorySize, opMemoryGrow           = 0x3f, 0x40
	opI32Const, opI64Const               = 0x41, 0x42
	opF32Const, opF64Const               = 0x43, 0x44
	opRefNull, opRefFunc                 = 0xd0, 0xd2
	opPrefixMisc, opPrefixSIMD           = 0xfc, 0xfd
)

// walk decodes instructions from r up to and including the end that closes
// the expression, reporting events. It validates only what it must to find
// instruction boundaries; wazero validates the rest when it compiles.
func walk(r *reader, report func(event)) error {
	depth := 0
	for {
		start := r.pos
		op, err := r.byte()
		if err != nil {
			return err
		}
		switch {
		case op == opBlock || op == opLoop || op == opIf:
			if err := r.blockType(); err != nil {
				return err
			}
			depth++
			if op == opLoop {
				report(event{kind: evLoop, start: start, end: r.pos})
			}
		case op == opEnd:
			if depth == 0 {
				return nil
			}
			depth--
		case op == opElse || op == 0x00 || op == 0x01 || op == 0x0f || op == 0x1a || op == 0x1b ||
			op >= 0x45 && op <= 0xc4 || op == 0xd1:
			// no immediates
		case op == opBr || op == opBrIf || op >= opLocalGet && op <= opGlobalSet ||
			op == opTableGet || op == opTableSet:
			if _, err := r.u32(); err != nil {
				return err
			}
		case op == opBrTable:
			n, err := r.count(1)
			if err != nil {
				return err
			}
			for range n + 1 {
				if _, err := r.u32(); err != nil {
					return err
				}
			}
		case op == opCall || op == opReturnCall || op == opRefFunc:
			at := r.pos
			idx, err := r.u32()
			if err != nil {
				return err
			}
			if op != opRefFunc {
				report(event{kind: evCall, start: start})
			}
			report(event{kind: evFuncIndex, start: at, end: r.pos, index: idx})
		case op == opCallIndirect || op == opReturnCallIndirect:
			if err := r.skipU32s(2); err != nil {
				return err
			}
			report(event{kind: evCall, start: start})
		case op == opSelectT:
			n, err := r.count(1)
			if err != nil {
				return err
			}
			if _, err := r.bytes(n); err != nil {
				return err
			}
		case op >= opLoadFirst && op <= opStoreLast:
			if err := r.skipU32s(2); err != nil {
				return err
			}
		case op == opMemorySize || op == opMemoryGrow || op == opRefNull:
			if _, err := r.byte(); err != nil {
				return err
			}
		case op == opI32Const:
			err = r.signed(32)
		case op == opI64Const:
			err = r.signed(64)
		case op == opF32Const:
			_, err = r.bytes(4)
		case op == opF64Const:
			_, err = r.bytes(8)
		case op == opPrefixMisc:
			err = r.misc(start, report)
		case op == opPrefixSIMD:
			err = r.simd()
		default:
			return r.fail("opcode 0x%02x is not supported (easel accepts WebAssembly 2.0)", op)
		}
		if err != nil {
			return err
		}
	}
}

func (r *reader) skipU32s(n int) error {
	for range n {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

// blockType skips a block type: 0x40, a value type, or a type index (s33).
func (r *reader) blockType() error {
	if r.pos >= len(r.b) {
		return r.fail("%v", errTruncated)
	}
	if c := r.b[r.pos]; c == 0x40 || c >= 0x6f && c <= 0x7f {
		r.pos++
		return nil
	}
	return r.signed(33)
}

// misc skips a 0xfc-prefixed instruction and reports bulk operations.
func (r *reader) misc(start int, report func(event)) error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncations
		return nil
	case sub == 8: // memory.init dataidx memidx
		report(event{kind: evBulk, start: start})
		if _, err := r.u32(); err != nil {
			return err
		}
		_, err = r.byte()
		return err
	case sub == 9 || sub == 13 || sub == 16: // data.drop, elem.drop, table.size
		_, err = r.u32()
		return err
	case sub == 10: // memory.copy memidx memidx
		report(event{kind: evBulk, start: start})
		_, err = r.bytes(2)
		return err
	case sub == 11: // memory.fill memidx
		report(event{kind: evBulk, start: start})
		_, err = r.byte()
		return err
	case sub == 12 || sub == 14: // table.init elemidx tableidx, table.copy tableidx tableidx
		report(event{kind: evBulk, start: start})
		return r.skipU32s(2)
	case sub == 15 || sub == 17: // table.grow, table.fill
		report(event{kind: evBulk, start: start})
		_, err = r.u32()
		return err
	}
	return r.fail("instruction 0xfc %d is not supported", sub)
}

// simd skips a 0xfd-prefixed (vector) instruction.
func (r *reader) simd() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // loads and stores: memarg
		return r.skipU32s(2)
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		_, err = r.bytes(16)
		return err
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		_, err = r.byte()
		return err
	case sub >= 84 && sub <= 91: // load_lane, store_lane: memarg, lane
		if err := r.skipU32s(2); err != nil {
			return err
		}
		_, err = r.byte()
		return err
	case sub <= 255:
		return nil
	}
	return r.fail("instruction 0xfd %d is not supported", sub)
}
