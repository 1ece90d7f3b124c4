package jsonread

import (
	"reflect"
	"testing"
)

func TestSelect(t *testing.T) {
	const doc = `{"id-1": {"prompt": [3, "id-1", {"1": {}}], "status": {"status_str": "success", "completed": true}},
		"a/b": {"m~n": [10, 20, {"x": null}]}, "dup": 1, "dup": {"k": 2}, "": "empty key"}`
	for _, tc := range []struct {
		pointer, want string
		found         bool
	}{
		{"", "", true}, // the whole document: checked below
		{"/id-1/status", `{"status_str": "success", "completed": true}`, true},
		{"/id-1/status/completed", `true`, true},
		{"/id-1/prompt/1", `"id-1"`, true},
		{"/id-1/prompt/2/1", `{}`, true},
		{"/a~1b/m~0n/2/x", `null`, true},
		{"/a~1b/m~0n/1", `20`, true},
		{"/dup/k", `2`, true}, // the last "dup" is the one
		{"/", `"empty key"`, true},
		{"/id-2/status", ``, false},
		{"/id-1/status/missing", ``, false},
		{"/id-1/prompt/3", ``, false},
		{"/id-1/prompt/-", ``, false},
		{"/id-1/prompt/01", ``, false},
		{"/id-1/prompt/x", ``, false},
		{"/a~1b/m~0n/1/deeper", ``, false}, // a number has no members
	} {
		got, found, err := Select([]byte(doc), tc.pointer)
		if err != nil {
			t.Fatalf("Select(%q): %v", tc.pointer, err)
		}
		want := tc.want
		if tc.pointer == "" {
			want = doc
		}
		if found != tc.found || string(got) != want {
			t.Errorf("Select(%q) = %q, %v; want %q, %v", tc.pointer, got, found, want, tc.found)
		}
	}
}

func TestSelectErrors(t *testing.T) {
	for _, tc := range []struct{ doc, pointer string }{
		{`{"a":1}`, "a"},        // no leading slash
		{`{"a":1}`, "/a~"},      // ~ at the end
		{`{"a":1}`, "/a~2"},     // ~ before something else
		{`{"a":1} x`, "/a"},     // found, but the document is malformed after it
		{`{"a":1,"b":[}`, "/a"}, // ditto, inside
		{`<html>`, "/a"},
		{``, ""},
	} {
		if v, found, err := Select([]byte(tc.doc), tc.pointer); err == nil {
			t.Errorf("Select(%q, %q) = %q, %v; want an error", tc.doc, tc.pointer, v, found)
		}
	}
}

func TestPointer(t *testing.T) {
	for _, tc := range []struct {
		tokens []string
		want   string
	}{
		{nil, ""},
		{[]string{"id", "status"}, "/id/status"},
		{[]string{"a/b", "m~n", "0"}, "/a~1b/m~0n/0"},
		{[]string{"~1"}, "/~01"},
		{[]string{""}, "/"},
	} {
		got := Pointer(tc.tokens...)
		if got != tc.want {
			t.Errorf("Pointer(%q) = %q, want %q", tc.tokens, got, tc.want)
		}
		tokens, err := splitPointer(got)
		if err != nil || len(tokens) != len(tc.tokens) || len(tokens) > 0 && !reflect.DeepEqual(tokens, tc.tokens) {
			t.Errorf("splitPointer(%q) = %q, %v; want %q", got, tokens, err, tc.tokens)
		}
	}
}

// FuzzSelect checks Select against encoding/json: the value it selects
// decodes to the value reached by walking encoding/json's tree of the
// document, it finds exactly what the walk finds, and it refuses exactly
// the documents encoding/json refuses.
func FuzzSelect(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), "/a")
		f.Add([]byte(s), "/tags/4")
	}
	f.Add([]byte(`{"a/b":{"~":[0,{"x":1}]}}`), "/a~1b/~0/1/x")
	f.Fuzz(func(t *testing.T, data []byte, pointer string) {
		tokens, perr := splitPointer(pointer)
		got, found, err := Select(data, pointer)
		want, wantErr := reference(data)
		switch {
		case perr != nil || wantErr != nil:
			if err == nil {
				t.Fatalf("Select(%q, %q) = %q, %v; want an error (pointer: %v, encoding/json: %v)", data, pointer, got, found, perr, wantErr)
			}
			return
		case err != nil:
			t.Fatalf("Select(%q, %q): %v; encoding/json reads the document", data, pointer, err)
		}
		v, ok := walk(want, tokens)
		if found != ok {
			t.Fatalf("Select(%q, %q) found %v, the walk %v", data, pointer, found, ok)
		}
		if !found {
			return
		}
		g, gerr := reference(got)
		if gerr != nil || !reflect.DeepEqual(g, v) {
			t.Fatalf("Select(%q, %q) = %q (%v), the walk: %#v", data, pointer, got, gerr, v)
		}
	})
}

// walk follows tokens through an encoding/json tree.
func walk(v any, tokens []string) (any, bool) {
	for _, tok := range tokens {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// BenchmarkSelect selects the status of BenchmarkSkip's history answer,
// as the host does for get_job_status; the whole answer is still read.
func BenchmarkSelect(b *testing.B) {
	data := []byte(historyAnswer)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, found, err := Select(data, "/24e8/status"); !found || err != nil {
			b.Fatal(found, err)
		}
	}
}
