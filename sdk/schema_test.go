package sdk

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Types whose schemas the golden tests pin.
type (
	jobInput struct {
		PromptID string `json:"prompt_id" description:"The prompt ID returned by enqueue_workflow"`
		Verbose  bool   `json:"verbose,omitempty" description:"Include the raw history entry"`
		Steps    int    `json:"steps,omitempty" default:"20" minimum:"1" maximum:"150"`
		Sampler  string `json:"sampler,omitempty" enum:"euler,euler_ancestral,dpmpp_2m" default:"euler"`
	}
	scalars struct {
		I8   int8        `json:"i8"`
		U16  uint16      `json:"u16"`
		F32  float32     `json:"f32"`
		F64  float64     `json:"f64" minimum:"0.5" maximum:"1e3"`
		Num  json.Number `json:"num"`
		Data []byte      `json:"data"`
		At   time.Time   `json:"at"`
		Name string      `json:"name" minLength:"1" maxLength:"8" pattern:"^[a-z]+$"`
		Size int         `json:"size" enum:"512, 768,1024"`
	}
	containers struct {
		Tags     []string           `json:"tags" minItems:"1" maxItems:"4" enum:"a,b"`
		Sizes    [2]int             `json:"sizes" minimum:"64"`
		Weights  map[string]float64 `json:"weights,omitempty"`
		Workflow map[string]any     `json:"workflow"`
		Extra    any                `json:"extra,omitempty" description:"Anything"`
		Raw      json.RawMessage    `json:"raw,omitempty"`
		Note     *string            `json:"note" description:"Optional note" maxLength:"10"`
		Count    *int               `json:"count" default:"3"`
		Images   []imageRef         `json:"images,omitempty"`
	}
	imageRef struct {
		Filename  string `json:"filename"`
		Subfolder string `json:"subfolder,omitempty"`
	}
	// Embedding, as encoding/json: Base's fields flatten, the outer
	// (shallower) Name wins, the tagged Shadow wins over the untagged one
	// at the same depth, and Dup, defined twice at depth 1, disappears.
	embedBase struct {
		Name   string `json:"name"`
		ID     string `json:"id"`
		Shadow string
		Dup    string
	}
	embedOther struct {
		Shadow string `json:"Shadow"`
		Dup    string
	}
	embedded struct {
		embedBase
		embedOther
		*EmbedPtr
		Name    string `json:"name" description:"outer wins"`
		Ignored string `json:"-"`
		hidden  string
		Dash    string `json:"-,omitempty"`
		Zero    int    `json:",omitzero"`
	}
	// EmbedPtr is exported so that it can be embedded as a pointer, which
	// decoding allocates.
	EmbedPtr struct {
		Seed uint64 `json:"seed,omitempty"`
	}
	// EmbedOut's fields vanish from encoding/json's output when the
	// pointer is nil, so an outputSchema must not require them.
	EmbedOut struct {
		Seed uint64 `json:"seed"`
	}
	outEmbed struct {
		*EmbedOut
		ID string `json:"id"`
	}
	unexportedPtrEmbed struct {
		*embedBase
	}
	empty  struct{}
	status struct {
		PromptID string            `json:"prompt_id"`
		Found    bool              `json:"found"`
		Outputs  []imageRef        `json:"outputs"`
		Meta     map[string]string `json:"meta"`
		Error    *string           `json:"error"`
		Detail   *imageRef         `json:"detail,omitempty"`
		Raw      []byte            `json:"raw"`
	}
)

func schemaOf(t *testing.T, typ reflect.Type, m mode) string {
	t.Helper()
	n, err := compileRoot(typ, m)
	if err != nil {
		t.Fatalf("compile %s: %v", typ, err)
	}
	b, err := json.Marshal(n.schema())
	if err != nil {
		t.Fatalf("marshal schema of %s: %v", typ, err)
	}
	return string(b)
}

func TestSchemaGolden(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		mode mode
		want string
	}{
		{"job input", reflect.TypeFor[jobInput](), modeInput, `{"type":"object","properties":{"prompt_id":{"type":"string","description":"The prompt ID returned by enqueue_workflow"},"verbose":{"type":"boolean","description":"Include the raw history entry"},"steps":{"type":"integer","default":20,"minimum":1,"maximum":150},"sampler":{"type":"string","enum":["euler","euler_ancestral","dpmpp_2m"],"default":"euler"}},"required":["prompt_id"],"additionalProperties":false}`},
		{"scalars", reflect.TypeFor[scalars](), modeInput, `{"type":"object","properties":{"i8":{"type":"integer"},"u16":{"type":"integer","minimum":0},"f32":{"type":"number"},"f64":{"type":"number","minimum":0.5,"maximum":1000},"num":{"type":"number"},"data":{"type":"string","contentEncoding":"base64"},"at":{"type":"string","format":"date-time"},"name":{"type":"string","minLength":1,"maxLength":8,"pattern":"^[a-z]+$"},"size":{"type":"integer","enum":[512,768,1024]}},"required":["i8","u16","f32","f64","num","data","at","name","size"],"additionalProperties":false}`},
		{"containers", reflect.TypeFor[containers](), modeInput, `{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","enum":["a","b"]},"minItems":1,"maxItems":4},"sizes":{"type":"array","items":{"type":"integer","minimum":64},"minItems":2,"maxItems":2},"weights":{"type":"object","additionalProperties":{"type":"number"}},"workflow":{"type":"object"},"extra":{"description":"Anything"},"raw":{},"note":{"type":"string","description":"Optional note","maxLength":10},"count":{"type":"integer","default":3},"images":{"type":"array","items":{"type":"object","properties":{"filename":{"type":"string"},"subfolder":{"type":"string"}},"required":["filename"],"additionalProperties":false}}},"required":["tags","sizes","workflow"],"additionalProperties":false}`},
		{"embedded", reflect.TypeFor[embedded](), modeInput, `{"type":"object","properties":{"id":{"type":"string"},"Shadow":{"type":"string"},"seed":{"type":"integer","minimum":0},"name":{"type":"string","description":"outer wins"},"-":{"type":"string"},"Zero":{"type":"integer"}},"required":["id","Shadow","name"],"additionalProperties":false}`},
		{"pointer to struct", reflect.TypeFor[*imageRef](), modeInput, `{"type":"object","properties":{"filename":{"type":"string"},"subfolder":{"type":"string"}},"required":["filename"],"additionalProperties":false}`},
		{"empty", reflect.TypeFor[empty](), modeInput, `{"type":"object","properties":{},"additionalProperties":false}`},
		{"output", reflect.TypeFor[status](), modeOutput, `{"type":"object","properties":{"prompt_id":{"type":"string"},"found":{"type":"boolean"},"outputs":{"type":["array","null"],"items":{"type":"object","properties":{"filename":{"type":"string"},"subfolder":{"type":"string"}},"required":["filename"]}},"meta":{"type":["object","null"],"additionalProperties":{"type":"string"}},"error":{"type":["string","null"]},"detail":{"type":"object","properties":{"filename":{"type":"string"},"subfolder":{"type":"string"}},"required":["filename"]},"raw":{"type":["string","null"],"contentEncoding":"base64"}},"required":["prompt_id","found","outputs","meta","raw"]}`},
		{"embedded pointer, input", reflect.TypeFor[outEmbed](), modeInput, `{"type":"object","properties":{"seed":{"type":"integer","minimum":0},"id":{"type":"string"}},"required":["seed","id"],"additionalProperties":false}`},
		{"embedded pointer, output", reflect.TypeFor[outEmbed](), modeOutput, `{"type":"object","properties":{"seed":{"type":"integer","minimum":0},"id":{"type":"string"}},"required":["id"]}`},
		{"nested defaults", reflect.TypeFor[nestedInput](), modeInput, `{"type":"object","properties":{"paging":{"type":"object","default":{},"properties":{"filter":{"type":"object","default":{},"properties":{"status":{"type":"string","enum":["success","error","any"],"default":"any"},"max_items":{"type":"integer","default":5,"minimum":1}},"additionalProperties":false},"page":{"type":"integer"}},"additionalProperties":false},"ptr":{"type":"object","properties":{"status":{"type":"string","enum":["success","error","any"],"default":"any"},"max_items":{"type":"integer","default":5,"minimum":1}},"additionalProperties":false},"opt":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false},"req":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false}},"additionalProperties":false}`},
		{"required object", reflect.TypeFor[nestedRequired](), modeInput, `{"type":"object","properties":{"target":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false}},"required":["target"],"additionalProperties":false}`},
		{"output map", reflect.TypeFor[map[string]imageRef](), modeOutput, `{"type":"object","additionalProperties":{"type":"object","properties":{"filename":{"type":"string"},"subfolder":{"type":"string"}},"required":["filename"]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schemaOf(t, tt.typ, tt.mode); got != tt.want {
				t.Errorf("schema\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestSchemaErrors(t *testing.T) {
	type (
		minOnString struct {
			S string `minimum:"1"`
		}
		badEnum struct {
			N int8 `enum:"1,300"`
		}
		enumOnBool struct {
			B bool `enum:"true"`
		}
		badPattern struct {
			S string `pattern:"("`
		}
		badDefault struct {
			N int `default:"x"`
		}
		defaultRange struct {
			N int `default:"200" maximum:"150"`
		}
		defaultEnum struct {
			S string `enum:"a,b" default:"c"`
		}
		minItemsStr struct {
			S string `minItems:"1"`
		}
		negLength struct {
			S string `maxLength:"-1"`
		}
		stringOpt struct {
			N int `json:"n,string"`
		}
		chanField struct{ C chan int }
		funcField struct{ F func() }
		intKeys   struct{ M map[int]string }
		iface     struct{ E error }
		recursive struct{ Children []recursiveNode }
	)
	tests := []struct {
		name string
		typ  reflect.Type
		mode mode
		want string
	}{
		{"not a struct", reflect.TypeFor[string](), modeInput, "string is not a struct (or map[string]any): a tool's arguments are a JSON object"},
		{"typed map input", reflect.TypeFor[map[string]int](), modeInput, "is not a struct"},
		{"slice output", reflect.TypeFor[[]string](), modeOutput, "[]string is not a struct or a map with string keys"},
		{"minimum on string", reflect.TypeFor[minOnString](), modeInput, "field sdk.minOnString.S: tag minimum:\"1\": applies to numbers, not string"},
		{"enum out of range", reflect.TypeFor[badEnum](), modeInput, `enum value "300" is not a valid int8`},
		{"enum on bool", reflect.TypeFor[enumOnBool](), modeInput, "tag enum applies to strings and numbers, not bool"},
		{"bad pattern", reflect.TypeFor[badPattern](), modeInput, "tag pattern:\"(\": error parsing regexp"},
		{"default not JSON", reflect.TypeFor[badDefault](), modeInput, `default "x" is not JSON for int`},
		{"default out of range", reflect.TypeFor[defaultRange](), modeInput, `default "200": must be at most 150, got 200`},
		{"default not in enum", reflect.TypeFor[defaultEnum](), modeInput, `default "c": "c" is not one of a, b`},
		{"minItems on string", reflect.TypeFor[minItemsStr](), modeInput, "tag minItems applies to slices, not string"},
		{"negative length", reflect.TypeFor[negLength](), modeInput, `tag maxLength:"-1" is not a non-negative integer`},
		{"string option", reflect.TypeFor[stringOpt](), modeInput, `the json tag option "string" is not supported`},
		{"chan", reflect.TypeFor[chanField](), modeInput, "type chan int is not supported"},
		{"func", reflect.TypeFor[funcField](), modeOutput, "type func() is not supported"},
		{"int keys", reflect.TypeFor[intKeys](), modeInput, "map key type int is not supported"},
		{"interface with methods", reflect.TypeFor[iface](), modeInput, "interface type error is not supported"},
		{"unexported pointer embed", reflect.TypeFor[unexportedPtrEmbed](), modeInput, "embedded pointer to unexported struct type sdk.embedBase cannot be set"},
		{"recursive", reflect.TypeFor[recursive](), modeInput, "recursive type sdk.recursiveNode is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileRoot(tt.typ, tt.mode)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("compile %s: error %v, want one containing %q", tt.typ, err, tt.want)
			}
		})
	}
}

type recursiveNode struct {
	Name     string          `json:"name"`
	Children []recursiveNode `json:"children"`
}

func TestSchemaForMatchesRegistration(t *testing.T) {
	got, err := SchemaFor[jobInput]()
	if err != nil {
		t.Fatal(err)
	}
	if want := schemaOf(t, reflect.TypeFor[jobInput](), modeInput); string(got) != want {
		t.Errorf("SchemaFor = %s, want %s", got, want)
	}
	if _, err := SchemaFor[int](); err == nil {
		t.Error("SchemaFor[int] succeeded, want an error")
	}
}

// TestSchemaPropertiesMatchEncodingJSON checks the field rules against
// encoding/json itself: the properties of a derived schema are the keys
// json.Marshal writes, in the same order.
func TestSchemaPropertiesMatchEncodingJSON(t *testing.T) {
	note := "n"
	tests := []struct {
		name  string
		value any
	}{
		{"embedded", embedded{embedBase: embedBase{ID: "i", Shadow: "s", Dup: "d"}, embedOther: embedOther{Shadow: "t", Dup: "e"}, EmbedPtr: &EmbedPtr{Seed: 1}, Name: "n", Dash: "x", Zero: 1}},
		{"output", status{PromptID: "p", Error: &note, Detail: &imageRef{}}},
		{"containers", containers{Weights: map[string]float64{"a": 1}, Extra: 1, Raw: json.RawMessage("1"), Images: []imageRef{{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			n, err := compileRoot(reflect.TypeOf(tt.value), modeOutput)
			if err != nil {
				t.Fatal(err)
			}
			var props []string
			for _, f := range n.fields {
				props = append(props, f.name)
			}
			if got, want := strings.Join(props, ","), strings.Join(topLevelKeys(t, b), ","); got != want {
				t.Errorf("schema properties %s, encoding/json keys %s", got, want)
			}
		})
	}
}

// topLevelKeys lists the keys of a JSON object in document order.
func topLevelKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s is not an object", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
