package sdk

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SchemaFor derives the JSON Schema that a tool with input type T
// advertises as its inputSchema. It exists so that plugin authors can see
// and test (for example against a golden file) exactly what an agent will
// be shown, without building the plugin.
//
// T must be a struct. The schema is built from the struct's fields and tags:
//
//	json         name, omitempty/omitzero, "-" (as encoding/json)
//	description  the property's description
//	default      the value used when the argument is absent; parsed as the
//	             field's type (a string field takes the tag text verbatim,
//	             other types take JSON: default:"20", default:"[1,2]")
//	enum         comma-separated allowed values, parsed as the field's type
//	minimum      inclusive lower bound of a number
//	maximum      inclusive upper bound of a number
//	minLength    minimum length of a string, in Unicode code points
//	maxLength    maximum length of a string, in Unicode code points
//	pattern      regular expression a string must contain a match of
//	             (Go RE2 syntax, unanchored as in JSON Schema); not in a
//	             plugin built with -tags easel_nopattern (see pattern.go)
//	minItems     minimum length of a slice
//	maxItems     maximum length of a slice
//
// # Notes
//
//   - A field is required unless it is tagged omitempty or omitzero, has a
//     default, or is a pointer.
//   - A struct field (not a pointer) none of whose own fields is required
//     defaults to {}: it is never required, and when it is omitted its
//     fields get their defaults, as if {} had been given. A pointer to a
//     struct stays nil when omitted.
//   - On a slice field, enum, minimum, maximum, minLength, maxLength and
//     pattern constrain the items; minItems and maxItems the slice itself.
//   - On a pointer field every tag applies to the value pointed to.
//   - Properties appear in field order, embedded structs flatten like
//     encoding/json, and every object derived from a struct has
//     "additionalProperties": false: arguments a tool does not take are
//     rejected, not ignored.
//   - Go types map as encoding/json encodes them: integers to "integer"
//     (unsigned ones with "minimum": 0), floats and json.Number to
//     "number", []byte to a base64 string, time.Time to a date-time string,
//     slices and arrays to "array", map[string]T to an object whose values
//     are T. json.RawMessage, any and types with their own UnmarshalJSON
//     carry no type constraint; map[string]any is any object; types with
//     UnmarshalText are strings.
//   - An outputSchema (derived from a handler's Out type) follows the same
//     rules except that objects do not forbid other properties and nil
//     slices, maps and pointers without omitempty may be null, because
//     encoding/json writes them so. A named struct type that occurs
//     several times in an output is described once under "$defs" and
//     referred to ("$ref": "#/$defs/Name") where that is shorter.
//   - A tag that does not fit the field's type (minimum on a string, an enum
//     value that does not parse) is an error here and a panic in Register,
//     so that a mistake shows when the plugin starts, not when an agent
//     calls it.
//
// The result is a fresh copy each time; the schema a registered tool
// describes itself with is derived once, in Register.
func SchemaFor[T any]() (json.RawMessage, error) {
	t := reflect.TypeFor[T]()
	n, err := compileRoot(t, modeInput)
	if err != nil {
		return nil, err
	}
	return json.Marshal(n.schema())
}

// mode says which side of a tool a type is compiled for. Inputs are decoded
// by the SDK and reject unknown keys; outputs are encoded by encoding/json,
// which writes nil slices, maps and pointers as null, so their schema must
// allow null.
type mode uint8

const (
	modeInput mode = iota
	modeOutput
)

// kind is how a node is decoded and described.
type kind uint8

const (
	kString kind = iota
	kBool
	kInt
	kUint
	kFloat
	kNumber // json.Number
	kBytes  // []byte, base64 on the wire like encoding/json
	kSlice
	kArray
	kMap
	kStruct
	kPtr
	kAny    // an empty interface: any JSON value
	kRaw    // json.RawMessage
	kCustom // implements json.Unmarshaler (input) or json.Marshaler (output)
	kText   // implements encoding.TextUnmarshaler / TextMarshaler: a string
)

// node is one Go type compiled for one place in a tool's input or output:
// everything needed to describe it as JSON Schema and to decode and
// validate a JSON value into it, computed once so that a call does no
// reflection on types, only on values.
type node struct {
	kind kind
	typ  reflect.Type
	bits int   // kInt, kUint, kFloat
	elem *node // kSlice, kArray, kMap, kPtr

	// kStruct
	fields []*field
	byName map[string]*field
	names  string // the keys it takes, for "unknown argument" errors
	strict bool   // "additionalProperties": false, and unknown keys are errors

	description     string
	format          string
	contentEncoding string
	nullable        bool // output only: encoding/json may write null here

	enum               []string // canonical forms, compared with the decoded value's
	enumJSON           []any    // the same values, typed, for the schema
	enumText           string   // "a, b, c", for error messages
	min, max           *bound
	minLen, maxLen     int     // -1 when not set
	minItems, maxItems int     // -1 when not set
	pattern            pattern // nil when not set
}

// bound is a minimum or maximum, kept in the representation of the field's
// kind so that comparisons with 64-bit integers are exact.
type bound struct {
	lit string
	i   int64
	u   uint64
	f   float64
}

// field is one JSON property of a struct node.
type field struct {
	name     string
	index    []int
	node     *node
	required bool
	hasDef   bool
	def      any // the default as a decoded JSON value (json.Number for numbers)
}

var (
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
	numberType          = reflect.TypeFor[json.Number]()
	timeType            = reflect.TypeFor[time.Time]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	jsonMarshalerType   = reflect.TypeFor[json.Marshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	mapStringAnyType    = reflect.TypeFor[map[string]any]()
)

// compileRoot compiles the type of a tool's arguments or structured output,
// which must be a JSON object: a struct (or pointer to one), or for outputs
// also a map with string keys.
func compileRoot(t reflect.Type, m mode) (*node, error) {
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	isObject := base.Kind() == reflect.Struct && base != timeType
	if m == modeOutput && base.Kind() == reflect.Map || base == mapStringAnyType {
		isObject = true // an input of map[string]any takes any object, for Tool.Describe's own schema
	}
	if !isObject {
		if m == modeOutput {
			return nil, fmt.Errorf("%s is not a struct or a map with string keys: MCP structured content is a JSON object (return *sdk.Result to build the result yourself)", t)
		}
		return nil, fmt.Errorf("%s is not a struct (or map[string]any): a tool's arguments are a JSON object", t)
	}
	c := compiler{mode: m, inProgress: map[reflect.Type]bool{}}
	return c.compile(t)
}

// compiler carries what compiling one root type needs.
type compiler struct {
	mode       mode
	inProgress map[reflect.Type]bool // struct types being compiled, to refuse recursion
}

func (c *compiler) compile(t reflect.Type) (*node, error) {
	n := &node{typ: t, minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	if t.Kind() == reflect.Pointer {
		elem, err := c.compile(t.Elem())
		if err != nil {
			return nil, err
		}
		n.kind, n.elem = kPtr, elem
		return n, nil
	}
	switch {
	case t == rawMessageType:
		n.kind = kRaw
		return n, nil
	case t == numberType:
		n.kind = kNumber
		return n, nil
	case t == timeType:
		n.kind, n.format = kText, "date-time"
		return n, nil
	}
	if c.mode == modeInput {
		switch {
		case reflect.PointerTo(t).Implements(jsonUnmarshalerType):
			n.kind = kCustom
			return n, nil
		case reflect.PointerTo(t).Implements(textUnmarshalerType):
			n.kind = kText
			return n, nil
		}
	} else {
		switch {
		case t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType):
			n.kind = kCustom
			return n, nil
		case t.Implements(textMarshalerType):
			n.kind = kText
			return n, nil
		case reflect.PointerTo(t).Implements(textMarshalerType):
			// encoding/json uses the method only when the value is
			// addressable, so the JSON may be a string or not: promise nothing.
			n.kind = kCustom
			return n, nil
		}
	}
	switch t.Kind() {
	case reflect.String:
		n.kind = kString
	case reflect.Bool:
		n.kind = kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n.kind, n.bits = kInt, t.Bits()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n.kind, n.bits = kUint, t.Bits()
	case reflect.Float32, reflect.Float64:
		n.kind, n.bits = kFloat, t.Bits()
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(jsonMarshalerType) &&
			!reflect.PointerTo(t.Elem()).Implements(textMarshalerType) {
			n.kind, n.contentEncoding = kBytes, "base64"
			return n, nil
		}
		elem, err := c.compile(t.Elem())
		if err != nil {
			return nil, err
		}
		n.kind, n.elem = kSlice, elem
	case reflect.Array:
		elem, err := c.compile(t.Elem())
		if err != nil {
			return nil, err
		}
		n.kind, n.elem = kArray, elem
		n.minItems, n.maxItems = t.Len(), t.Len()
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key type %s is not supported: JSON object keys are strings", t.Key())
		}
		elem, err := c.compile(t.Elem())
		if err != nil {
			return nil, err
		}
		n.kind, n.elem = kMap, elem
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return nil, fmt.Errorf("interface type %s is not supported: use any, json.RawMessage or a concrete type", t)
		}
		n.kind = kAny
	case reflect.Struct:
		if err := c.compileStruct(n, t); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("type %s is not supported: it has no JSON form", t)
	}
	return n, nil
}

func (c *compiler) compileStruct(n *node, t reflect.Type) error {
	if c.inProgress[t] {
		return fmt.Errorf("recursive type %s is not supported", t)
	}
	c.inProgress[t] = true
	defer delete(c.inProgress, t)

	n.kind = kStruct
	n.strict = c.mode == modeInput
	n.byName = map[string]*field{}
	cands, err := c.structFields(t)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(cands))
	for _, cand := range cands {
		f, err := c.compileField(cand)
		if err != nil {
			return fmt.Errorf("field %s.%s: %w", t, cand.goName, err)
		}
		n.fields = append(n.fields, f)
		n.byName[f.name] = f
		names = append(names, f.name)
	}
	n.names = strings.Join(names, ", ")
	return nil
}

// candidate is a struct field that encoding/json would encode, found by
// structFields.
type candidate struct {
	name   string
	goName string
	tagged bool
	index  []int
	typ    reflect.Type
	tag    reflect.StructTag
	omit   bool // omitempty or omitzero
	viaPtr bool // reached through an embedded pointer, which may be nil
}

// structFields lists the fields of t the way encoding/json sees them:
// embedded structs flattened, the shallowest (then the tagged) field
// winning a name, ambiguous names dropped, in field order.
func (c *compiler) structFields(t reflect.Type) ([]candidate, error) {
	var all []candidate
	var walk func(t reflect.Type, index []int, viaPtr bool, onPath map[reflect.Type]bool) error
	walk = func(t reflect.Type, index []int, viaPtr bool, onPath map[reflect.Type]bool) error {
		for i := range t.NumField() {
			sf := t.Field(i)
			ft := sf.Type
			if sf.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !sf.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(slices.Clone(index), i)
			if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				if onPath[ft] {
					continue
				}
				if c.mode == modeInput && sf.Type.Kind() == reflect.Pointer && !sf.IsExported() {
					return fmt.Errorf("field %s.%s: embedded pointer to unexported struct type %s cannot be set: embed the struct itself", t, sf.Name, ft)
				}
				onPath[ft] = true
				err := walk(ft, idx, viaPtr || sf.Type.Kind() == reflect.Pointer, onPath)
				delete(onPath, ft)
				if err != nil {
					return err
				}
				continue
			}
			var omit bool
			for o := range strings.SplitSeq(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					omit = true
				case "string":
					return fmt.Errorf("field %s.%s: the json tag option \"string\" is not supported", t, sf.Name)
				}
			}
			cand := candidate{name: name, goName: sf.Name, tagged: name != "", index: idx,
				typ: sf.Type, tag: sf.Tag, omit: omit, viaPtr: viaPtr}
			if name == "" {
				cand.name = sf.Name
			}
			all = append(all, cand)
		}
		return nil
	}
	if err := walk(t, nil, false, map[reflect.Type]bool{t: true}); err != nil {
		return nil, err
	}
	// Dominance, as encoding/json: for each name the shallowest field wins;
	// among equally shallow ones a single tagged field wins; otherwise the
	// name is dropped.
	byName := map[string][]int{}
	for i, cand := range all {
		byName[cand.name] = append(byName[cand.name], i)
	}
	keep := make([]bool, len(all))
	for _, idxs := range byName {
		depth := len(all[idxs[0]].index)
		for _, i := range idxs {
			depth = min(depth, len(all[i].index))
		}
		var shallow, tagged []int
		for _, i := range idxs {
			if len(all[i].index) == depth {
				shallow = append(shallow, i)
				if all[i].tagged {
					tagged = append(tagged, i)
				}
			}
		}
		switch {
		case len(shallow) == 1:
			keep[shallow[0]] = true
		case len(tagged) == 1:
			keep[tagged[0]] = true
		}
	}
	var out []candidate
	for i, cand := range all {
		if keep[i] {
			out = append(out, cand)
		}
	}
	return out, nil
}

func (c *compiler) compileField(cand candidate) (*field, error) {
	n, err := c.compile(cand.typ)
	if err != nil {
		return nil, err
	}
	target := n
	for target.kind == kPtr {
		target = target.elem
	}
	// Output schemas carry no descriptions: clients validate structured
	// content against them but do not show them to models (the tool's
	// description explains the result), and every byte of them is sent in
	// each tools/list.
	if d, ok := cand.tag.Lookup("description"); ok && c.mode == modeInput {
		target.description = d
	}
	if err := applyConstraints(target, cand.tag); err != nil {
		return nil, err
	}
	f := &field{name: cand.name, index: cand.index, node: n}
	def, hasDef := cand.tag.Lookup("default")
	f.required = !cand.omit && !hasDef && n.kind != kPtr
	if c.mode == modeOutput && cand.viaPtr {
		// encoding/json leaves out the fields of a nil embedded pointer.
		f.required = false
	}
	if c.mode == modeOutput && !cand.omit {
		switch n.kind {
		case kPtr, kSlice, kMap, kBytes:
			n.nullable = true
		}
	}
	if hasDef {
		v, err := parseDefault(n, target, def)
		if err != nil {
			return nil, err
		}
		f.def, f.hasDef = v, true
	}
	if c.mode == modeInput && !hasDef && n.acceptsEmpty() {
		// An object argument that {} fully describes defaults to {}: omitting
		// it then applies its fields' defaults (and the schema says so),
		// instead of leaving the handler a zero value that the advertised
		// defaults and constraints never touched, or demanding an object
		// the agent has nothing to put in.
		f.def, f.hasDef, f.required = map[string]any{}, true, false
	}
	return f, nil
}

// acceptsEmpty reports whether n is a struct (not a pointer to one: nil
// is how a pointer says "absent") that decodes from {}: none of its fields
// is required. Fields are compiled before their parent, so a nested struct
// that itself defaults to {} already counts as not required.
func (n *node) acceptsEmpty() bool {
	if n.kind != kStruct {
		return false
	}
	for _, f := range n.fields {
		if f.required {
			return false
		}
	}
	return true
}

// parseDefault turns a default tag into the JSON value it stands for and
// checks that the value passes the field's own validation.
func parseDefault(n, target *node, tag string) (any, error) {
	var v any
	if target.kind == kString || target.kind == kText {
		v = tag
	} else {
		var err error
		if v, err = decodeJSON([]byte(tag)); err != nil {
			return nil, fmt.Errorf("default %q is not JSON for %s: %v", tag, n.typ, err)
		}
	}
	d := decoder{noun: "default"}
	d.value(n, v, reflect.New(n.typ).Elem())
	if len(d.errs) > 0 {
		return nil, fmt.Errorf("default %q: %s", tag, d.errs[0])
	}
	return v, nil
}

// applyConstraints parses the validation tags of a field into its node.
// String and number tags on a slice or array apply to the items.
func applyConstraints(target *node, tag reflect.StructTag) error {
	scalar := target
	if target.kind == kSlice || target.kind == kArray {
		scalar = target.elem
		for scalar.kind == kPtr {
			scalar = scalar.elem
		}
	}
	if v, ok := tag.Lookup("enum"); ok {
		if err := scalar.setEnum(v); err != nil {
			return err
		}
	}
	for _, name := range []string{"minimum", "maximum"} {
		v, ok := tag.Lookup(name)
		if !ok {
			continue
		}
		b, err := scalar.parseBound(v)
		if err != nil {
			return fmt.Errorf("tag %s:%q: %w", name, v, err)
		}
		if name == "minimum" {
			scalar.min = b
		} else {
			scalar.max = b
		}
	}
	for _, name := range []string{"minLength", "maxLength", "pattern"} {
		v, ok := tag.Lookup(name)
		if !ok {
			continue
		}
		if scalar.kind != kString {
			return fmt.Errorf("tag %s applies to strings, not %s", name, scalar.typ)
		}
		if name == "pattern" {
			re, err := compilePattern(v)
			if err != nil {
				return fmt.Errorf("tag pattern:%q: %w", v, err)
			}
			scalar.pattern = re
			continue
		}
		k, err := parseCount(name, v)
		if err != nil {
			return err
		}
		if name == "minLength" {
			scalar.minLen = k
		} else {
			scalar.maxLen = k
		}
	}
	for _, name := range []string{"minItems", "maxItems"} {
		v, ok := tag.Lookup(name)
		if !ok {
			continue
		}
		if target.kind != kSlice {
			return fmt.Errorf("tag %s applies to slices, not %s", name, target.typ)
		}
		k, err := parseCount(name, v)
		if err != nil {
			return err
		}
		if name == "minItems" {
			target.minItems = k
		} else {
			target.maxItems = k
		}
	}
	return nil
}

func parseCount(name, v string) (int, error) {
	k, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || k < 0 {
		return 0, fmt.Errorf("tag %s:%q is not a non-negative integer", name, v)
	}
	return k, nil
}

func (n *node) setEnum(list string) error {
	var canon []string
	var typed []any
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		var c string
		var t any
		switch n.kind {
		case kString:
			c, t = item, item
		case kInt:
			i, err := strconv.ParseInt(item, 10, n.bits)
			if err != nil {
				return fmt.Errorf("enum value %q is not a valid %s", item, n.typ)
			}
			c = strconv.FormatInt(i, 10)
			t = json.Number(c)
		case kUint:
			u, err := strconv.ParseUint(item, 10, n.bits)
			if err != nil {
				return fmt.Errorf("enum value %q is not a valid %s", item, n.typ)
			}
			c = strconv.FormatUint(u, 10)
			t = json.Number(c)
		case kFloat:
			f, err := strconv.ParseFloat(item, n.bits)
			if err != nil {
				return fmt.Errorf("enum value %q is not a valid %s", item, n.typ)
			}
			c = strconv.FormatFloat(f, 'g', -1, 64)
			t = json.Number(c)
		default:
			return fmt.Errorf("tag enum applies to strings and numbers, not %s", n.typ)
		}
		canon = append(canon, c)
		typed = append(typed, t)
	}
	n.enum, n.enumJSON = canon, typed
	n.enumText = strings.Join(canon, ", ")
	return nil
}

func (n *node) parseBound(v string) (*bound, error) {
	v = strings.TrimSpace(v)
	b := &bound{lit: v}
	var err error
	switch n.kind {
	case kInt:
		b.i, err = strconv.ParseInt(v, 10, n.bits)
		b.lit = strconv.FormatInt(b.i, 10)
	case kUint:
		b.u, err = strconv.ParseUint(v, 10, n.bits)
		b.lit = strconv.FormatUint(b.u, 10)
	case kFloat:
		b.f, err = strconv.ParseFloat(v, n.bits)
		b.lit = strconv.FormatFloat(b.f, 'g', -1, 64)
	default:
		return nil, fmt.Errorf("applies to numbers, not %s", n.typ)
	}
	if err != nil {
		return nil, fmt.Errorf("not a valid %s", n.typ)
	}
	return b, nil
}

// omap is a JSON object that keeps its keys in insertion order, so that a
// schema's JSON is stable and reads in field order.
type omap []member

type member struct {
	key   string
	value any
}

func (m omap) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, kv := range m {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, kv.key)
		b = append(b, ':')
		v, err := json.Marshal(kv.value)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// schema renders a node as JSON Schema.
func (n *node) schema() omap { return n.render(nil) }

// render renders a node as JSON Schema, as a reference to d's $defs if
// its struct type is described there.
func (n *node) render(d *defs) omap {
	nullable := n.nullable
	for n.kind == kPtr {
		n = n.elem
	}
	if name, ok := d.ref(n, nullable); ok {
		return omap{{"$ref", "#/$defs/" + name}}
	}
	return n.inline(nullable, d)
}

// inline renders a node (not a pointer) as JSON Schema in place.
func (n *node) inline(nullable bool, d *defs) omap {
	var s omap
	add := func(k string, v any) { s = append(s, member{k, v}) }
	typ := ""
	switch n.kind {
	case kString, kBytes, kText:
		typ = "string"
	case kBool:
		typ = "boolean"
	case kInt, kUint:
		typ = "integer"
	case kFloat, kNumber:
		typ = "number"
	case kSlice, kArray:
		typ = "array"
	case kMap, kStruct:
		typ = "object"
	}
	switch {
	case typ != "" && nullable:
		add("type", []string{typ, "null"})
	case typ != "":
		add("type", typ)
	}
	if n.description != "" {
		add("description", n.description)
	}
	if n.format != "" {
		add("format", n.format)
	}
	if n.contentEncoding != "" {
		add("contentEncoding", n.contentEncoding)
	}
	if n.enumJSON != nil {
		add("enum", n.enumJSON)
	}
	switch {
	case n.min != nil:
		add("minimum", json.Number(n.min.lit))
	case n.kind == kUint:
		add("minimum", 0)
	}
	if n.max != nil {
		add("maximum", json.Number(n.max.lit))
	}
	if n.minLen >= 0 {
		add("minLength", n.minLen)
	}
	if n.maxLen >= 0 {
		add("maxLength", n.maxLen)
	}
	if n.pattern != nil {
		add("pattern", n.pattern.String())
	}
	switch n.kind {
	case kSlice, kArray:
		add("items", n.elem.render(d))
	case kMap:
		if n.typ != mapStringAnyType {
			add("additionalProperties", n.elem.render(d))
		}
	case kStruct:
		props := omap{}
		var required []string
		for _, f := range n.fields {
			fs := f.node.render(d)
			if f.hasDef {
				fs = fs.withDefault(f.def)
			}
			props = append(props, member{f.name, fs})
			if f.required {
				required = append(required, f.name)
			}
		}
		add("properties", props)
		if required != nil {
			add("required", required)
		}
		if n.strict {
			add("additionalProperties", false)
		}
	}
	if n.minItems >= 0 {
		add("minItems", n.minItems)
	}
	if n.maxItems >= 0 {
		add("maxItems", n.maxItems)
	}
	return s
}

// withDefault inserts "default" after "enum" (or after "description"), where
// a reader looks for it.
func (s omap) withDefault(v any) omap {
	at := 0
	for i, kv := range s {
		switch kv.key {
		case "type", "description", "format", "contentEncoding", "enum":
			at = i + 1
		}
	}
	return slices.Insert(s, at, member{"default", v})
}
