package mcpserver

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/easel-mcp/easel/sdk/jsonread"
)

// The full validator (jsonschema) checks a tree: every result was read
// into maps and slices, and its numbers became big.Rat, about 80
// allocations for one get_job_status answer, the largest share of easel's
// own allocations on a call. The schemas plugins declare for their output
// are nearly always the ones the SDK derives from a Go type, which use a
// handful of keywords. quickSchema checks those on the result's bytes in
// one pass, building nothing.
//
// It only ever vouches: a result it accepts, the full validator accepts
// too (FuzzQuickSchemaOnlyVouches holds it to that). Anything it cannot
// decide, a keyword it does not know, a number written as 1.0 where an
// integer is wanted, a result that fails, goes to the full validator,
// which decides and words the error.

// quickSchema is one compiled (sub)schema of the subset.
type quickSchema struct {
	types    typeSet              // allowed JSON types; 0 allows any
	never    bool                 // the schema false: nothing is valid
	props    map[string]quickProp // properties, and required names
	required int                  // how many names are required (bits 0..required-1 of quickProp.bit)
	closed   bool                 // additionalProperties: false
	extra    *quickSchema         // additionalProperties as a schema; nil allows any
	items    *quickSchema         // items; nil allows any
	enum     []string             // a string enum; nil when there is none
}

// quickProp is what an object's key means to its schema.
type quickProp struct {
	schema   *quickSchema // nil: any value
	declared bool         // named in properties (else only in required)
	bit      uint64       // the key's required bit; 0 when optional
}

// typeSet is a set of JSON Schema types.
type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBoolean
	tObject
	tArray
	tNumber
	tInteger
	tString
)

var typeNames = map[string]typeSet{
	"null": tNull, "boolean": tBoolean, "object": tObject, "array": tArray,
	"number": tNumber, "integer": tInteger, "string": tString,
}

// annotations are keywords that assert nothing. ($defs holds what $ref
// points at; format is left to the full validator, which may assert it.)
var annotations = map[string]bool{
	"title": true, "description": true, "default": true, "examples": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "$comment": true,
	"$defs": true,
}

// draft202012 is the only $schema the subset is sure of; the full
// validator reads a schema without one as draft 2020-12 too.
const draft202012 = "https://json-schema.org/draft/2020-12/schema"

// compileQuickSchema compiles an outputSchema into the subset, or returns
// nil when it uses anything else (the full validator then checks every
// result alone).
func compileQuickSchema(schema []byte) *quickSchema {
	var root any
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	if dec.Decode(&root) != nil {
		return nil
	}
	c := quickCompiler{root: root, refs: map[string]*quickSchema{}}
	if m, ok := root.(map[string]any); ok {
		if v, ok := m["$schema"]; ok && v != draft202012 && v != draft202012+"#" {
			return nil
		}
	}
	s := c.compile(root, true)
	if c.unsupported {
		return nil
	}
	return s
}

// quickCompiler compiles one schema document.
type quickCompiler struct {
	root        any
	refs        map[string]*quickSchema // "#/$defs/name" → its compiled form, cycles included
	unsupported bool
}

func (c *quickCompiler) compile(v any, root bool) *quickSchema {
	switch v := v.(type) {
	case bool:
		return &quickSchema{never: !v}
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			return c.ref(v, ref)
		}
		s := &quickSchema{}
		for key, val := range v {
			if !c.keyword(s, key, val, root) {
				c.unsupported = true
				return s
			}
		}
		return s
	}
	c.unsupported = true
	return nil
}

// ref compiles {"$ref": "#/$defs/name"} with nothing beside it but
// annotations.
func (c *quickCompiler) ref(v map[string]any, ref string) *quickSchema {
	for key := range v {
		if key != "$ref" && !annotations[key] {
			c.unsupported = true
			return nil
		}
	}
	if s, ok := c.refs[ref]; ok {
		return s
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	defs, _ := c.root.(map[string]any)["$defs"].(map[string]any)
	target, found := defs[name]
	if !ok || !found || strings.ContainsAny(name, "/~%") {
		c.unsupported = true
		return nil
	}
	s := &quickSchema{}
	c.refs[ref] = s // before compiling: a definition may refer to itself
	if compiled := c.compile(target, false); compiled != nil {
		*s = *compiled
	}
	return s
}

// keyword compiles one keyword of an object schema into s, reporting
// false for one the subset does not cover.
func (c *quickCompiler) keyword(s *quickSchema, key string, val any, root bool) bool {
	switch key {
	case "type":
		return s.setTypes(val)
	case "properties":
		props, ok := val.(map[string]any)
		if !ok {
			return false
		}
		for name, sub := range props {
			p := s.prop(name)
			p.schema, p.declared = c.compile(sub, false), true
			s.props[name] = p
		}
	case "required":
		names, ok := val.([]any)
		if !ok || len(names) > 64 {
			return false
		}
		for _, n := range names {
			name, ok := n.(string)
			if !ok {
				return false
			}
			if p := s.prop(name); p.bit == 0 {
				p.bit = 1 << s.required
				s.required++
				s.props[name] = p
			}
		}
	case "additionalProperties":
		if b, ok := val.(bool); ok {
			s.closed = !b
			return true
		}
		s.extra = c.compile(val, false)
	case "items":
		if _, ok := val.([]any); ok {
			return false // draft-04 tuples
		}
		s.items = c.compile(val, false)
	case "enum":
		list, ok := val.([]any)
		if !ok {
			return false
		}
		s.enum = make([]string, 0, len(list))
		for _, e := range list {
			str, ok := e.(string)
			if !ok {
				return false
			}
			s.enum = append(s.enum, str)
		}
	case "$schema":
		return root
	default:
		return annotations[key]
	}
	return true
}

func (s *quickSchema) prop(name string) quickProp {
	if s.props == nil {
		s.props = map[string]quickProp{}
	}
	return s.props[name]
}

func (s *quickSchema) setTypes(val any) bool {
	names, ok := val.([]any)
	if !ok {
		names = []any{val}
	}
	for _, n := range names {
		name, _ := n.(string)
		t, ok := typeNames[name]
		if !ok {
			return false
		}
		s.types |= t
	}
	return s.types != 0
}

// accepts reports whether data is one JSON value that s certainly
// accepts. false means "not certain": ask the full validator.
func (s *quickSchema) accepts(data []byte) bool {
	r := jsonread.New(data)
	ok := s.check(r)
	return ok && r.End() == nil
}

// check reads the next value, reporting whether s certainly accepts it.
// A false leaves the reader anywhere: the caller stops.
func (s *quickSchema) check(r *jsonread.Reader) bool {
	if s == nil {
		r.Skip()
		return r.Err() == nil
	}
	if s.never {
		return false
	}
	switch r.Kind() {
	case jsonread.Object:
		return s.allows(tObject) && s.enum == nil && s.object(r)
	case jsonread.Array:
		return s.allows(tArray) && s.enum == nil && s.array(r)
	case jsonread.String:
		if !s.allows(tString) {
			return false
		}
		if s.enum == nil {
			r.Skip()
			return r.Err() == nil
		}
		return s.inEnum(r.String())
	case jsonread.Number:
		num := r.Raw()
		if s.enum != nil || r.Err() != nil {
			return false
		}
		return s.allows(tNumber) || s.allows(tInteger) && bytes.IndexAny(num, ".eE") < 0
	case jsonread.Bool:
		r.Bool()
		return s.allows(tBoolean) && s.enum == nil && r.Err() == nil
	case jsonread.Null:
		r.Null()
		return s.allows(tNull) && s.enum == nil && r.Err() == nil
	}
	return false
}

func (s *quickSchema) allows(t typeSet) bool { return s.types == 0 || s.types&t != 0 }

func (s *quickSchema) inEnum(v string) bool {
	for _, e := range s.enum {
		if e == v {
			return true
		}
	}
	return false
}

func (s *quickSchema) object(r *jsonread.Reader) bool {
	ok := true
	var seen uint64
	r.ObjectBytes(func(key []byte) {
		if !ok {
			return // skipped
		}
		p := s.props[string(key)]
		seen |= p.bit
		switch {
		case p.declared:
			ok = p.schema.check(r)
		case s.closed:
			ok = false
		default:
			ok = s.extra.check(r)
		}
	})
	return ok && r.Err() == nil && seen == 1<<s.required-1
}

func (s *quickSchema) array(r *jsonread.Reader) bool {
	ok := true
	r.Array(func(int) {
		if ok {
			ok = s.items.check(r)
		}
	})
	return ok && r.Err() == nil
}
