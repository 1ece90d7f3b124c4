package sdk

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

type defsMemory struct {
	TotalBytes int64   `json:"total_bytes"`
	FreeBytes  int64   `json:"free_bytes"`
	TotalGiB   float64 `json:"total_gib"`
	FreeGiB    float64 `json:"free_gib"`
}

type defsDevice struct {
	Name string     `json:"name"`
	VRAM defsMemory `json:"vram"`
}

type defsServer struct {
	Name    string       `json:"name"`
	RAM     *defsMemory  `json:"ram,omitempty"`
	Devices []defsDevice `json:"devices,omitempty"`
}

type defsStats struct {
	RAM     defsMemory   `json:"ram"`
	Devices []defsDevice `json:"devices"`
	Servers []defsServer `json:"servers,omitempty"`
	Swap    *defsMemory  `json:"swap"` // may be null: written in place
}

type defsPair struct{ A, B defsSmall }

type defsSmall struct {
	N int `json:"n"`
}

func TestOutputSchemaDefs(t *testing.T) {
	mem := `{"type":"object","properties":{"total_bytes":{"type":"integer"},"free_bytes":{"type":"integer"},"total_gib":{"type":"number"},"free_gib":{"type":"number"}},"required":["total_bytes","free_bytes","total_gib","free_gib"]}`
	tests := []struct {
		name  string
		typ   reflect.Type
		want  string
		value any
	}{
		{"repeated types are described once", reflect.TypeFor[defsStats](),
			`{"type":"object","properties":{"ram":{"$ref":"#/$defs/defsMemory"},"devices":{"type":["array","null"],"items":{"$ref":"#/$defs/defsDevice"}},"servers":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"ram":{"$ref":"#/$defs/defsMemory"},"devices":{"type":"array","items":{"$ref":"#/$defs/defsDevice"}}},"required":["name"]}},` +
				`"swap":{"type":["object","null"],"properties":{"total_bytes":{"type":"integer"},"free_bytes":{"type":"integer"},"total_gib":{"type":"number"},"free_gib":{"type":"number"}},"required":["total_bytes","free_bytes","total_gib","free_gib"]}},"required":["ram","devices"],` +
				`"$defs":{"defsMemory":` + mem + `,"defsDevice":{"type":"object","properties":{"name":{"type":"string"},"vram":{"$ref":"#/$defs/defsMemory"}},"required":["name","vram"]}}}`,
			defsStats{Devices: []defsDevice{{Name: "cuda:0"}}, Servers: []defsServer{{Name: "a", RAM: &defsMemory{TotalBytes: 1}}}}},
		{"a small type is cheaper in place", reflect.TypeFor[defsPair](),
			`{"type":"object","properties":{"A":{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]},"B":{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}},"required":["A","B"]}`,
			defsPair{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := compileRoot(tt.typ, modeOutput)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(n.outputSchema())
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			inline, _ := json.Marshal(n.schema())
			if len(got) > len(inline) {
				t.Errorf("with $defs %d bytes, in place %d", len(got), len(inline))
			}
			// A JSON Schema validator resolves the references, and what
			// encoding/json writes for the type is valid.
			doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(got))
			c := jsonschema.NewCompiler()
			if err := c.AddResource("out.json", doc); err != nil {
				t.Fatal(err)
			}
			s, err := c.Compile("out.json")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(tt.value)
			inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err := s.Validate(inst); err != nil {
				t.Errorf("%s does not validate: %v", b, err)
			}
			bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"ram":{"total_bytes":"x"},"devices":[],"swap":null,"A":{},"B":{}}`)))
			if s.Validate(bad) == nil {
				t.Error("a wrong value validates: the references check nothing")
			}
		})
	}
}

// isDefName is the regular expression it replaced (the SDK does not
// import regexp when built with easel_nopattern).
func TestIsDefName(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	for _, name := range []string{"", "a", "A9", "_", "_x_1", "9a", "a-b", "a b", "é", "aé", "Memory", "List[int]", "x\n", "Z", "z0"} {
		if got, want := isDefName(name), re.MatchString(name); got != want {
			t.Errorf("isDefName(%q) = %v, the expression says %v", name, got, want)
		}
	}
}
