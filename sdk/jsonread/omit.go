package jsonread

import "fmt"

// Omit returns data, which must be exactly one JSON value, with every
// value a pattern names replaced by null; the rest is copied byte for
// byte. A pattern is a JSON Pointer (RFC 6901) whose token "*" stands for
// every member of an object and every item of an array: "/queue_pending/*/2"
// names the prompt of every pending job in a /queue answer. A pattern that
// names nothing changes nothing; "" (the whole value) is an error.
//
// Like Select, Omit reads and checks every byte of data. The host uses it
// to leave out of a ComfyUI answer what a plugin says it will not read
// (the "omit" of a comfyui_request, docs/abi.md): the workflows of every
// queued job, for a plugin that only looks for one job's place in the
// queue.
func Omit(data []byte, patterns []string) ([]byte, error) {
	pats, err := splitPatterns(patterns)
	if err != nil {
		return nil, err
	}
	o := omitter{Reader: New(data)}
	o.value(pats)
	if err := o.End(); err != nil {
		return nil, err
	}
	if len(o.spans) == 0 {
		return data, nil
	}
	out := make([]byte, 0, len(data)-o.omitted+len(o.spans)*len("null"))
	from := 0
	for _, s := range o.spans {
		out = append(append(out, data[from:s.start]...), "null"...)
		from = s.end
	}
	return append(out, data[from:]...), nil
}

// Shape is a comfyui_request's select and omit (docs/abi.md) applied to
// data: the value pointer names (all of data for ""), without what the
// omit patterns name in it; nil when pointer names nothing. The host
// shapes answers with it, and the SDK too when an older host did not.
// Each step reads all it is given, so an empty pointer is not applied.
func Shape(data []byte, pointer string, omit []string) ([]byte, error) {
	if pointer != "" {
		value, found, err := Select(data, pointer)
		if err != nil || !found {
			return nil, err
		}
		data = value
	}
	if len(omit) == 0 {
		return data, nil
	}
	return Omit(data, omit)
}

// CheckPatterns reports whether each pattern is one Omit takes.
func CheckPatterns(patterns []string) error {
	_, err := splitPatterns(patterns)
	return err
}

func splitPatterns(patterns []string) ([][]string, error) {
	pats := make([][]string, 0, len(patterns))
	for _, p := range patterns {
		tokens, err := splitPointer(p)
		if err != nil {
			return nil, err
		}
		if len(tokens) == 0 {
			return nil, fmt.Errorf("omit pattern %q names the whole value", p)
		}
		pats = append(pats, tokens)
	}
	return pats, nil
}

// omitter walks a value along the patterns, noting the spans to omit.
type omitter struct {
	*Reader
	spans   []span
	omitted int // bytes in spans
}

type span struct{ start, end int }

// value reads the next value, noting it whole when a pattern ends here and
// walking into it where patterns go on.
func (o *omitter) value(pats [][]string) {
	o.space()
	for _, p := range pats {
		if len(p) == 0 {
			start := o.pos
			o.Skip()
			if o.err == nil {
				o.spans = append(o.spans, span{start, o.pos})
				o.omitted += o.pos - start
			}
			return
		}
	}
	switch o.Kind() {
	case Object:
		o.ObjectBytes(func(key []byte) {
			if sub := follow(pats, func(t string) bool { return t == string(key) }); len(sub) > 0 {
				o.value(sub)
			}
		})
	case Array:
		o.Array(func(i int) {
			if sub := follow(pats, func(t string) bool { n, ok := arrayIndex(t); return ok && n == i }); len(sub) > 0 {
				o.value(sub)
			}
		})
	default:
		o.Skip()
	}
}

// follow returns the rest of each pattern whose next token is "*" or one
// that matches.
func follow(pats [][]string, matches func(token string) bool) [][]string {
	var sub [][]string
	for _, p := range pats {
		if p[0] == "*" || matches(p[0]) {
			sub = append(sub, p[1:])
		}
	}
	return sub
}
