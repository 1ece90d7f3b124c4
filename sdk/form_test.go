package sdk

import (
	"encoding/json"
	"testing"
)

func TestFormSchemas(t *testing.T) {
	titled := []Option{{Value: "v1", Title: "One"}, {Value: "v2"}}
	tests := []struct {
		name string
		form *Form
		want string
	}{
		{"empty", NewForm(), `{"type":"object","properties":{}}`},
		{"text", NewForm().Text("email", TextField{Title: "Email", Required: true, Format: "email", MinLength: 3, MaxLength: 99, Default: "a@b.c"}),
			`{"type":"object","properties":{"email":{"type":"string","title":"Email","minLength":3,"maxLength":99,"format":"email","default":"a@b.c"}},"required":["email"]}`},
		{"numbers and boolean with defaults", NewForm().
			Integer("age", IntegerField{Default: Ptr[int64](30), Minimum: Ptr(0.0)}).
			Number("score", NumberField{Default: Ptr(95.5), Maximum: Ptr(100.0)}).
			Boolean("ok", BooleanField{Default: Ptr(false)}),
			`{"type":"object","properties":{"age":{"type":"integer","minimum":0,"default":30},"score":{"type":"number","maximum":100,"default":95.5},"ok":{"type":"boolean","default":false}}}`},
		{"untitled single", NewForm().Choice("c", ChoiceField{Options: Options("a", "b"), Default: "a"}),
			`{"type":"object","properties":{"c":{"type":"string","enum":["a","b"],"default":"a"}}}`},
		{"titled single, a missing title falls back to the value", NewForm().Choice("c", ChoiceField{Options: titled}),
			`{"type":"object","properties":{"c":{"type":"string","oneOf":[{"const":"v1","title":"One"},{"const":"v2","title":"v2"}]}}}`},
		{"legacy enumNames", NewForm().Choice("c", ChoiceField{Options: titled, Legacy: true}),
			`{"type":"object","properties":{"c":{"type":"string","enum":["v1","v2"],"enumNames":["One","v2"]}}}`},
		{"untitled multi", NewForm().MultiChoice("m", MultiChoiceField{Options: Options("a", "b"), MaxItems: 2, Default: []string{"a"}}),
			`{"type":"object","properties":{"m":{"type":"array","maxItems":2,"items":{"type":"string","enum":["a","b"]},"default":["a"]}}}`},
		{"titled multi", NewForm().MultiChoice("m", MultiChoiceField{Options: titled, MinItems: 1}),
			`{"type":"object","properties":{"m":{"type":"array","minItems":1,"items":{"anyOf":[{"const":"v1","title":"One"},{"const":"v2","title":"v2"}]}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.form.schema())
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("schema =\n%s\nwant\n%s", b, tt.want)
			}
		})
	}
}
