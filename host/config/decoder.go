package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The strict decoder: it walks yaml.v3's node tree, so every value keeps its line,
// and checks each mapping against a table of known keys (see schema.go).

// decoder turns a parsed document into a Config, collecting every problem rather
// than stopping at the first. It lives for one Parse call.
type decoder struct {
	file string // as given, for positions
	dir  string // the folder relative paths start from
	env  Env
	errs Errors
	// unexpanded holds the scalars whose ${...} could not be expanded: they are
	// reported once, and not again as, say, a bad duration.
	unexpanded map[*yaml.Node]bool
	// onMapping, when set, is told the key table of every mapping decoded: the
	// test that keeps docs/tools.schema.json in step with schema.go uses it.
	onMapping func(path string, keys []string)
}

func newDecoder(file string, env Env) *decoder {
	return &decoder{file: file, dir: filepath.Dir(file), env: env, unexpanded: map[*yaml.Node]bool{}}
}

// maxNodes bounds the document after alias expansion. A real tools.yaml has a few
// hundred values; the bound stops a "billion laughs" document (aliases of aliases)
// from turning into gigabytes of tool config.
const maxNodes = 100_000

// document parses data and decodes it; the result is meaningless when d.errs is not
// empty.
func (d *decoder) document(data []byte) *Config {
	root := d.parse(data)
	if root == nil || !d.checkAliases(root) {
		return nil
	}
	d.substitute(root, "")
	return d.config(root)
}

// parse parses data as exactly one YAML document and returns its root node, or nil
// after reporting why not.
func (d *decoder) parse(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(nil, "", "the file is empty (expected comfyui: and tools:)")
		} else {
			d.yamlError(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.errorf(&next, "", "a second YAML document (after ---) is not allowed: put everything in one")
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.errorf(nil, "", "the file is empty (expected comfyui: and tools:)")
	}
	if len(d.errs) > 0 {
		return nil
	}
	return doc.Content[0]
}

// yamlError reports a syntax error from yaml.v3, keeping the line it gives (not
// every error has one).
func (d *decoder) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, text
			}
		}
	}
	d.errs = append(d.errs, &Error{Pos: Pos{File: d.file, Line: line}, Msg: "invalid YAML: " + msg, Err: err})
}

// checkAliases refuses aliases that refer to a value containing them (yaml.v3 builds
// such cycles, and walking one would never end) and documents that expand beyond
// maxNodes.
func (d *decoder) checkAliases(root *yaml.Node) bool {
	size := map[*yaml.Node]int{} // expanded size of each node; -1 while it is being counted
	var count func(n *yaml.Node) int
	count = func(n *yaml.Node) int { // -1 after reporting a problem
		at := n
		n = deref(n)
		if s, seen := size[n]; seen {
			if s < 0 {
				d.errorf(at, "", "alias *%s refers to a value that contains it", at.Value)
			}
			return s
		}
		size[n] = -1
		total := 1
		for _, c := range n.Content {
			s := count(c)
			if s < 0 {
				return -1
			}
			if total += s; total > maxNodes {
				d.errorf(at, "", "aliases expand this value to more than %d values", maxNodes)
				return -1
			}
		}
		size[n] = total
		return total
	}
	return count(root) >= 0
}

// fields is a mapping's table of known keys: each key with the function that
// decodes its value. path is the value's dotted path, for messages.
type fields map[string]func(v *yaml.Node, path string)

// mapping checks that n is a mapping (null counts as an empty one) and decodes each
// known key with its function, in file order. Unknown and duplicate keys are
// reported with a suggestion. It returns the value node of each known key present;
// a known key that an unknown one was probably meant as ("plugn") maps to nil, so
// that require does not report it missing as well. ok is false when n is not a
// mapping at all.
func (d *decoder) mapping(n *yaml.Node, path string, fs fields) (present map[string]*yaml.Node, ok bool) {
	if d.onMapping != nil {
		d.onMapping(path, slices.Sorted(maps.Keys(fs)))
	}
	m := deref(n)
	if isNull(m) {
		return map[string]*yaml.Node{}, true
	}
	if m.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return nil, false
	}
	present = map[string]*yaml.Node{}
	keyAt := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key, good := d.key(k, path, keyAt)
		if !good {
			continue
		}
		decode, known := fs[key]
		if !known {
			s := d.unknownKey(k, path, key, slices.Sorted(maps.Keys(fs)))
			if _, seen := present[s]; s != "" && !seen {
				present[s] = nil
			}
			continue
		}
		present[key] = v
		decode(v, join(path, key))
	}
	return present, true
}

// key returns the text of a mapping key after reporting keys that are not plain
// strings, merge keys and duplicates; keyAt records where each key was first seen.
func (d *decoder) key(k *yaml.Node, path string, keyAt map[string]*yaml.Node) (string, bool) {
	kn := deref(k)
	switch {
	case kn.Kind != yaml.ScalarNode:
		d.errorf(k, path, "a key must be a string, got %s", describe(kn))
		return "", false
	case kn.ShortTag() == "!!merge":
		d.errorf(k, path, "merge keys (<<) are not supported: write the values out, or alias a whole mapping")
		return "", false
	}
	if first, dup := keyAt[kn.Value]; dup {
		d.errorf(k, path, "duplicate key %q (first declared at %s)", kn.Value, d.pos(first))
		return "", false
	}
	keyAt[kn.Value] = k
	return kn.Value, true
}

// unknownKey reports key as unknown and returns the known key it suggested, if any.
func (d *decoder) unknownKey(k *yaml.Node, path, key string, known []string) string {
	s := suggest(key, known)
	if s != "" {
		d.errorf(k, path, "unknown key %q (did you mean %q?)", key, s)
	} else {
		d.errorf(k, path, "unknown key %q (known keys: %s)", key, strings.Join(known, ", "))
	}
	return s
}

// require reports each key that a mapping needs and does not have.
func (d *decoder) require(n *yaml.Node, path string, present map[string]*yaml.Node, keys ...string) {
	for _, k := range keys {
		if _, ok := present[k]; !ok {
			d.errorf(n, path, "missing required key %q", k)
		}
	}
}

// sequence returns the items of a list (null counts as an empty one).
func (d *decoder) sequence(n *yaml.Node, path string) []*yaml.Node {
	s := deref(n)
	switch {
	case isNull(s):
		return nil
	case s.Kind != yaml.SequenceNode:
		d.typeError(n, path, "a list")
		return nil
	}
	return s.Content
}

// scalar returns the text of a scalar value; null is "". Any scalar will do, since
// the value is checked as what it must be (a duration, a URL) afterwards: that way
// `timeout: 30` is reported as a duration problem, not a type problem.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	s := deref(n)
	switch {
	case s.Kind != yaml.ScalarNode:
		d.typeError(n, path, "a single value")
		return "", false
	case d.unexpanded[s]:
		return "", false
	case isNull(s):
		return "", true
	}
	return s.Value, true
}

// str returns a field function that stores a scalar's text in dst.
func (d *decoder) str(dst *string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		if s, ok := d.scalar(v, path); ok {
			*dst = s
		}
	}
}

// duration returns a field function that stores a positive time.ParseDuration value.
func (d *decoder) duration(dst *time.Duration) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		s, ok := d.scalar(v, path)
		if !ok {
			return
		}
		t, err := time.ParseDuration(s)
		switch {
		case err != nil:
			d.wrapf(v, path, err, "%q is not a duration (use e.g. 30s)", s)
		case t <= 0:
			d.errorf(v, path, "%q is not a positive duration (use e.g. 30s)", s)
		default:
			*dst = t
		}
	}
}

// boolean returns a field function that stores true or false. Only those two
// words are accepted: YAML 1.1's yes, no, on and off are refused, since a value
// that reads as English should not silently turn into a boolean.
func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		s, ok := d.scalar(v, path)
		switch {
		case !ok:
		case s == "true":
			*dst = true
		case s == "false":
			*dst = false
		default:
			d.errorf(v, path, "%q is not true or false", s)
		}
	}
}

// byteSize returns a field function that stores a byte size such as 64MiB.
func (d *decoder) byteSize(dst *int64) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		s, ok := d.scalar(v, path)
		if !ok {
			return
		}
		n, err := parseByteSize(s)
		if err != nil {
			d.wrapf(v, path, err, "%v", err)
			return
		}
		*dst = n
	}
}

// json converts a tool's config mapping to JSON.
func (d *decoder) json(n *yaml.Node, path string) json.RawMessage {
	m := deref(n)
	if isNull(m) {
		return json.RawMessage("{}")
	}
	if m.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return nil
	}
	var b bytes.Buffer
	d.appendJSON(&b, n, path)
	return b.Bytes()
}

// appendJSON writes n as JSON. Mapping keys keep their order; scalars keep the type
// YAML gives them, except timestamps, which stay the text written (JSON has no
// time type).
func (d *decoder) appendJSON(b *bytes.Buffer, n *yaml.Node, path string) {
	at := n
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		keyAt := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, ok := d.key(n.Content[i], path, keyAt)
			if !ok {
				continue
			}
			if b.Bytes()[b.Len()-1] != '{' {
				b.WriteByte(',')
			}
			appendJSONValue(b, key)
			b.WriteByte(':')
			d.appendJSON(b, n.Content[i+1], join(path, key))
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			d.appendJSON(b, c, path+"["+strconv.Itoa(i)+"]")
		}
		b.WriteByte(']')
	default:
		if d.unexpanded[n] {
			b.WriteString("null") // reported by substitute
			return
		}
		var v any
		if err := n.Decode(&v); err != nil {
			d.wrapf(at, path, err, "%q is not a valid %s", n.Value, n.ShortTag())
			b.WriteString("null")
			return
		}
		switch x := v.(type) {
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				d.errorf(at, path, "%s cannot be represented in JSON", n.Value)
				v = nil
			}
		case time.Time:
			v = n.Value
		}
		appendJSONValue(b, v)
	}
}

// appendJSONValue writes v as JSON without escaping <, > and &: the reader is a
// plugin, not a browser.
func appendJSONValue(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.WriteString("null") // unreachable: v is a string, number, bool or nil
		return
	}
	b.Truncate(b.Len() - 1) // Encode ends with a newline
}

// pos is where n is written; a nil n is the whole file.
func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

// errorf records a problem at n.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.wrapf(n, path, nil, format, args...)
}

// wrapf records a problem at n with its underlying cause.
func (d *decoder) wrapf(n *yaml.Node, path string, cause error, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Path: path, Msg: fmt.Sprintf(format, args...), Err: cause})
}

// typeError reports that n is not the kind of value path needs.
func (d *decoder) typeError(n *yaml.Node, path, want string) {
	d.errorf(n, path, "expected %s, got %s", want, describe(deref(n)))
}

// describe names a value for a type error: "a list", or the scalar itself.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "nothing"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return strconv.Quote(v)
}

// deref returns the value an alias stands for, or n itself.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// isNull reports whether n is an empty value: nothing, ~ or null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// join appends a mapping key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return show(key)
	}
	return path + "." + show(key)
}

// show returns s as written when it prints as itself on one line, and quoted
// otherwise, so that every problem stays on one line and stray characters show.
func show(s string) string {
	if s == "" || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
