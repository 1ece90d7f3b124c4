package jsonread

import (
	"fmt"
	"strings"
)

// Select returns the value that a JSON Pointer (RFC 6901) names in data,
// which must be exactly one JSON value: the value's bytes as they are in
// data (not a copy), and whether there is one. The pointer "" names the
// whole value, "/a/0" member "a"'s first item. A member named twice counts
// as its last occurrence, as encoding/json decodes it.
//
// Every byte of data is read and checked, so a value found in a document
// that turns out malformed is an error, not a result. The host uses Select
// to hand a plugin only the part of a ComfyUI answer it asked for (the
// "select" of a comfyui_request, docs/abi.md), natively: a job's history
// carries its whole workflow, which a plugin polling the job's status
// would otherwise read byte by byte in WebAssembly.
func Select(data []byte, pointer string) (value []byte, found bool, err error) {
	tokens, err := splitPointer(pointer)
	if err != nil {
		return nil, false, err
	}
	r := New(data)
	value, found = r.selectValue(tokens)
	if err := r.End(); err != nil {
		return nil, false, err
	}
	return value, found, nil
}

// CheckPointer reports whether pointer is a JSON Pointer: "" or a "/"
// before every reference token, with "~" only in "~0" and "~1".
func CheckPointer(pointer string) error {
	_, err := splitPointer(pointer)
	return err
}

// Pointer builds the JSON Pointer of a path of member names and array
// indexes, escaping "~" and "/" in each: Pointer(id, "status") is the
// status of history entry id, whatever characters id holds.
func Pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		if !strings.ContainsAny(t, "~/") {
			b.WriteString(t)
			continue
		}
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// selectValue reads the next value, returning the part tokens name in it.
func (r *Reader) selectValue(tokens []string) (value []byte, found bool) {
	if len(tokens) == 0 {
		return r.Raw(), r.err == nil
	}
	token, rest := tokens[0], tokens[1:]
	switch r.Kind() {
	case Object:
		r.ObjectBytes(func(key []byte) {
			if string(key) == token {
				value, found = r.selectValue(rest) // a later duplicate replaces it
			}
		})
	case Array:
		index, ok := arrayIndex(token)
		r.Array(func(i int) {
			if ok && i == index {
				value, found = r.selectValue(rest)
			}
		})
	default:
		r.Skip() // a scalar has no members
	}
	if r.err != nil {
		return nil, false
	}
	return value, found
}

// splitPointer returns a pointer's reference tokens, unescaped.
func splitPointer(pointer string) ([]string, error) {
	if pointer == "" {
		return nil, nil
	}
	if pointer[0] != '/' {
		return nil, fmt.Errorf("JSON pointer %q does not start with /", pointer)
	}
	tokens := strings.Split(pointer[1:], "/")
	for i, t := range tokens {
		if !strings.Contains(t, "~") {
			continue
		}
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || t[j+1] != '0' && t[j+1] != '1') {
				return nil, fmt.Errorf("JSON pointer %q: ~ must be followed by 0 or 1", pointer)
			}
		}
		tokens[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
	}
	return tokens, nil
}

// arrayIndex reads an array reference token: "0", or digits without a
// leading zero. "-" (the item after the last) and anything else name no
// item.
func arrayIndex(token string) (int, bool) {
	if token == "" || len(token) > 9 || token[0] == '0' && len(token) > 1 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(token); i++ {
		c := token[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
