package sdk

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestReadCallInput(t *testing.T) {
	tests := []struct {
		input string
		want  callInput
		err   bool
	}{
		{`{"tool":"t","arguments":{"n":1,"s":["a"]}}`, callInput{object: true, tool: "t", args: map[string]any{"n": json.Number("1"), "s": []any{"a"}}}, false},
		{`{"arguments":{}}`, callInput{object: true, args: map[string]any{}}, false},
		{`{"tool":"a","tool":"b"}`, callInput{object: true, tool: "b"}, false},
		{`{"tool":"a","tool":1}`, callInput{object: true}, false},
		{`{"tool":"t","arguments":null,"resume":{"job":{"prompt_id":"p"}}}`, callInput{object: true, tool: "t", resume: map[string]any{"job": map[string]any{"prompt_id": "p"}}}, false},
		{`{"prompt":"summarise","arguments":{}}`, callInput{object: true, feature: true, args: map[string]any{}}, false},
		{`{"resource":null}`, callInput{object: true, feature: true}, false},
		{`{"complete":{}}`, callInput{object: true, feature: true}, false},
		{`[1]`, callInput{}, false},
		{`{"tool":"t"`, callInput{}, true},
		{`{"tool":"t"} x`, callInput{}, true},
	}
	for _, tt := range tests {
		got, err := readCallInput([]byte(tt.input))
		if (err != nil) != tt.err {
			t.Errorf("%s: error %v, want error %v", tt.input, err, tt.err)
			continue
		}
		if !tt.err && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %#v, want %#v", tt.input, got, tt.want)
		}
	}
}
