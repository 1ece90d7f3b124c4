package instrument

import (
	"cmp"
	"fmt"
	"slices"
)

// Section ids of the data section and of the data count section, which
// memory.init and data.drop need.
const (
	secData      = 11
	secDataCount = 12
)

// maxDataGap is the widest run of zeros mergeData writes out to join two
// segments. A segment costs wazero about a hundred bytes of bookkeeping per
// module and per instance; the Go linker cuts its segments at runs of more
// than 16 zeros, and most gaps are shorter than 64 bytes. For
// get_job_status, 64 turns 48,392 segments into 15 for 0.57 MB of zeros.
const maxDataGap = 64

// activeSegment is an active data segment of memory 0 at a constant offset.
type activeSegment struct {
	offset uint64
	bytes  []byte
}

// mergeData joins a module's data segments into as few as possible. The Go
// linker writes one segment per run of non-zero bytes, tens of thousands
// for a plugin, which wazero keeps decoded per module (5.6 MiB) and in a
// table per instance (1.1 MiB), and copies one by one into every new
// instance. Segments separated by at most maxDataGap zeros become one.
//
// The merge keeps what an instance's memory holds when it starts, so it
// is done only when that is certain: every segment active, in memory 0 at
// an i32.const offset, no two overlapping (so every byte comes from at
// most one segment, the order they are applied in does not matter, and
// the zeros written into a gap cover no segment's bytes), and no data
// count section (so no instruction names a segment by index). Otherwise
// the section is returned as it is. (The Go linker's segments ascend
// within each of its sections, not across them.)
func mergeData(content []byte, base int, hasDataCount bool) ([]byte, error) {
	if hasDataCount {
		return content, nil
	}
	segs, ok, err := activeSegments(&reader{b: content, base: base})
	if err != nil || !ok || len(segs) < 2 {
		return content, err
	}
	merged := []activeSegment{{offset: segs[0].offset, bytes: append([]byte(nil), segs[0].bytes...)}}
	for _, s := range segs[1:] {
		last := &merged[len(merged)-1]
		end := last.offset + uint64(len(last.bytes))
		if s.offset-end > maxDataGap {
			merged = append(merged, activeSegment{offset: s.offset, bytes: append([]byte(nil), s.bytes...)})
			continue
		}
		last.bytes = append(last.bytes, make([]byte, s.offset-end)...)
		last.bytes = append(last.bytes, s.bytes...)
	}
	out := appendU32(nil, uint32(len(merged)))
	for _, s := range merged {
		out = append(out, 0x00, opI32Const)
		out = appendS32(out, int32(uint32(s.offset)))
		out = append(out, opEnd)
		out = appendU32(out, uint32(len(s.bytes)))
		out = append(out, s.bytes...)
	}
	return out, nil
}

// activeSegments reads the data section; ok is false when a segment is
// not of the one form mergeData joins, or the order forbids it.
func activeSegments(r *reader) (segs []activeSegment, ok bool, err error) {
	n, err := r.count(3)
	if err != nil {
		return nil, false, err
	}
	segs = make([]activeSegment, 0, n)
	for range n {
		flags, err := r.u32()
		if err != nil || flags != 0 {
			return nil, false, err
		}
		op, err := r.byte()
		if err != nil || op != opI32Const {
			return nil, false, err
		}
		offset, err := r.s32()
		if err != nil {
			return nil, false, err
		}
		if end, err := r.byte(); err != nil || end != opEnd {
			return nil, false, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, false, err
		}
		bytes, err := r.bytes(int(size))
		if err != nil {
			return nil, false, err
		}
		segs = append(segs, activeSegment{offset: uint64(uint32(offset)), bytes: bytes})
	}
	if !r.done() {
		return nil, false, fmt.Errorf("%d bytes after the last data segment", len(r.b)-r.pos)
	}
	slices.SortStableFunc(segs, func(a, b activeSegment) int { return cmp.Compare(a.offset, b.offset) })
	for i := 1; i < len(segs); i++ {
		if segs[i].offset < segs[i-1].offset+uint64(len(segs[i-1].bytes)) {
			return nil, false, nil // overlapping: the order matters
		}
	}
	return segs, true, nil
}
