package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// validated exercises every validation rule.
type validated struct {
	PromptID string         `json:"prompt_id"`
	Steps    int            `json:"steps,omitempty" default:"20" minimum:"1" maximum:"150"`
	Sampler  string         `json:"sampler,omitempty" enum:"euler,euler_ancestral,dpmpp_2m" default:"euler"`
	Images   []imageRef     `json:"images,omitempty" maxItems:"3"`
	Seed     uint64         `json:"seed,omitempty"`
	Small    int8           `json:"small,omitempty"`
	CFG      float32        `json:"cfg,omitempty" minimum:"0"`
	Name     string         `json:"name,omitempty" minLength:"2" maxLength:"5" pattern:"^\\p{Ll}+$"`
	Tags     []string       `json:"tags,omitempty" minItems:"1" enum:"a,b"`
	Pair     [2]int         `json:"pair,omitzero"`
	Data     []byte         `json:"data,omitempty"`
	At       time.Time      `json:"at,omitzero"`
	Opts     map[string]int `json:"opts,omitempty"`
	Flag     bool           `json:"flag,omitempty"`
	Note     *string        `json:"note"`
	Offset   int64          `json:"offset,omitempty" minimum:"-5"`
}

// decodeInto decodes an arguments JSON text into a T as a call would.
func decodeInto[T any](t *testing.T, args string) (T, error) {
	t.Helper()
	var out T
	n, err := compileRoot(reflect.TypeFor[T](), modeInput)
	if err != nil {
		t.Fatal(err)
	}
	v, err := decodeJSON([]byte(args))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", args, err)
	}
	return out, decodeObject(n, v, reflect.ValueOf(&out).Elem(), argumentWording)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		args string
		want string
	}{
		{`{}`, `argument "prompt_id" is required`},
		{`{"prompt_id":null}`, `argument "prompt_id" is required`},
		{`{"prompt_id":"x","steps":200}`, `argument "steps": must be at most 150, got 200`},
		{`{"prompt_id":"x","steps":0}`, `argument "steps": must be at least 1, got 0`},
		{`{"prompt_id":"x","sampler":"foo"}`, `argument "sampler": "foo" is not one of euler, euler_ancestral, dpmpp_2m`},
		{`{"prompt_id":"x","images":[{"filename":"a"},{"filename":"b"},{"filename":3}]}`, `argument "images[2].filename": expected a string, got a number`},
		{`{"prompt_id":"x","promptid":"y"}`, `unknown argument "promptid" (this tool takes: prompt_id, steps, sampler, images, seed, small, cfg, name, tags, pair, data, at, opts, flag, note, offset)`},
		{`{"prompt_id":"x","images":[{"fname":"a"}]}`, `unknown argument "images[0].fname" (this object takes: filename, subfolder); argument "images[0].filename" is required`},
		{`[1]`, `arguments must be a JSON object, got an array`},
		{`"x"`, `arguments must be a JSON object, got a string`},
		{`{"prompt_id":7}`, `argument "prompt_id": expected a string, got a number`},
		{`{"prompt_id":"x","steps":2.5}`, `argument "steps": expected an integer, got 2.5`},
		{`{"prompt_id":"x","steps":"20"}`, `argument "steps": expected an integer, got a string`},
		{`{"prompt_id":"x","small":300}`, `argument "small": must be an integer between -128 and 127, got 300`},
		{`{"prompt_id":"x","small":-1e3}`, `argument "small": must be an integer between -128 and 127, got -1e3`},
		{`{"prompt_id":"x","seed":-1}`, `argument "seed": must be an integer between 0 and 18446744073709551615, got -1`},
		{`{"prompt_id":"x","seed":18446744073709551616}`, `argument "seed": must be an integer between 0 and 18446744073709551615, got 18446744073709551616`},
		{`{"prompt_id":"x","seed":1.5}`, `argument "seed": expected an integer, got 1.5`},
		{`{"prompt_id":"x","offset":-6}`, `argument "offset": must be at least -5, got -6`},
		{`{"prompt_id":"x","cfg":-1}`, `argument "cfg": must be at least 0, got -1`},
		{`{"prompt_id":"x","cfg":1e39}`, `argument "cfg": 1e39 does not fit in a float32`},
		{`{"prompt_id":"x","name":"a"}`, `argument "name": must be at least 2 characters long, got 1`},
		{`{"prompt_id":"x","name":"abcdef"}`, `argument "name": must be at most 5 characters long, got 6`},
		{`{"prompt_id":"x","name":"AB"}`, `argument "name": "AB" does not match the pattern ^\p{Ll}+$`},
		{`{"prompt_id":"x","tags":[]}`, `argument "tags": must have at least 1 item, got 0`},
		{`{"prompt_id":"x","tags":["a","c"]}`, `argument "tags[1]": "c" is not one of a, b`},
		{`{"prompt_id":"x","tags":"a"}`, `argument "tags": expected an array, got a string`},
		{`{"prompt_id":"x","tags":[null]}`, `argument "tags[0]": expected a string, got null`},
		{`{"prompt_id":"x","images":[{"filename":"a"},{"filename":"b"},{"filename":"c"},{"filename":"d"}]}`, `argument "images": must have at most 3 items, got 4`},
		{`{"prompt_id":"x","images":[1]}`, `argument "images[0]": expected an object, got a number`},
		{`{"prompt_id":"x","pair":[1]}`, `argument "pair": must have exactly 2 items, got 1`},
		{`{"prompt_id":"x","data":"!!"}`, `argument "data": expected base64 data: illegal base64 data at input byte 0`},
		{`{"prompt_id":"x","at":"yesterday"}`, `argument "at": parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{`{"prompt_id":"x","opts":{"a":1,"b c":"x"}}`, `argument "opts.b c": expected an integer, got a string`},
		{`{"prompt_id":"x","opts":[]}`, `argument "opts": expected an object, got an array`},
		{`{"prompt_id":"x","flag":"yes"}`, `argument "flag": expected a boolean, got a string`},
		{`{"prompt_id":"x","note":{}}`, `argument "note": expected a string, got an object`},
		{`{"steps":200,"sampler":"foo"}`, `argument "prompt_id" is required; argument "steps": must be at most 150, got 200; argument "sampler": "foo" is not one of euler, euler_ancestral, dpmpp_2m`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, err := decodeInto[validated](t, tt.args)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tt.want)
			}
		})
	}
}

func TestDecodeCapsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"prompt_id":"x"`)
	for i := range 13 {
		fmt.Fprintf(&b, `,"x%02d":1`, i)
	}
	b.WriteString("}")
	_, err := decodeInto[validated](t, b.String())
	if err == nil || strings.Count(err.Error(), "unknown argument") != maxProblems || !strings.HasSuffix(err.Error(), "; and 3 more") {
		t.Errorf("error %v, want %d problems and \"; and 3 more\"", err, maxProblems)
	}
}

func TestDecodeValues(t *testing.T) {
	note := "hi"
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		args string
		want validated
	}{
		{`{"prompt_id":"x"}`, validated{PromptID: "x", Steps: 20, Sampler: "euler"}},
		{`{"prompt_id":"x","steps":null,"sampler":null,"note":null}`, validated{PromptID: "x", Steps: 20, Sampler: "euler"}},
		{`{"prompt_id":"x","steps":150,"sampler":"dpmpp_2m"}`, validated{PromptID: "x", Steps: 150, Sampler: "dpmpp_2m"}},
		{`{"prompt_id":"x","steps":20.0}`, validated{PromptID: "x", Steps: 20, Sampler: "euler"}},
		{`{"prompt_id":"x","steps":1e2}`, validated{PromptID: "x", Steps: 100, Sampler: "euler"}},
		{`{"prompt_id":"x","seed":18446744073709551615}`, validated{PromptID: "x", Steps: 20, Sampler: "euler", Seed: 18446744073709551615}},
		{`{"prompt_id":"x","seed":9007199254740993}`, validated{PromptID: "x", Steps: 20, Sampler: "euler", Seed: 9007199254740993}},
		{`{"prompt_id":"x","small":-128,"offset":-5,"cfg":7.5}`, validated{PromptID: "x", Steps: 20, Sampler: "euler", Small: -128, Offset: -5, CFG: 7.5}},
		{`{"prompt_id":"x","images":[{"filename":"a.png","subfolder":"s"}],"tags":["b"]}`, validated{PromptID: "x", Steps: 20, Sampler: "euler", Images: []imageRef{{"a.png", "s"}}, Tags: []string{"b"}}},
		{`{"prompt_id":"x","pair":[1,2],"data":"aGk=","at":"2025-01-02T03:04:05Z","opts":{"a b":1},"flag":true,"note":"hi","name":"ééééé"}`,
			validated{PromptID: "x", Steps: 20, Sampler: "euler", Pair: [2]int{1, 2}, Data: []byte("hi"), At: at, Opts: map[string]int{"a b": 1}, Flag: true, Note: &note, Name: "ééééé"}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got, err := decodeInto[validated](t, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded\n got: %+v\nwant: %+v", got, tt.want)
			}
		})
	}
}

// TestDecodeUntyped checks the fields that take any JSON: numbers stay
// json.Number, so a workflow with a 64-bit seed goes back out unchanged.
func TestDecodeUntyped(t *testing.T) {
	got, err := decodeInto[containers](t, `{"tags":["a"],"sizes":[64,128],"workflow":{"3":{"inputs":{"seed":18446744073709551615,"cfg":7.5}}},"extra":[1,"x"],"raw":{"b":1,"a":[1, 2]},"weights":{"w":0.5}}`)
	if err != nil {
		t.Fatal(err)
	}
	seed := got.Workflow["3"].(map[string]any)["inputs"].(map[string]any)["seed"]
	if seed != json.Number("18446744073709551615") {
		t.Errorf("seed = %#v, want json.Number(\"18446744073709551615\")", seed)
	}
	wf, _ := json.Marshal(got.Workflow)
	if want := `{"3":{"inputs":{"cfg":7.5,"seed":18446744073709551615}}}`; string(wf) != want {
		t.Errorf("workflow re-encodes as %s, want %s", wf, want)
	}
	if want := []any{json.Number("1"), "x"}; !reflect.DeepEqual(got.Extra, want) {
		t.Errorf("extra = %#v, want %#v", got.Extra, want)
	}
	if string(got.Raw) != `{"a":[1,2],"b":1}` {
		t.Errorf("raw = %s", got.Raw)
	}
	if got.Count == nil || *got.Count != 3 || got.Note != nil {
		t.Errorf("count = %v, note = %v; want the default 3 and nil", got.Count, got.Note)
	}
	if got.Sizes != [2]int{64, 128} || got.Weights["w"] != 0.5 {
		t.Errorf("sizes = %v, weights = %v", got.Sizes, got.Weights)
	}
}

func TestDecodeEmbedded(t *testing.T) {
	got, err := decodeInto[embedded](t, `{"id":"i","Shadow":"s","seed":7,"name":"n","-":"d"}`)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "i" || got.embedOther.Shadow != "s" || got.EmbedPtr == nil || got.EmbedPtr.Seed != 7 || got.Name != "n" || got.Dash != "d" {
		t.Errorf("decoded %+v", got)
	}
}

// customText has its own text form, which decoding must use.
type customText struct{ v string }

func (c *customText) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("empty")
	}
	c.v = strings.ToUpper(string(b))
	return nil
}

// customJSON decodes itself from any JSON.
type customJSON struct{ raw string }

func (c *customJSON) UnmarshalJSON(b []byte) error { c.raw = string(b); return nil }

func TestDecodeCustomTypes(t *testing.T) {
	type input struct {
		Text customText `json:"text"`
		JSON customJSON `json:"json"`
	}
	got, err := decodeInto[input](t, `{"text":"abc","json":{"x":[1]}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text.v != "ABC" || got.JSON.raw != `{"x":[1]}` {
		t.Errorf("decoded %+v", got)
	}
	if _, err := decodeInto[input](t, `{"text":"","json":1}`); err == nil || err.Error() != `argument "text": empty` {
		t.Errorf("error %v", err)
	}
	if s := schemaOf(t, reflect.TypeFor[input](), modeInput); s != `{"type":"object","properties":{"text":{"type":"string"},"json":{}},"required":["text","json"],"additionalProperties":false}` {
		t.Errorf("schema %s", s)
	}
}

func TestDecodeNumbers(t *testing.T) {
	type numbers struct {
		U uint8       `json:"u,omitempty" minimum:"1" maximum:"9" enum:"1,3,9"`
		F float64     `json:"f,omitempty" enum:"0.5,1"`
		N json.Number `json:"n,omitempty"`
		I int16       `json:"i,omitempty" enum:"-1,1"`
	}
	errs := []struct {
		args string
		want string
	}{
		{`{"u":0}`, `argument "u": must be at least 1, got 0`},
		{`{"u":10}`, `argument "u": must be at most 9, got 10`},
		{`{"u":2}`, `argument "u": 2 is not one of 1, 3, 9`},
		{`{"u":256}`, `argument "u": must be an integer between 0 and 255, got 256`},
		{`{"u":2.5}`, `argument "u": expected an integer, got 2.5`},
		{`{"u":3e3}`, `argument "u": must be an integer between 0 and 255, got 3e3`},
		{`{"f":"x"}`, `argument "f": expected a number, got a string`},
		{`{"f":0.7}`, `argument "f": 0.7 is not one of 0.5, 1`},
		{`{"n":"1"}`, `argument "n": expected a number, got a string`},
		{`{"i":0}`, `argument "i": 0 is not one of -1, 1`},
		{`{"i":true}`, `argument "i": expected an integer, got a boolean`},
	}
	for _, tt := range errs {
		if _, err := decodeInto[numbers](t, tt.args); err == nil || err.Error() != tt.want {
			t.Errorf("%s: error\n got: %v\nwant: %s", tt.args, err, tt.want)
		}
	}
	got, err := decodeInto[numbers](t, `{"u":3.0,"f":1.0,"n":1.50,"i":-1e0}`)
	if want := (numbers{U: 3, F: 1, N: "1.50", I: -1}); err != nil || got != want {
		t.Errorf("decoded %+v, %v; want %+v", got, err, want)
	}
}

// referenceDecodeJSON is what decodeJSON must agree with: encoding/json
// with UseNumber, one value and nothing after it.
func referenceDecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// FuzzDecodeJSONLikeEncodingJSON checks that the one-pass parser accepts
// exactly what encoding/json accepts and builds the same tree.
func FuzzDecodeJSONLikeEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"prompt_id":"x","steps":20,"cfg":7.5,"seed":18446744073709551615,"tags":["a",1,true,null,{}],"n":{"m":[]}}`,
		`{"a":1,"a":2}`, ` [1, -0.5e10 , "\u00e9\ud83d\ude00"] `, `"\ud800"`, "\"\xff\xfe ok\"", `{"k\u0000":"v\n\t\"\\/"}`,
		`{"a":1} {}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `-`, `"\x"`, `{"a" 1}`, ``, ` `, `nul`, `true false`, "\"a\x01b\"",
		`{"a":{"b":{"c":[[[[]]]]}}}`, `1e400`, `-0`, `{"":""}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := referenceDecodeJSON(data)
		got, err := decodeJSON(data)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("decodeJSON(%q): error %v, encoding/json: %v", data, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeJSON(%q) = %#v, encoding/json: %#v", data, got, want)
		}
	})
}

// Nested objects whose fields all have defaults or are optional: omitting
// them must give the handler the advertised defaults.
type (
	nestedFilter struct {
		Status   string `json:"status,omitempty" enum:"success,error,any" default:"any"`
		MaxItems int    `json:"max_items,omitempty" default:"5" minimum:"1"`
	}
	nestedPaging struct {
		Filter nestedFilter `json:"filter"` // no omitempty: still optional, {} describes it
		Page   int          `json:"page,omitempty"`
	}
	nestedNeedsID struct {
		ID string `json:"id"`
	}
	nestedInput struct {
		Paging nestedPaging   `json:"paging,omitempty"`
		Ptr    *nestedFilter  `json:"ptr,omitempty"`
		Opt    nestedNeedsID  `json:"opt,omitempty"`
		Req    *nestedNeedsID `json:"req,omitempty"`
	}
	nestedRequired struct {
		Target nestedNeedsID `json:"target"`
	}
)

func TestDecodeNestedDefaults(t *testing.T) {
	defaults := nestedPaging{Filter: nestedFilter{Status: "any", MaxItems: 5}}
	tests := []struct {
		args string
		want nestedInput
	}{
		{`{}`, nestedInput{Paging: defaults}},
		{`{"paging":null}`, nestedInput{Paging: defaults}},
		{`{"paging":{}}`, nestedInput{Paging: defaults}},
		{`{"paging":{"filter":{}}}`, nestedInput{Paging: defaults}},
		{`{"paging":{"page":2,"filter":{"status":"error"}}}`, nestedInput{Paging: nestedPaging{Page: 2, Filter: nestedFilter{Status: "error", MaxItems: 5}}}},
		// A pointer to a struct stays nil: nil is how it says "absent".
		{`{"ptr":{}}`, nestedInput{Paging: defaults, Ptr: &nestedFilter{Status: "any", MaxItems: 5}}},
		// An optional object with a required field stays zero when omitted.
		{`{"opt":{"id":"x"}}`, nestedInput{Paging: defaults, Opt: nestedNeedsID{ID: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got, err := decodeInto[nestedInput](t, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded\n got: %+v\nwant: %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeNestedErrors(t *testing.T) {
	tests := []struct {
		name string
		args string
		want string
		dec  func(*testing.T, string) error
	}{
		{"default checked like a value", `{"paging":{"filter":{"max_items":0}}}`, `argument "paging.filter.max_items": must be at least 1, got 0`, decodeErr[nestedInput]},
		{"object with a required field", `{"opt":{}}`, `argument "opt.id" is required`, decodeErr[nestedInput]},
		{"required object", `{}`, `argument "target" is required`, decodeErr[nestedRequired]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.dec(t, tt.args); err == nil || err.Error() != tt.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tt.want)
			}
		})
	}
}

func decodeErr[T any](t *testing.T, args string) error {
	_, err := decodeInto[T](t, args)
	return err
}
