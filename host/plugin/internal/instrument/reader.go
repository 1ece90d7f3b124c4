package instrument

import (
	"errors"
	"fmt"
)

// reader decodes the primitive encodings of the WebAssembly binary format.
// Every method reports a malformed or truncated input as an error that names
// the offset, so that a refused module says where it is broken.
type reader struct {
	b   []byte
	pos int
	// base is added to pos in messages: the offset of b in the module.
	base int
}

var errTruncated = errors.New("unexpected end")

func (r *reader) fail(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", r.base+r.pos, fmt.Sprintf(format, args...))
}

func (r *reader) done() bool { return r.pos >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.fail("%v", errTruncated)
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, r.fail("%v: %d bytes wanted, %d left", errTruncated, n, len(r.b)-r.pos)
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

// u32 decodes an unsigned LEB128 of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift == 28 && c&0x70 != 0 {
			return 0, r.fail("integer too large")
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, r.fail("integer representation too long")
}

// signed skips a signed LEB128 of at most bits bits.
func (r *reader) signed(bits int) error {
	for n := 0; n < (bits+6)/7; n++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return r.fail("integer representation too long")
}

// s32 decodes a signed LEB128 of at most 32 bits.
func (r *reader) s32() (int32, error) {
	var v int64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift < 57 && c&0x40 != 0 {
				v |= -1 << (shift + 7) // sign-extend
			}
			if v < -1<<31 || v > 1<<31-1 {
				return 0, r.fail("i32 out of range")
			}
			return int32(v), nil
		}
	}
	return 0, r.fail("integer representation too long")
}

// count decodes a vector length and checks that at least min bytes per
// element remain, so that a forged length cannot make the caller allocate.
func (r *reader) count(min int) (int, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(min) > uint64(len(r.b)-r.pos) {
		return 0, r.fail("vector of %d elements does not fit in the %d bytes left", n, len(r.b)-r.pos)
	}
	return int(n), nil
}

func (r *reader) name() (string, error) {
	n, err := r.count(1)
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

// limits decodes memory or table limits: flag 0 (min) or 1 (min, max).
func (r *reader) limits() (min uint32, max uint32, hasMax bool, err error) {
	flag, err := r.byte()
	if err != nil {
		return 0, 0, false, err
	}
	if flag > 1 {
		return 0, 0, false, r.fail("limits flag 0x%02x (shared or 64-bit memory) is not supported", flag)
	}
	if min, err = r.u32(); err != nil || flag == 0 {
		return min, 0, false, err
	}
	max, err = r.u32()
	return min, max, true, err
}

// appendU32 appends v as an unsigned LEB128.
func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendS32 appends v as a signed LEB128.
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendName(b []byte, s string) []byte {
	return append(appendU32(b, uint32(len(s))), s...)
}

// appendSection appends a section with its id and size.
func appendSection(b []byte, id byte, content []byte) []byte {
	b = append(b, id)
	b = appendU32(b, uint32(len(content)))
	return append(b, content...)
}
