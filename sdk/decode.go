package sdk

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

// maxProblems caps how many problems one error lists: enough for an agent
// to fix several arguments in one go, short enough to read.
const maxProblems = 10

// decodeJSON parses JSON into the generic tree the decoder walks: objects
// as map[string]any, arrays as []any and numbers as json.Number, so that
// integers such as 64-bit seeds keep every digit. It gives the tree
// encoding/json gives with UseNumber (a test checks), in one pass without
// reflection (package jsonread): every call's input goes through it, in
// WebAssembly.
func decodeJSON(data []byte) (any, error) {
	r := jsonread.New(data)
	v := r.Any()
	if err := r.End(); err != nil {
		return nil, err
	}
	return v, nil
}

// wording says what the decoded keys are called in messages.
type wording struct {
	whole string // the object as a whole: "arguments"
	noun  string // one key: "argument"
	takes string // introduces the root's keys: "this tool takes"
}

var (
	argumentWording = wording{whole: "arguments", noun: "argument", takes: "this tool takes"}
	configWording   = wording{whole: "the config", noun: "config key", takes: "the config takes"}
)

// decodeObject decodes a tool's arguments (or its configuration) into dst,
// whose type was compiled into root. The error lists every problem found,
// in field order, each naming the key's path.
func decodeObject(root *node, v any, dst reflect.Value, w wording) error {
	d := decoder{noun: w.noun, takes: w.takes}
	if v == nil {
		v = map[string]any{}
	}
	if _, ok := v.(map[string]any); !ok && root.kind != kAny && root.kind != kRaw && root.kind != kCustom {
		return fmt.Errorf("%s must be a JSON object, got %s", w.whole, describe(v))
	}
	d.value(root, v, dst)
	return d.err()
}

// decoder walks a generic JSON value and a compiled node together, setting
// the Go value and collecting problems.
type decoder struct {
	noun  string
	takes string
	path  []pathSeg
	errs  []string
	more  int
}

// pathSeg is one step of an argument path: an object key or an array index.
type pathSeg struct {
	key   string
	index int // -1 for a key
}

func (d *decoder) pathString() string {
	var b strings.Builder
	for i, s := range d.path {
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

func (d *decoder) add(msg string) {
	if len(d.errs) == maxProblems {
		d.more++
		return
	}
	d.errs = append(d.errs, msg)
}

// fail records a problem with the value at the current path. At the root
// (a default being checked) the message stands alone.
func (d *decoder) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if len(d.path) > 0 {
		msg = fmt.Sprintf("%s %q: %s", d.noun, d.pathString(), msg)
	}
	d.add(msg)
}

func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	msg := strings.Join(d.errs, "; ")
	if d.more > 0 {
		msg += fmt.Sprintf("; and %d more", d.more)
	}
	return errors.New(msg)
}

func (d *decoder) push(key string, index int) { d.path = append(d.path, pathSeg{key, index}) }
func (d *decoder) pop()                       { d.path = d.path[:len(d.path)-1] }

// describe names the JSON type of a generic value, for "got ..." messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// value decodes v into dst according to n. dst must be settable.
func (d *decoder) value(n *node, v any, dst reflect.Value) {
	switch n.kind {
	case kPtr:
		if v == nil {
			dst.SetZero()
			return
		}
		p := reflect.New(n.typ.Elem())
		d.value(n.elem, v, p.Elem())
		dst.Set(p)
	case kString:
		s, ok := v.(string)
		if !ok {
			d.fail("expected a string, got %s", describe(v))
			return
		}
		if d.checkString(n, s) {
			dst.SetString(s)
		}
	case kBool:
		b, ok := v.(bool)
		if !ok {
			d.fail("expected a boolean, got %s", describe(v))
			return
		}
		dst.SetBool(b)
	case kInt, kUint, kFloat:
		num, ok := v.(json.Number)
		if !ok {
			d.fail("expected %s, got %s", numberNoun(n.kind), describe(v))
			return
		}
		d.number(n, string(num), dst)
	case kNumber:
		num, ok := v.(json.Number)
		if !ok {
			d.fail("expected a number, got %s", describe(v))
			return
		}
		dst.SetString(string(num))
	case kBytes:
		s, ok := v.(string)
		if !ok {
			d.fail("expected a base64 string, got %s", describe(v))
			return
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			d.fail("expected base64 data: %v", err)
			return
		}
		dst.SetBytes(b)
	case kSlice, kArray:
		arr, ok := v.([]any)
		if !ok {
			d.fail("expected an array, got %s", describe(v))
			return
		}
		if !d.checkItems(n, len(arr)) {
			return
		}
		if n.kind == kSlice {
			dst.Set(reflect.MakeSlice(n.typ, len(arr), len(arr)))
		}
		for i, item := range arr {
			d.push("", i)
			d.value(n.elem, item, dst.Index(i))
			d.pop()
		}
	case kMap:
		obj, ok := v.(map[string]any)
		if !ok {
			d.fail("expected an object, got %s", describe(v))
			return
		}
		if n.typ == mapStringAnyType {
			dst.Set(reflect.ValueOf(obj))
			return
		}
		m := reflect.MakeMapWithSize(n.typ, len(obj))
		keyType := n.typ.Key()
		for _, k := range sortedKeys(obj) {
			d.push(k, -1)
			ev := reflect.New(n.typ.Elem()).Elem()
			d.value(n.elem, obj[k], ev)
			m.SetMapIndex(reflect.ValueOf(k).Convert(keyType), ev)
			d.pop()
		}
		dst.Set(m)
	case kStruct:
		obj, ok := v.(map[string]any)
		if !ok {
			d.fail("expected an object, got %s", describe(v))
			return
		}
		d.object(n, obj, dst)
	case kAny:
		if v != nil {
			dst.Set(reflect.ValueOf(v))
		}
	case kRaw:
		b, err := json.Marshal(v)
		if err != nil {
			d.fail("%v", err)
			return
		}
		dst.SetBytes(b)
	case kCustom:
		b, err := json.Marshal(v)
		if err == nil {
			err = json.Unmarshal(b, dst.Addr().Interface())
		}
		if err != nil {
			d.fail("%v", err)
		}
	case kText:
		s, ok := v.(string)
		if !ok {
			d.fail("expected a string, got %s", describe(v))
			return
		}
		if err := dst.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.fail("%v", err)
		}
	}
}

func (d *decoder) object(n *node, obj map[string]any, dst reflect.Value) {
	if n.strict && d.hasUnknown(n, obj) {
		for _, k := range sortedKeys(obj) {
			if _, ok := n.byName[k]; ok {
				continue
			}
			d.push(k, -1)
			takes := "this object takes"
			if len(d.path) == 1 && d.takes != "" {
				takes = d.takes
			}
			if n.names == "" {
				d.add(fmt.Sprintf("unknown %s %q (%s nothing)", d.noun, d.pathString(), takes))
			} else {
				d.add(fmt.Sprintf("unknown %s %q (%s: %s)", d.noun, d.pathString(), takes, n.names))
			}
			d.pop()
		}
	}
	for _, f := range n.fields {
		v, present := obj[f.name]
		if v == nil {
			// An explicit null counts as absent: clients send it for optional
			// arguments they have no value for.
			present = false
		}
		if !present && !f.hasDef {
			if f.required {
				d.push(f.name, -1)
				d.add(fmt.Sprintf("%s %q is required", d.noun, d.pathString()))
				d.pop()
			}
			continue
		}
		if !present {
			v = f.def
		}
		d.push(f.name, -1)
		d.value(f.node, v, fieldByIndex(dst, f.index))
		d.pop()
	}
}

func (d *decoder) hasUnknown(n *node, obj map[string]any) bool {
	for k := range obj {
		if _, ok := n.byName[k]; !ok {
			return true
		}
	}
	return false
}

// fieldByIndex is reflect.Value.FieldByIndex that allocates nil embedded
// struct pointers on the way, as encoding/json does.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func numberNoun(k kind) string {
	if k == kFloat {
		return "a number"
	}
	return "an integer"
}

// number parses a JSON number literal into an integer or float field,
// checking that it is integral and in range for the Go type, then applies
// enum, minimum and maximum.
func (d *decoder) number(n *node, lit string, dst reflect.Value) {
	switch n.kind {
	case kInt:
		i, ok := d.parseInt(n, lit)
		if !ok {
			return
		}
		if n.min != nil && i < n.min.i {
			d.fail("must be at least %s, got %s", n.min.lit, lit)
			return
		}
		if n.max != nil && i > n.max.i {
			d.fail("must be at most %s, got %s", n.max.lit, lit)
			return
		}
		if !d.checkEnum(n, strconv.FormatInt(i, 10), lit) {
			return
		}
		dst.SetInt(i)
	case kUint:
		u, ok := d.parseUint(n, lit)
		if !ok {
			return
		}
		if n.min != nil && u < n.min.u {
			d.fail("must be at least %s, got %s", n.min.lit, lit)
			return
		}
		if n.max != nil && u > n.max.u {
			d.fail("must be at most %s, got %s", n.max.lit, lit)
			return
		}
		if !d.checkEnum(n, strconv.FormatUint(u, 10), lit) {
			return
		}
		dst.SetUint(u)
	case kFloat:
		f, err := strconv.ParseFloat(lit, n.bits)
		if err != nil {
			d.fail("%s does not fit in a %s", lit, n.typ)
			return
		}
		if n.min != nil && f < n.min.f {
			d.fail("must be at least %s, got %s", n.min.lit, lit)
			return
		}
		if n.max != nil && f > n.max.f {
			d.fail("must be at most %s, got %s", n.max.lit, lit)
			return
		}
		if !d.checkEnum(n, strconv.FormatFloat(f, 'g', -1, 64), lit) {
			return
		}
		dst.SetFloat(f)
	}
}

func (d *decoder) parseInt(n *node, lit string) (int64, bool) {
	if i, err := strconv.ParseInt(lit, 10, n.bits); err == nil {
		return i, true
	}
	lo, hi := int64(-1)<<(n.bits-1), int64(uint64(1)<<(n.bits-1)-1)
	if strings.ContainsAny(lit, ".eE") {
		// 20.0 and 2e1 are integers too.
		f, err := strconv.ParseFloat(lit, 64)
		if err == nil && f != math.Trunc(f) {
			d.fail("expected an integer, got %s", lit)
			return 0, false
		}
		if err == nil && f >= float64(lo) && f < -float64(lo) {
			return int64(f), true
		}
	}
	d.fail("must be an integer between %d and %d, got %s", lo, hi, lit)
	return 0, false
}

func (d *decoder) parseUint(n *node, lit string) (uint64, bool) {
	if u, err := strconv.ParseUint(lit, 10, n.bits); err == nil {
		return u, true
	}
	hi := uint64(1)<<(n.bits-1)<<1 - 1
	if strings.ContainsAny(lit, ".eE") {
		f, err := strconv.ParseFloat(lit, 64)
		if err == nil && f != math.Trunc(f) {
			d.fail("expected an integer, got %s", lit)
			return 0, false
		}
		if err == nil && f >= 0 && f < math.Ldexp(1, n.bits) {
			return uint64(f), true
		}
	}
	d.fail("must be an integer between 0 and %d, got %s", hi, lit)
	return 0, false
}

func (d *decoder) checkEnum(n *node, canon, shown string) bool {
	if n.enum == nil || slices.Contains(n.enum, canon) {
		return true
	}
	d.fail("%s is not one of %s", shown, n.enumText)
	return false
}

func (d *decoder) checkString(n *node, s string) bool {
	if n.minLen >= 0 || n.maxLen >= 0 {
		k := utf8.RuneCountInString(s)
		if n.minLen >= 0 && k < n.minLen {
			d.fail("must be at least %s long, got %d", plural(n.minLen, "character"), k)
			return false
		}
		if n.maxLen >= 0 && k > n.maxLen {
			d.fail("must be at most %s long, got %d", plural(n.maxLen, "character"), k)
			return false
		}
	}
	if n.pattern != nil && !n.pattern.MatchString(s) {
		d.fail("%s does not match the pattern %s", strconv.Quote(s), n.pattern)
		return false
	}
	if n.enum == nil {
		return true // strconv.Quote only for the message of a failed check
	}
	return d.checkEnum(n, s, strconv.Quote(s))
}

func (d *decoder) checkItems(n *node, k int) bool {
	if n.kind == kArray && k != n.typ.Len() {
		d.fail("must have exactly %s, got %d", plural(n.typ.Len(), "item"), k)
		return false
	}
	if n.minItems >= 0 && k < n.minItems {
		d.fail("must have at least %s, got %d", plural(n.minItems, "item"), k)
		return false
	}
	if n.maxItems >= 0 && k > n.maxItems {
		d.fail("must have at most %s, got %d", plural(n.maxItems, "item"), k)
		return false
	}
	return true
}

func plural(k int, noun string) string {
	if k == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(k) + " " + noun + "s"
}
