package mcpserver

import (
	"encoding/json"
	"os"
	"testing"
)

// quickSchemas are schemas in the quick check's subset, each keyword of it
// used at least once; the fuzz test adds the bundled tools' own.
var quickSchemas = []string{
	`{"type":"object","properties":{"id":{"type":"string"},"n":{"type":"integer"},"x":{"type":"number"},"ok":{"type":"boolean"},"tags":{"type":["array","null"],"items":{"type":"string"}}},"required":["id","n"]}`,
	`{"type":"object","properties":{"state":{"type":"string","enum":["a","b\n","é"]}},"additionalProperties":false,"required":["state"]}`,
	`{"type":"object","additionalProperties":{"type":"integer"},"required":["only_required"]}`,
	`{"$defs":{"node":{"type":"object","properties":{"name":{"type":"string"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["name"]}},"$ref":"#/$defs/node"}`,
	`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false}`,
	`{"type":"object","properties":{"any":true,"none":false,"null":{"type":"null","description":"nothing"}}}`,
	`true`,
}

func TestQuickSchemaSubset(t *testing.T) {
	outside := []string{
		`{"type":"string","minLength":1}`,
		`{"type":"string","format":"email"}`,
		`{"type":"string","pattern":"^a"}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`,
		`{"type":"object","properties":{"n":{"type":"integer","minimum":0}}}`,
		`{"enum":[1,2]}`,
		`{"type":"array","items":[{"type":"string"}]}`,
		`{"$ref":"#/$defs/x","type":"object","$defs":{"x":{}}}`,
		`{"$ref":"#/definitions/x","definitions":{"x":{}}}`,
		`{"$ref":"#/$defs/missing"}`,
		`{"type":"object","properties":{"a":{"$id":"other"}}}`,
		`{"anyOf":[{"type":"string"},{"type":"null"}]}`,
		`{"type":"strin"}`,
		`{"type":[]}`,
		`{"properties":{"a":{"type":"object","$schema":"https://json-schema.org/draft/2020-12/schema"}}}`,
	}
	for _, s := range quickSchemas {
		if compileQuickSchema([]byte(s)) == nil {
			t.Errorf("%s: outside the subset, want inside", s)
		}
	}
	for _, s := range outside {
		if compileQuickSchema([]byte(s)) != nil {
			t.Errorf("%s: inside the subset, want outside (the full validator alone)", s)
		}
	}
}

func TestQuickSchemaAccepts(t *testing.T) {
	tests := []struct {
		schema int // index in quickSchemas
		data   string
		quick  bool // the quick check vouches
		valid  bool // the full validator accepts
	}{
		{0, `{"id":"x","n":3}`, true, true},
		{0, `{"id":"x","n":3,"x":2.5e-3,"ok":false,"tags":null,"more":{"a":[1]}}`, true, true},
		{0, `{"id":"x","n":3,"tags":["a","b"]}`, true, true},
		{0, `{"id":"x","n":3.0}`, false, true}, // an integer written with a fraction: the full validator decides
		{0, `{"id":"x","n":1e2}`, false, true},
		{0, `{"id":"x","n":3.5}`, false, false},
		{0, `{"id":"x"}`, false, false},
		{0, `{"id":1,"n":3}`, false, false},
		{0, `{"id":"x","n":3,"tags":[1]}`, false, false},
		{0, `{"id":"x","n":3,"tags":{}}`, false, false},
		{0, `[]`, false, false},
		{0, `{"id":"x","n":3} {}`, false, false},
		{0, `{"id":"x","n":3`, false, false},
		{1, `{"state":"b\n"}`, true, true},
		{1, `{"state":"\u00e9"}`, true, true},
		{1, `{"state":"c"}`, false, false},
		{1, `{"state":"a","other":1}`, false, false},
		{1, `{"st\u0061te":"a"}`, true, true},
		{2, `{"only_required":1,"b":2}`, true, true},
		{2, `{"only_required":"x"}`, false, false},
		{2, `{"b":2}`, false, false},
		{3, `{"name":"root","kids":[{"name":"a","kids":[]},{"name":"b"}]}`, true, true},
		{3, `{"name":"root","kids":[{"kids":[]}]}`, false, false},
		{4, `[]`, true, true},
		{4, `[1]`, false, false},
		{5, `{"any":[{"x":null}],"null":null}`, true, true},
		{5, `{"none":1}`, false, false},
		{5, `{"null":0}`, false, false},
		{6, `{"a":[1,"2",true,null]}`, true, true},
		{6, `{"a":`, false, false},
	}
	for _, tt := range tests {
		schema, err := compileOutputSchema("t", json.RawMessage(quickSchemas[tt.schema]))
		if err != nil || schema.quick == nil {
			t.Fatalf("schema %d: %v (quick %v)", tt.schema, err, schema.quick != nil)
		}
		if got := schema.quick.accepts([]byte(tt.data)); got != tt.quick {
			t.Errorf("schema %d, %s: quick check vouches %v, want %v", tt.schema, tt.data, got, tt.quick)
		}
		if err := validateTree(schema.full, []byte(tt.data)); (err == nil) != tt.valid {
			t.Errorf("schema %d, %s: full validator: %v, want valid=%v", tt.schema, tt.data, err, tt.valid)
		}
		if err := validateOutput(schema, []byte(tt.data)); (err == nil) != tt.valid {
			t.Errorf("schema %d, %s: validateOutput: %v, want valid=%v", tt.schema, tt.data, err, tt.valid)
		}
	}
}

// bundledOutputSchemas are the outputSchemas of easel's bundled tools.
func bundledOutputSchemas(t testing.TB) map[string]string {
	b, err := os.ReadFile("../bundled/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Plugins []struct {
			Name string
			Tool struct {
				OutputSchema json.RawMessage `json:"outputSchema"`
			}
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range m.Plugins {
		if len(p.Tool.OutputSchema) > 0 {
			out[p.Name] = string(p.Tool.OutputSchema)
		}
	}
	return out
}

// Every bundled tool's results take the quick path.
func TestQuickSchemaCoversTheBundledTools(t *testing.T) {
	schemas := bundledOutputSchemas(t)
	if len(schemas) < 10 {
		t.Fatalf("%d bundled output schemas, want the bundled tools'", len(schemas))
	}
	for name, s := range schemas {
		if compileQuickSchema([]byte(s)) == nil {
			t.Errorf("%s: its outputSchema is outside the quick check's subset", name)
		}
	}
}

// FuzzQuickSchemaOnlyVouches holds the quick check to its promise: what it
// accepts, the full validator accepts.
func FuzzQuickSchemaOnlyVouches(f *testing.F) {
	schemas := append([]string(nil), quickSchemas...)
	for _, s := range bundledOutputSchemas(f) {
		schemas = append(schemas, s)
	}
	compiled := make([]*outputSchema, len(schemas))
	for i, s := range schemas {
		var err error
		if compiled[i], err = compileOutputSchema("t", json.RawMessage(s)); err != nil || compiled[i].quick == nil {
			f.Fatalf("%s: %v", s, err)
		}
	}
	for i := range schemas {
		f.Add(uint8(i), []byte(`{"id":"x","n":3,"state":"a","name":"n","prompt_id":"p","found":true,"running":false,"pending":false,"done":true}`))
	}
	f.Add(uint8(0), []byte(`{"id":"x","n":-0,"x":1E+2,"tags":["\ud800"]}`))
	f.Add(uint8(1), []byte(`{"state":"a","state":"z"}`))
	f.Fuzz(func(t *testing.T, i uint8, data []byte) {
		s := compiled[int(i)%len(compiled)]
		if s.quick.accepts(data) {
			if err := validateTree(s.full, data); err != nil {
				t.Fatalf("schema %s, %q: the quick check vouched, the full validator refuses: %v", schemas[int(i)%len(schemas)], data, err)
			}
		}
	})
}
