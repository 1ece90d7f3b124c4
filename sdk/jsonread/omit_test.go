package jsonread

import (
	"reflect"
	"testing"
)

func TestOmit(t *testing.T) {
	const queue = `{"queue_running": [[0, "a", {"1": {"inputs": {}}}, {"client_id": "c"}, ["1"]]],
 "queue_pending": [[2, "c", {}, {"extra_pnginfo": {}}, []], [1, "b", {"2": {}}, {}, ["2"]]]}`
	for _, tc := range []struct {
		patterns []string
		want     string
	}{
		{nil, queue},
		{[]string{"/queue_running/*/2", "/queue_running/*/3", "/queue_pending/*/2", "/queue_pending/*/3"},
			`{"queue_running": [[0, "a", null, null, ["1"]]],
 "queue_pending": [[2, "c", null, null, []], [1, "b", null, null, ["2"]]]}`},
		{[]string{"/*/*/2"}, `{"queue_running": [[0, "a", null, {"client_id": "c"}, ["1"]]],
 "queue_pending": [[2, "c", null, {"extra_pnginfo": {}}, []], [1, "b", null, {}, ["2"]]]}`},
		{[]string{"/queue_pending/1", "/queue_running"}, `{"queue_running": null,
 "queue_pending": [[2, "c", {}, {"extra_pnginfo": {}}, []], null]}`},
		{[]string{"/queue_pending/*/3/extra_pnginfo", "/nothing/*", "/queue_running/0/9"}, `{"queue_running": [[0, "a", {"1": {"inputs": {}}}, {"client_id": "c"}, ["1"]]],
 "queue_pending": [[2, "c", {}, {"extra_pnginfo": null}, []], [1, "b", {"2": {}}, {}, ["2"]]]}`},
		{[]string{"/queue_running/*", "/queue_running/0/1"}, `{"queue_running": [null],
 "queue_pending": [[2, "c", {}, {"extra_pnginfo": {}}, []], [1, "b", {"2": {}}, {}, ["2"]]]}`},
	} {
		got, err := Omit([]byte(queue), tc.patterns)
		if err != nil || string(got) != tc.want {
			t.Errorf("Omit(%q) =\n%s, %v\nwant\n%s", tc.patterns, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		doc     string
		pattern string
	}{{`{}`, ""}, {`{}`, "a"}, {`{}`, "/a~"}, {`{"a": 1} x`, "/a"}, {`{"a": [}`, "/b"}} {
		if got, err := Omit([]byte(bad.doc), []string{bad.pattern}); err == nil {
			t.Errorf("Omit(%q, %q) = %q; want an error", bad.doc, bad.pattern, got)
		}
	}
}

// FuzzOmit checks Omit against encoding/json's tree: its output decodes to
// the document's tree with the named values set to nil, and it refuses
// exactly what encoding/json refuses.
func FuzzOmit(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), "/a", "/*/0")
	}
	f.Add([]byte(`{"q":[[1,"a",{"x":1}],[2,"b",{}]]}`), "/q/*/2", "/q/1")
	f.Fuzz(func(t *testing.T, data []byte, p1, p2 string) {
		patterns := []string{p1, p2}
		pats, perr := splitPatterns(patterns)
		got, err := Omit(data, patterns)
		want, wantErr := reference(data)
		if perr != nil || wantErr != nil {
			if err == nil {
				t.Fatalf("Omit(%q, %q) = %q; want an error (patterns: %v, encoding/json: %v)", data, patterns, got, perr, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Omit(%q, %q): %v; encoding/json reads the document", data, patterns, err)
		}
		g, gerr := reference(got)
		want = omitTree(want, pats)
		if gerr != nil || !reflect.DeepEqual(g, want) {
			t.Fatalf("Omit(%q, %q) = %q (%v), want the tree %#v", data, patterns, got, gerr, want)
		}
	})
}

// omitTree is Omit on an encoding/json tree.
func omitTree(v any, pats [][]string) any {
	for _, p := range pats {
		if len(p) == 0 {
			return nil
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if sub := follow(pats, func(t string) bool { return t == k }); len(sub) > 0 {
				x[k] = omitTree(e, sub)
			}
		}
	case []any:
		for i, e := range x {
			if sub := follow(pats, func(t string) bool { n, ok := arrayIndex(t); return ok && n == i }); len(sub) > 0 {
				x[i] = omitTree(e, sub)
			}
		}
	}
	return v
}

func TestShape(t *testing.T) {
	const doc = `{"j": {"prompt": [0, "j", {"1": {}}], "status": {"completed": true}}}`
	for _, tc := range []struct {
		pointer string
		omit    []string
		want    string
	}{
		{"", nil, doc},
		{"/j/status", nil, `{"completed": true}`},
		{"/j", []string{"/prompt/2"}, `{"prompt": [0, "j", null], "status": {"completed": true}}`},
		{"", []string{"/*/prompt"}, `{"j": {"prompt": null, "status": {"completed": true}}}`},
		{"/k", []string{"/prompt"}, ``},
	} {
		got, err := Shape([]byte(doc), tc.pointer, tc.omit)
		if err != nil || string(got) != tc.want || tc.want == "" && got != nil {
			t.Errorf("Shape(%q, %q) = %q, %v; want %q", tc.pointer, tc.omit, got, err, tc.want)
		}
	}
	if _, err := Shape([]byte(`<html>`), "/j", nil); err == nil {
		t.Error("Shape accepted an answer that is not JSON")
	}
}
