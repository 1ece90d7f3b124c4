package sdk

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeArguments feeds tool arguments, as an MCP client could send
// them, to the decoder a plugin runs (host-side: decode.go has no build
// tag). It must never panic, every error must be one line naming what is
// wrong, and whatever it accepts must obey the rules the schema states.
func FuzzDecodeArguments(f *testing.F) {
	for _, s := range []string{
		`{"prompt_id":"x"}`,
		`{"prompt_id":"x","steps":150,"sampler":"dpmpp_2m","images":[{"filename":"a.png","subfolder":"s"}],"seed":18446744073709551615}`,
		`{"prompt_id":"x","steps":1e2,"small":127,"cfg":3.5,"name":"abc","tags":["a","b"],"pair":[1,2]}`,
		`{"prompt_id":"x","data":"aGVsbG8=","at":"2026-11-27T08:00:00Z","opts":{"k":1},"flag":true,"note":null,"offset":-5}`,
		`{"prompt_id":"x","steps":200}`,
		`{"prompt_id":"x","small":128,"seed":-1,"offset":-6}`,
		`{"prompt_id":"x","name":"ABC","tags":[]}`,
		`{"prompt_id":"x","images":[{},{},{},{}]}`,
		`[1]`,
		`{"prompt_id":"x"} {}`,
		`{"prompt_id":"\ud800"}`,
		`{"prompt_id":"x","steps":1.5,"seed":1e400}`,
	} {
		f.Add([]byte(s))
	}
	root, err := compileRoot(reflect.TypeFor[validated](), modeInput)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, args []byte) {
		v, err := decodeJSON(args)
		if err != nil {
			return // the SDK answers "arguments are not valid JSON" before decoding
		}
		var got validated
		err = decodeObject(root, v, reflect.ValueOf(&got).Elem(), argumentWording)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) {
				t.Fatalf("error %q is not one line of text", msg)
			}
			return
		}
		checkValidated(t, got)
	})
}

// checkValidated checks the rules of validated's tags on an accepted value.
func checkValidated(t *testing.T, v validated) {
	t.Helper()
	switch {
	case v.Steps < 1 || v.Steps > 150:
		t.Fatalf("accepted steps %d outside 1..150", v.Steps)
	case v.Sampler != "euler" && v.Sampler != "euler_ancestral" && v.Sampler != "dpmpp_2m":
		t.Fatalf("accepted sampler %q outside its enum", v.Sampler)
	case len(v.Images) > 3:
		t.Fatalf("accepted %d images, over maxItems 3", len(v.Images))
	case v.CFG < 0:
		t.Fatalf("accepted cfg %v under its minimum 0", v.CFG)
	case v.Name != "" && (utf8.RuneCountInString(v.Name) < 2 || utf8.RuneCountInString(v.Name) > 5):
		t.Fatalf("accepted name %q outside 2..5 characters", v.Name)
	case v.Tags != nil && len(v.Tags) < 1:
		t.Fatal("accepted an empty tags list, under minItems 1")
	case v.Offset < -5:
		t.Fatalf("accepted offset %d under its minimum -5", v.Offset)
	}
	for _, tag := range v.Tags {
		if tag != "a" && tag != "b" {
			t.Fatalf("accepted tag %q outside its enum", tag)
		}
	}
}
