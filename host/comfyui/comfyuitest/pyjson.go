package comfyuitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file makes the emulator speak JSON the way ComfyUI (Python) does, because clients see
// the difference: Python keeps the key order of dicts (history is in completion order,
// progress_state maps grow in execution order), writes ", " and ": " separators, escapes every
// non-ASCII character, and distinguishes 1 from 1.0. Values decoded here are:
//
//	nil, bool, string, json.Number (the literal as received), []any, *object
//
// and the encoder additionally accepts Go ints, float64 and []string.

// object is a JSON object that keeps insertion order, like a Python dict: setting an existing
// key keeps its position.
type object struct {
	keys []string
	vals map[string]any
}

// newObject builds an object from alternating keys and values.
func newObject(kv ...any) *object {
	o := &object{vals: make(map[string]any, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

func (o *object) has(k string) bool {
	_, ok := o.vals[k]
	return ok
}

func (o *object) set(k string, v any) {
	if o.vals == nil {
		o.vals = make(map[string]any)
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

func (o *object) len() int { return len(o.keys) }

// str returns the string value of k, or "" when absent or not a string.
func (o *object) str(k string) string {
	s, _ := o.vals[k].(string)
	return s
}

// deepCopy copies objects and arrays, as Python's copy.deepcopy does for JSON data.
func deepCopy(v any) any {
	switch v := v.(type) {
	case *object:
		c := &object{keys: append([]string(nil), v.keys...), vals: make(map[string]any, len(v.vals))}
		for k, x := range v.vals {
			c.vals[k] = deepCopy(x)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, x := range v {
			c[i] = deepCopy(x)
		}
		return c
	default:
		return v
	}
}

// decodeJSON parses one JSON value, keeping key order and number literals. Trailing data is
// an error, as in Python's json.loads.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("extra data after JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil // nil, bool, string, json.Number
	}
}

// fromGo converts a value built with Go maps and slices (as tests write prompts) into the
// decoded form, via a JSON round trip.
func fromGo(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(data)
}

// encodeJSON serialises v exactly as Python's json.dumps with default settings would.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	writeValue(&b, v, false)
	return b.Bytes()
}

// canonicalJSON is encodeJSON with object keys sorted: equal data gives equal bytes whatever
// the insertion order. It serves as a cache key and in comparisons.
func canonicalJSON(v any) []byte {
	var b bytes.Buffer
	writeValue(&b, v, true)
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v any, sorted bool) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		writeString(b, v)
	case json.Number:
		b.WriteString(pyNumber(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(pyFloat(v))
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, x, sorted)
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, x)
		}
		b.WriteByte(']')
	case *object:
		if v == nil {
			b.WriteString("null")
			return
		}
		keys := v.keys
		if sorted {
			keys = append([]string(nil), keys...)
			sort.Strings(keys)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, k)
			b.WriteString(": ")
			writeValue(b, v.vals[k], sorted)
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("comfyuitest: cannot encode %T", v))
	}
}

// writeString escapes like Python's json.dumps with ensure_ascii=True.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				r -= 0x10000
				for _, u := range []rune{0xd800 + (r >> 10), 0xdc00 + (r & 0x3ff)} {
					b.WriteString(`\u`)
					b.WriteByte(hex[u>>12&0xf])
					b.WriteByte(hex[u>>8&0xf])
					b.WriteByte(hex[u>>4&0xf])
					b.WriteByte(hex[u&0xf])
				}
				continue
			}
			b.WriteString(`\u`)
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// isFloatLiteral reports whether a JSON number literal decodes to a Python float.
func isFloatLiteral(n json.Number) bool {
	return strings.ContainsAny(string(n), ".eE")
}

// pyNumber re-serialises a JSON number literal as Python would after json.loads: ints keep
// their digits (Python ints are unbounded), floats are printed with repr.
func pyNumber(n json.Number) string {
	if !isFloatLiteral(n) {
		if string(n) == "-0" {
			return "0"
		}
		return string(n)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return string(n)
	}
	return pyFloat(f)
}

// pyFloat formats f like Python's repr (and json.dumps): "5.0", "0.1", "1e-05", "1e+16".
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// pyStr renders v as Python's str() would: the form ComfyUI puts into error messages.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// pyRepr renders v as Python's repr(): strings quoted, dicts as {'k': v}.
func pyRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if v {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		b.WriteString(reprString(v))
	case json.Number:
		s := pyNumber(v)
		switch s {
		case "NaN":
			s = "nan"
		case "Infinity":
			s = "inf"
		case "-Infinity":
			s = "-inf"
		}
		b.WriteString(s)
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(strings.NewReplacer("NaN", "nan", "Infinity", "inf").Replace(pyFloat(v)))
	case *big.Int:
		b.WriteString(v.String())
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, x)
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(reprString(x))
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(reprString(k))
			b.WriteString(": ")
			writeRepr(b, v.vals[k])
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, v)
	}
}

// reprString quotes s as Python's repr does: single quotes unless s contains a single quote
// and no double quote.
func reprString(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteByte(quote)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyTypeName is the Python type name of a decoded JSON value, for TypeError messages.
func pyTypeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case json.Number:
		if isFloatLiteral(v) {
			return "float"
		}
		return "int"
	case float64:
		return "float"
	case int, int64, *big.Int:
		return "int"
	case []any:
		return "list"
	case *object:
		return "dict"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// pyTruthy is Python's bool(v) for decoded JSON values.
func pyTruthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case json.Number:
		if r, ok := numberRat(v); ok {
			return r.Sign() != 0
		}
		f, _ := strconv.ParseFloat(string(v), 64)
		return f != 0 || math.IsNaN(f)
	case float64:
		return v != 0 || math.IsNaN(v)
	case int:
		return v != 0
	case []any:
		return len(v) > 0
	case *object:
		return v.len() > 0
	default:
		return true
	}
}

// numberRat converts a number (JSON literal, Go int or float, bool) to an exact rational.
// NaN and infinities are not representable and report false.
func numberRat(v any) (*big.Rat, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if isFloatLiteral(v) {
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, false
			}
			return new(big.Rat).SetFloat64(f), true
		}
		r, ok := new(big.Rat).SetString(string(v))
		return r, ok
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(v), true
	case int:
		return new(big.Rat).SetInt64(int64(v)), true
	case bool:
		if v {
			return big.NewRat(1, 1), true
		}
		return new(big.Rat), true
	case *big.Int:
		return new(big.Rat).SetInt(v), true
	}
	return nil, false
}

// pyEqual is Python's == for decoded scalar JSON values (1 == 1.0 == True).
func pyEqual(a, b any) bool {
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		return ok && as == bs
	}
	if _, ok := b.(string); ok {
		return false
	}
	ra, okA := numberRat(a)
	rb, okB := numberRat(b)
	if okA && okB {
		return ra.Cmp(rb) == 0
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return string(canonicalJSON(a)) == string(canonicalJSON(b))
}
