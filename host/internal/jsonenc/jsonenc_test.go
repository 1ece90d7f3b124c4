package jsonenc

import (
	"encoding/json"
	"testing"
)

var seeds = []string{"", "plain", "a\"b\\c", "<&>", "\b\f\n\r\t\x00\x1f\x7f", "\u2028\u2029é😀", "\xff\xfe", "\xe2\x80", "x\xe2\x80\xa8y"}

func TestAppendStringIsMarshal(t *testing.T) {
	for _, s := range seeds {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("prefix"), s); string(got) != "prefix"+string(want) {
			t.Errorf("%q: %s, json.Marshal %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: %s, json.Marshal %s", s, got, want)
		}
	})
}

var raws = []string{`{"a":1}`, ` { "x" : "<&>" } `, `{"s":"x y\\"z\\\\","n":[1,2.5,{}],"e":"\\u003c\\u2028","u":"\xff"}`, `{"t":"\u2028"}`, `[1, 2]`, `{"a":}`, ``, `null`}

func FuzzAppendRaw(f *testing.F) {
	for _, s := range raws {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, werr := json.Marshal(json.RawMessage(raw))
		got, err := AppendRaw(nil, raw)
		if (err == nil) != (werr == nil) || err == nil && string(got) != string(want) {
			t.Fatalf("%q: %s, %v; json.Marshal %s, %v", raw, got, err, want, werr)
		}
	})
}
