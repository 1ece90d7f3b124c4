package jsonread

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

var seeds = []string{
	`{"prompt_id":"x","steps":20,"cfg":7.5,"seed":18446744073709551615,"tags":["a",1,true,null,{}],"n":{"m":[]}}`,
	`{"a":1,"a":2}`, ` [1, -0.5e10 , "\u00e9\ud83d\ude00"] `, `"\ud800"`, `"\ud800\ud800"`, `"\udc00\udc00x"`, `"\ud83d\u0041"`,
	"\"\xff\xfe ok\"", `{"k\u0000":"v\n\t\"\\/\b\f\r"}`, `"\uD83D\uDE00"`, `"\u12"`, `"\uZZZZ"`, `"\ud800\uZZZZ"`,
	`{"a":1} {}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `-`, `-01`, `1e`, `1e+`, `2E-3`, `"\x"`, `{"a" 1}`, ``, ` `, `nul`, `true false`,
	"\"a\x01b\"", `{"a":{"b":{"c":[[[[]]]]}}}`, ` { } `, `[ [ ] , { } ]`, `{"a" : [ 1 , "x" , true , false , null ] }`, `[1 2]`, `{"a":1,"b"}`, `[tru]`, `[-]`, `{"a":[}`, `1e400`, `-0`, `{"":""}`, `{,}`, `[,1]`, `{"a":}`, `tru`, `nulll`, `{"a":1 "b":2}`,
}

func reference(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

// FuzzLikeEncodingJSON checks that a Reader accepts exactly what
// encoding/json accepts, skipping or reading, and reads the same values.
func FuzzLikeEncodingJSON(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := reference(data)
		r := New(data)
		got := r.Any()
		err := r.End()
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, encoding/json: %v", data, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read %#v, encoding/json: %#v", data, got, want)
		}
		r = New(data)
		got = anyByKeyBytes(r)
		if err := r.End(); (err == nil) != (wantErr == nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: ObjectBytes read %#v, %v; encoding/json: %#v, %v", data, got, err, want, wantErr)
		}
		skip := New(data)
		skip.Skip()
		if (skip.End() == nil) != json.Valid(data) {
			t.Fatalf("%q: Skip says valid=%v, json.Valid %v", data, skip.End() == nil, json.Valid(data))
		}
		// Skip's loop stops where reading the value stops, and fails as
		// reading it fails.
		skip, read := New(data), New(data)
		skip.Skip()
		read.Any()
		if skip.pos != read.pos && read.err == nil || fmt.Sprint(skip.err) != fmt.Sprint(read.err) {
			t.Fatalf("%q: Skip ends at %d with %v, Any at %d with %v", data, skip.pos, skip.err, read.pos, read.err)
		}
	})
}

// anyByKeyBytes is Any with every object read by ObjectBytes, strings by
// StringBytes and numbers by NumberBytes.
func anyByKeyBytes(r *Reader) any {
	switch r.Kind() {
	case String:
		return string(r.StringBytes())
	case Number:
		return json.Number(r.NumberBytes())
	case Object:
		obj := map[string]any{}
		r.ObjectBytes(func(key []byte) { obj[string(key)] = anyByKeyBytes(r) })
		return obj
	case Array:
		items := []any{}
		r.Array(func(int) { items = append(items, anyByKeyBytes(r)) })
		return items
	}
	return r.Any()
}

func TestSeeds(t *testing.T) {
	for _, s := range seeds {
		want, wantErr := reference([]byte(s))
		r := New([]byte(s))
		got := r.Any()
		if err := r.End(); (err == nil) != (wantErr == nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %#v, %v; encoding/json: %#v, %v", s, got, err, want, wantErr)
		}
	}
}

func TestSkipAndBytesReadersAllocateNothing(t *testing.T) {
	data := []byte(`{"skip":{"deep":[1,-2.5e3,{"x":"\u00e9"}]},"keep":"yes","n":18446744073709551615,"t":true,"z":null}`)
	if n := testing.AllocsPerRun(100, func() {
		r := New(data)
		r.Skip()
	}); n != 0 {
		t.Errorf("Skip: %v allocations, want 0", n)
	}
	var keys int
	if n := testing.AllocsPerRun(100, func() {
		r := New(data)
		r.ObjectBytes(func(key []byte) {
			switch string(key) {
			case "keep":
				if string(r.StringBytes()) == "yes" {
					keys++
				}
			case "n":
				if len(r.NumberBytes()) == 20 {
					keys++
				}
			}
		})
	}); n != 0 {
		t.Errorf("ObjectBytes: %v allocations, want 0", n)
	}
	if keys != 2*101 {
		t.Errorf("ObjectBytes matched %d keys, want %d", keys, 2*101)
	}
}

func TestUnreadValuesAreSkipped(t *testing.T) {
	r := New([]byte(`{"skip":{"deep":[1,{"x":"\u00e9"}]},"keep":"yes","raw":[1, 2],"n":-3,"f":2.5}`))
	var keep string
	var raw []byte
	var n int64
	var f float64
	r.Object(func(key string) {
		switch key {
		case "keep":
			keep = r.String()
		case "raw":
			raw = r.Raw()
		case "n":
			n = r.Int()
		case "f":
			f = r.Float()
		}
	})
	if err := r.End(); err != nil || keep != "yes" || string(raw) != "[1, 2]" || n != -3 || f != 2.5 {
		t.Fatalf("keep %q raw %s n %d f %v err %v", keep, raw, n, f, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		json string
		read func(r *Reader)
		want string
	}{
		{`"x"`, func(r *Reader) { r.Int() }, "looking for a number"},
		{`1.5`, func(r *Reader) { r.Int() }, "number 1.5 is not an int64"},
		{`99999999999999999999`, func(r *Reader) { r.Int() }, "is not an int64"},
		{`[1]`, func(r *Reader) { r.Object(func(string) {}) }, "invalid character '[' looking for the beginning of an object at offset 0"},
		{`{"a":1`, func(r *Reader) { r.Skip() }, "unexpected end of JSON input"},
		{`{"a":x}`, func(r *Reader) { r.Skip() }, "invalid character 'x' looking for beginning of value at offset 5"},
		{`1 2`, func(r *Reader) { r.Skip() }, "invalid character '2' after the top-level value at offset 2"},
		{strings.Repeat("[", maxDepth+1), func(r *Reader) { r.Skip() }, "exceeded max depth"},
	}
	for _, tt := range tests {
		r := New([]byte(tt.json))
		tt.read(r)
		if err := r.End(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%.20s: error %v, want %q", tt.json, err, tt.want)
		}
	}
}

// historyAnswer is a recorded GET /history/{id} answer, its id shortened.
const historyAnswer = `{"24e8":{"prompt":[0,"24e8",{"1":{"class_type":"EmptyImage","inputs":{"width":64,"height":64,"batch_size":1,"color":0}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"test"}}},{"client_id":"rec-client-a"},["2"]],"outputs":{"2":{"images":[{"filename":"test_00001_.png","subfolder":"","type":"output"}]}},"status":{"status_str":"success","completed":true,"messages":[["execution_start",{"prompt_id":"24e8","timestamp":1795750301018}],["execution_cached",{"nodes":[],"prompt_id":"24e8","timestamp":1795750301019}],["execution_success",{"prompt_id":"24e8","timestamp":1795750301025}]]}}}`

func BenchmarkHistoryEntry(b *testing.B) {
	data := []byte(historyAnswer)
	b.ReportAllocs()
	for b.Loop() {
		r := New(data)
		r.Any()
		if err := r.End(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSkip skips the history answer of BenchmarkHistoryEntry, as a
// reader does with every member it does not read.
func BenchmarkSkip(b *testing.B) {
	data := []byte(historyAnswer)
	b.ReportAllocs()
	for b.Loop() {
		r := New(data)
		r.Skip()
		if err := r.End(); err != nil {
			b.Fatal(err)
		}
	}
}
