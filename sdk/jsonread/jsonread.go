// Package jsonread reads JSON in one pass, without reflection and without
// building a tree, for the paths a plugin runs on every call.
//
// In a WebAssembly guest, encoding/json costs several times what it costs
// natively: its reflection, its scanner (an indirect call per byte) and
// nested Unmarshal calls that scan the same bytes again. A Reader visits
// each byte once, validating as it goes, and hands strings and numbers to
// the caller, who keeps what it needs:
//
//	r := jsonread.New(body)
//	r.Object(func(key string) {
//		switch key {
//		case "status_str":
//			status = r.String()
//		case "completed":
//			done = r.Bool()
//		} // a member not read is skipped
//	})
//	if err := r.End(); err != nil { … }
//
// The first error stops the reading and sticks: later calls return zero
// values, and End (or Err) reports it with its byte offset. What a Reader
// accepts is exactly what encoding/json accepts (a fuzz test checks).
package jsonread

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the type of the next JSON value.
type Kind byte

// The kinds of JSON values; Invalid when the next byte starts none.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

// maxDepth bounds nesting, as encoding/json does, so that hostile input
// cannot exhaust the stack.
const maxDepth = 10000

// Reader reads one JSON value from a byte slice.
type Reader struct {
	data  []byte
	pos   int
	depth int
	err   error
}

// New returns a Reader of data, which must stay unchanged while it reads.
func New(data []byte) *Reader { return &Reader{data: data} }

// Err returns the first error, or nil.
func (r *Reader) Err() error { return r.err }

// End checks that nothing but whitespace follows the value read, and
// returns the first error.
func (r *Reader) End() error {
	r.space()
	if r.err == nil && r.pos < len(r.data) {
		r.fail("after the top-level value")
	}
	return r.err
}

// Kind returns the type of the next value without reading it.
func (r *Reader) Kind() Kind {
	if r.err != nil {
		return Invalid
	}
	r.space()
	if r.pos >= len(r.data) {
		return Invalid
	}
	switch c := r.data[r.pos]; {
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == '"':
		return String
	case c == 't' || c == 'f':
		return Bool
	case c == 'n':
		return Null
	case c == '-' || '0' <= c && c <= '9':
		return Number
	}
	return Invalid
}

// Object reads an object, calling member with each key while the Reader
// is at the member's value. A value member does not read is skipped.
// Returning before the end is not possible: member sees every key, in
// order, duplicates included. A nil member skips the whole object without
// making its keys strings (Skip's path, which allocates nothing).
func (r *Reader) Object(member func(key string)) {
	if member == nil {
		r.members(nil)
		return
	}
	r.members(func(key []byte) { member(string(key)) })
}

// ObjectBytes reads an object like Object, but hands member each key as
// bytes that are valid only until member returns: a key without escapes
// is a slice of the input, so reading an object this way makes no
// string per key. A switch on string(key), or a map lookup with
// m[string(key)], allocates nothing either.
func (r *Reader) ObjectBytes(member func(key []byte)) { r.members(member) }

// members is the loop of Object and ObjectBytes.
func (r *Reader) members(member func(key []byte)) {
	if !r.open('{') {
		return
	}
	if r.peek() == '}' {
		r.pos++
		r.depth--
		return
	}
	for r.err == nil {
		r.space()
		if r.peek() != '"' {
			r.fail("looking for the beginning of an object key string")
			return
		}
		var key []byte
		if member != nil {
			key = r.stringBytes()
		} else {
			r.skipString()
		}
		r.space()
		if r.peek() != ':' {
			r.fail("after object key")
			return
		}
		r.pos++
		r.space()
		start := r.pos
		if member != nil && r.err == nil {
			member(key)
		}
		r.skipUnread(start)
		if !r.next('}') {
			return
		}
	}
}

// Array reads an array, calling item with each index while the Reader is
// at the item. An item not read is skipped; a nil item skips them all.
func (r *Reader) Array(item func(i int)) {
	if !r.open('[') {
		return
	}
	if r.peek() == ']' {
		r.pos++
		r.depth--
		return
	}
	for i := 0; r.err == nil; i++ {
		r.space()
		start := r.pos
		if item != nil {
			item(i)
		}
		r.skipUnread(start)
		if !r.next(']') {
			return
		}
	}
}

// skipUnread skips the value at start if the callback left it unread.
func (r *Reader) skipUnread(start int) {
	if r.err == nil && r.pos == start {
		r.Skip()
	}
}

// open consumes the opening bracket of an object or array.
func (r *Reader) open(c byte) bool {
	if r.err != nil {
		return false
	}
	r.space()
	if r.peek() != c {
		r.fail("looking for the beginning of " + map[byte]string{'{': "an object", '[': "an array"}[c])
		return false
	}
	if r.depth++; r.depth > maxDepth {
		r.err = fmt.Errorf("jsonread: exceeded max depth at offset %d", r.pos)
		return false
	}
	r.pos++
	r.space()
	return true
}

// next consumes the ',' before another member or item, or the closing
// bracket; it reports whether another follows.
func (r *Reader) next(closing byte) bool {
	if r.err != nil {
		return false
	}
	r.space()
	switch r.peek() {
	case ',':
		r.pos++
		return true
	case closing:
		r.pos++
		r.depth--
		return false
	}
	r.fail(fmt.Sprintf("after %s", map[byte]string{'}': "object key:value pair", ']': "array element"}[closing]))
	return false
}

// Skip reads the next value and discards it. It keeps nothing: no key is
// made a string, so skipping what a caller does not read (a history
// entry's whole workflow, for one) allocates nothing. It is a loop over
// the bytes, without a call per member, item or level (skipFast); a
// value that loop does not pass is read again by the recursive reader,
// which finds the same fault and words it.
func (r *Reader) Skip() {
	if r.err != nil {
		return
	}
	start := r.pos
	if r.skipFast() {
		return
	}
	r.pos, r.err = start, nil
	r.skipSlow()
}

// skipSlow is Skip by the recursive reader, which records the first
// syntax error the way Object, Array and the scalar reads do.
func (r *Reader) skipSlow() {
	switch r.Kind() {
	case Object:
		r.Object(nil)
	case Array:
		r.Array(nil)
	case String:
		r.skipString()
	case Number:
		r.number()
	case Bool:
		r.Bool()
	case Null:
		r.literal("null")
	default:
		r.fail("looking for beginning of value")
	}
}

// skipFast skips the next value in one loop, keeping the brackets it is
// inside on a small stack. It reports false, leaving r's position and
// error to be reset, for anything it does not pass: a syntax error, or
// nesting deeper than its stack or than maxDepth allows.
func (r *Reader) skipFast() bool {
	var closers [64]byte // what each open container ends with: '}' or ']'
	n := 0
	data, i := r.data, r.pos
	for {
		// A value starts at i.
		i = skipSpace(data, i)
		if i >= len(data) {
			return false
		}
		switch c := data[i]; {
		case c == '{' || c == '[':
			if n == len(closers) || r.depth+n >= maxDepth {
				return false
			}
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			closers[n] = closer
			n++
			if i = skipSpace(data, i+1); i < len(data) && data[i] == closer {
				n--
				r.pos = i + 1
				break // an empty container: a whole value
			}
			if c == '{' {
				if i = r.skipKey(i); i < 0 {
					return false
				}
			}
			continue // its first member's value, or first item
		case c == '"':
			r.pos = skipPlainString(data, i)
			if r.pos < 0 {
				r.pos = i
				r.skipString()
			}
		case c == '-' || '0' <= c && c <= '9':
			r.pos = i
			r.number()
		case c == 't':
			r.pos = i
			r.literal("true")
		case c == 'f':
			r.pos = i
			r.literal("false")
		case c == 'n':
			r.pos = i
			r.literal("null")
		default:
			return false
		}
		if r.err != nil {
			return false
		}
		i = r.pos
		// After a value: close what ends here; a comma starts the next
		// member (its key first) or item.
		for {
			if n == 0 {
				r.pos = i
				return true
			}
			if i = skipSpace(data, i); i >= len(data) {
				return false
			}
			if data[i] == closers[n-1] {
				i++
				n--
				continue
			}
			if data[i] != ',' {
				return false
			}
			if closers[n-1] == '}' {
				if i = r.skipKey(i + 1); i < 0 {
					return false
				}
			} else {
				i++
			}
			break
		}
	}
}

// skipKey skips an object member's key and colon from i, returning where
// its value may start, or -1.
func (r *Reader) skipKey(i int) int {
	data := r.data
	if i = skipSpace(data, i); i >= len(data) || data[i] != '"' {
		return -1
	}
	if r.pos = skipPlainString(data, i); r.pos < 0 {
		r.pos = i
		r.skipString()
		if r.err != nil {
			return -1
		}
	}
	if i = skipSpace(data, r.pos); i >= len(data) || data[i] != ':' {
		return -1
	}
	return i + 1
}

// skipPlainString returns the index after the string that starts at i
// (its opening quote) when it has no escape and no control byte, the
// common case, in the caller's loop; else -1, for skipString to read and
// judge.
func skipPlainString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return j + 1
		case c == '\\' || c < 0x20:
			return -1
		}
	}
	return -1
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// Any reads the next value as a generic tree: objects as map[string]any,
// arrays as []any, numbers as json.Number (so that integers such as 64-bit
// seeds keep every digit), strings, booleans and nil. It is the tree
// encoding/json's decoder gives with UseNumber, in one pass without
// reflection; a syntax error is recorded as for any other read.
func (r *Reader) Any() any {
	switch r.Kind() {
	case Object:
		obj := map[string]any{}
		r.Object(func(key string) { obj[key] = r.Any() })
		return obj
	case Array:
		items := []any{}
		r.Array(func(int) { items = append(items, r.Any()) })
		return items
	case String:
		return r.String()
	case Number:
		return json.Number(r.Number())
	case Bool:
		return r.Bool()
	case Null:
		r.Null()
		return nil
	}
	r.Skip() // records the syntax error
	return nil
}

// Raw reads the next value and returns its bytes as they are in the
// input (not a copy).
func (r *Reader) Raw() []byte {
	r.space()
	start := r.pos
	r.Skip()
	if r.err != nil {
		return nil
	}
	return r.data[start:r.pos]
}

// Null reads a null and reports whether the value was one; another value
// is left unread.
func (r *Reader) Null() bool {
	if r.Kind() != Null {
		return false
	}
	r.literal("null")
	return r.err == nil
}

// Bool reads true or false; another kind of value is an error.
func (r *Reader) Bool() bool {
	switch r.Kind() {
	case Bool:
		if r.data[r.pos] == 't' {
			r.literal("true")
			return r.err == nil
		}
		r.literal("false")
	default:
		r.fail("looking for a boolean")
	}
	return false
}

// Number reads a number and returns its text, for strconv or json.Number;
// another kind of value is an error.
func (r *Reader) Number() string {
	if r.Kind() != Number {
		r.fail("looking for a number")
		return ""
	}
	return string(r.number())
}

// NumberBytes reads a number like Number and returns its text as a slice
// of the input, which it does not copy: the caller must not modify it. A
// reader that parses the digits itself allocates nothing.
func (r *Reader) NumberBytes() []byte {
	if r.Kind() != Number {
		r.fail("looking for a number")
		return nil
	}
	return r.number()
}

// Int reads a number that is an integer in int64's range; a fraction, an
// exponent or another kind of value is an error.
func (r *Reader) Int() int64 {
	s := r.Number()
	if r.err != nil {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.err = fmt.Errorf("jsonread: number %s is not an int64", s)
	}
	return n
}

// Float reads a number as a float64; another kind of value is an error.
func (r *Reader) Float() float64 {
	s := r.Number()
	if r.err != nil {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		r.err = fmt.Errorf("jsonread: number %s is out of float64's range", s)
	}
	return f
}

// number reads the number at r.pos, checking JSON's grammar, and returns
// its bytes in the input (Skip keeps nothing):
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *Reader) number() []byte {
	start := r.pos
	if r.peek() == '-' {
		r.pos++
	}
	switch c := r.peek(); {
	case c == '0':
		r.pos++
	case '1' <= c && c <= '9':
		r.digits()
	default:
		r.fail("in numeric literal")
		return nil
	}
	if r.peek() == '.' {
		r.pos++
		if !r.digits() {
			r.fail("after decimal point in numeric literal")
			return nil
		}
	}
	if c := r.peek(); c == 'e' || c == 'E' {
		r.pos++
		if c := r.peek(); c == '+' || c == '-' {
			r.pos++
		}
		if !r.digits() {
			r.fail("in exponent of numeric literal")
			return nil
		}
	}
	return r.data[start:r.pos]
}

// digits consumes [0-9]* and reports whether there was at least one.
func (r *Reader) digits() bool {
	data, i := r.data, r.pos
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	start := r.pos
	r.pos = i
	return i > start
}

// String reads a string and returns it unescaped, with invalid UTF-8
// replaced by U+FFFD as encoding/json does; another kind of value is an
// error.
func (r *Reader) String() string {
	return string(r.stringBytes())
}

// StringBytes reads a string like String, without making a string of it:
// for a switch on known values, or to copy only what is kept. The bytes
// are a slice of the input when the string has no escape and only ASCII,
// else a fresh copy; the caller must not modify them.
func (r *Reader) StringBytes() []byte { return r.stringBytes() }

// stringBytes reads a string like String: a slice of the input when it
// has no escapes and only ASCII, else an unescaped copy.
func (r *Reader) stringBytes() []byte {
	if r.Kind() != String {
		r.fail("looking for a string")
		return nil
	}
	data, start := r.data, r.pos+1 // after the opening quote
	// Locals, not r's fields, in the loops of this file: in WebAssembly
	// a field is a load and a store of linear memory on every byte.
	for i := start; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			r.pos = i + 1
			return data[start:i]
		case c == '\\' || c >= utf8.RuneSelf:
			r.pos = i
			return r.slowString(start)
		case c < 0x20:
			r.pos = i
			r.fail("in string literal")
			return nil
		}
	}
	r.pos = len(data)
	r.fail("in string literal")
	return nil
}

// slowString finishes a string that has escapes or non-ASCII bytes.
func (r *Reader) slowString(start int) []byte {
	b := make([]byte, 0, r.pos-start+16)
	b = append(b, r.data[start:r.pos]...)
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			r.pos++
			return b
		case c < 0x20:
			r.fail("in string literal")
			return nil
		case c == '\\':
			var ok bool
			if b, ok = r.escape(b); !ok {
				return nil
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			r.pos++
		default:
			rn, size := utf8.DecodeRune(r.data[r.pos:])
			b = utf8.AppendRune(b, rn) // U+FFFD for an invalid byte
			r.pos += size
		}
	}
	r.fail("in string literal")
	return nil
}

// escape appends the character of the escape sequence at r.pos.
func (r *Reader) escape(b []byte) ([]byte, bool) {
	if r.pos+1 >= len(r.data) {
		r.fail("in string escape code")
		return b, false
	}
	c := r.data[r.pos+1]
	if simple, ok := simpleEscape(c); ok {
		r.pos += 2
		return append(b, simple), true
	}
	if c != 'u' {
		r.fail("in string escape code")
		return b, false
	}
	rn, ok := r.hex4(r.pos + 2)
	if !ok {
		return b, false
	}
	r.pos += 6
	if utf16.IsSurrogate(rn) {
		// The second half of a pair follows as another \u escape; a half
		// without its partner becomes U+FFFD, as with encoding/json.
		if pair := utf16.DecodeRune(rn, r.nextEscape()); pair != utf8.RuneError {
			r.pos += 6
			return utf8.AppendRune(b, pair), true
		}
		rn = utf8.RuneError
	}
	return utf8.AppendRune(b, rn), r.err == nil
}

// skipEscape checks the escape sequence at r.pos and consumes it, without
// decoding it: any \uXXXX is valid, a lone surrogate included.
func (r *Reader) skipEscape() bool {
	if r.pos+1 >= len(r.data) {
		r.fail("in string escape code")
		return false
	}
	if _, ok := simpleEscape(r.data[r.pos+1]); ok {
		r.pos += 2
		return true
	}
	if r.data[r.pos+1] != 'u' {
		r.fail("in string escape code")
		return false
	}
	if _, ok := r.hex4(r.pos + 2); !ok {
		return false
	}
	r.pos += 6
	return true
}

// nextEscape returns the rune of a well-formed \uXXXX at r.pos, or -1.
func (r *Reader) nextEscape() rune {
	if r.pos+6 > len(r.data) || r.data[r.pos] != '\\' || r.data[r.pos+1] != 'u' {
		return -1
	}
	var rn rune
	for _, c := range r.data[r.pos+2 : r.pos+6] {
		d := hexValue(c)
		if d < 0 {
			return -1
		}
		rn = rn<<4 | d
	}
	return rn
}

// hexValue is the value of a hex digit, -1 for another byte.
func hexValue(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

// hex4 decodes four hex digits at i.
func (r *Reader) hex4(i int) (rune, bool) {
	if i+4 > len(r.data) {
		r.fail("in \\u hexadecimal character escape")
		return 0, false
	}
	var rn rune
	for j, c := range r.data[i : i+4] {
		d := hexValue(c)
		if d < 0 {
			r.pos = i + j
			r.fail("in \\u hexadecimal character escape")
			return 0, false
		}
		rn = rn<<4 | d
	}
	return rn, true
}

// simpleEscape is the byte a one-letter escape stands for (\n is a
// newline), ok false for any other letter. A switch, not a map: a map
// lookup hashes, and in WebAssembly that is most of a string's cost.
func simpleEscape(c byte) (b byte, ok bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// skipString consumes a string without building it.
func (r *Reader) skipString() {
	data, i := r.data, r.pos+1
	for i < len(data) {
		switch c := data[i]; {
		case c == '"':
			r.pos = i + 1
			return
		case c < 0x20:
			r.pos = i
			r.fail("in string literal")
			return
		case c == '\\':
			r.pos = i
			if !r.skipEscape() {
				return
			}
			i = r.pos
		default:
			i++
		}
	}
	r.pos = i
	r.fail("in string literal")
}

// literal consumes true, false or null.
func (r *Reader) literal(word string) {
	if len(r.data)-r.pos < len(word) || string(r.data[r.pos:r.pos+len(word)]) != word {
		r.fail("in literal " + word)
		return
	}
	r.pos += len(word)
}

func (r *Reader) peek() byte {
	if r.pos < len(r.data) {
		return r.data[r.pos]
	}
	return 0
}

func (r *Reader) space() {
	data, i := r.data, r.pos
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	r.pos = i
}

// fail records a syntax error at r.pos, worded like encoding/json's.
func (r *Reader) fail(context string) {
	if r.err != nil {
		return
	}
	if r.pos >= len(r.data) {
		r.err = fmt.Errorf("jsonread: unexpected end of JSON input")
		return
	}
	r.err = fmt.Errorf("jsonread: invalid character %s %s at offset %d", quoteChar(r.data[r.pos]), context, r.pos)
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
