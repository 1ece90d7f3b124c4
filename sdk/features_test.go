package sdk

import (
	"errors"
	"strings"
	"testing"
)

// library is a feature set like examples/conformance/library's.
func library() *featureSet {
	f := &featureSet{}
	f.addPrompt(Prompt{
		Name: "greet", Title: "Greet", Description: "Greets someone.",
		Arguments: []PromptArgument{{Name: "who", Description: "Whom", Required: true}, {Name: "tone"}},
		Handler: func(_ *Call, args map[string]string) (*PromptResult, error) {
			return &PromptResult{Description: "a greeting", Messages: []PromptMessage{
				UserText("Hello, " + args["who"] + "!"),
				{Role: "assistant", Content: Content{Type: "resource", URI: "test://r", MimeType: "text/plain", Text: "embedded"}},
			}}, nil
		},
		Complete: func(_ *Call, arg, value string, _ map[string]string) ([]string, error) {
			if arg == "tone" {
				return nil, errors.New("tone has no suggestions")
			}
			return CompleteFrom(value, "World", "Ada", "wasm"), nil
		},
	})
	f.addResource(Resource{URI: "test://text", Name: "Text", MIMEType: "text/plain", Handler: func(*Call) ([]ResourceContents, error) {
		return []ResourceContents{{MIMEType: "text/plain", Text: "some text"}}, nil
	}})
	f.addResource(Resource{URI: "test://bin", Name: "Bin", Handler: func(*Call) ([]ResourceContents, error) {
		return []ResourceContents{{URI: "test://bin", MIMEType: "image/png", Blob: []byte{0x89, 'P'}}}, nil
	}})
	f.addTemplate(ResourceTemplate{URITemplate: "test://item/{id}", Name: "Item", Handler: func(_ *Call, uri string, vars map[string]string) ([]ResourceContents, error) {
		return []ResourceContents{{URI: uri, Text: "item " + vars["id"]}}, nil
	}})
	return f
}

func TestFeaturesDescribe(t *testing.T) {
	h := &fakeHost{t: t}
	want := `{"abi":1,` +
		`"prompts":[{"name":"greet","title":"Greet","description":"Greets someone.","arguments":[{"name":"who","description":"Whom","required":true},{"name":"tone"}]}],` +
		`"resources":[{"uri":"test://text","name":"Text","mimeType":"text/plain"},{"uri":"test://bin","name":"Bin"}],` +
		`"resourceTemplates":[{"uriTemplate":"test://item/{id}","name":"Item"}]}`
	if got := string(newInstanceWith(h, nil, library()).describe()); got != want {
		t.Errorf("tool-less describe =\n%s\nwant\n%s", got, want)
	}
	withTool := string(newInstanceWith(h, mustCompile(t, jobTool), library()).describe())
	if !strings.HasPrefix(withTool, `{"abi":1,"tool":{"name":"get_job_status",`) || !strings.HasSuffix(withTool, "},"+strings.TrimPrefix(want, `{"abi":1,`)) {
		t.Errorf("describe with a tool =\n%s", withTool)
	}
}

func TestFeaturesServe(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"prompt", `{"prompt":"greet","arguments":{"who":"Ada"}}`,
			`{"result":{"description":"a greeting","messages":[{"role":"user","content":{"type":"text","text":"Hello, Ada!"}},{"role":"assistant","content":{"type":"resource","resource":{"uri":"test://r","mimeType":"text/plain","text":"embedded"}}}]}}`},
		{"missing required argument", `{"prompt":"greet","arguments":{}}`, `{"error":{"message":"prompt greet: argument \"who\" is required"}}`},
		{"unknown prompt", `{"prompt":"nope"}`, `{"error":{"message":"this plugin has no prompt \"nope\""}}`},
		{"text resource, URI filled in", `{"resource":{"uri":"test://text"}}`, `{"result":{"contents":[{"uri":"test://text","mimeType":"text/plain","text":"some text"}]}}`},
		{"blob resource", `{"resource":{"uri":"test://bin"}}`, `{"result":{"contents":[{"uri":"test://bin","mimeType":"image/png","blob":"iVA="}]}}`},
		{"template", `{"resource":{"uri":"test://item/7","template":"test://item/{id}","arguments":{"id":"7"}}}`, `{"result":{"contents":[{"uri":"test://item/7","text":"item 7"}]}}`},
		{"unknown resource", `{"resource":{"uri":"test://none"}}`, `{"error":{"message":"this plugin has no resource \"test://none\""}}`},
		{"completion", `{"complete":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"who","value":"w"}}}`,
			`{"result":{"completion":{"hasMore":false,"total":2,"values":["World","wasm"]}}}`},
		{"completion error", `{"complete":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"tone","value":""}}}`, `{"error":{"message":"tone has no suggestions"}}`},
		{"nothing to complete", `{"complete":{"ref":{"type":"ref/resource","uri":"test://item/{id}"},"argument":{"name":"id","value":"1"}}}`,
			`{"result":{"completion":{"hasMore":false,"total":0,"values":[]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(newInstanceWith(&fakeHost{t: t}, nil, library()).call([]byte(tt.input))); got != tt.want {
				t.Errorf("call(%s) =\n%s\nwant\n%s", tt.input, got, tt.want)
			}
		})
	}
	if v := catchPanic(func() { newInstanceWith(&fakeHost{t: t}, nil, library()).call([]byte(`{"tool":"x","arguments":{}}`)) }); v == nil {
		t.Error("a tool call to a tool-less plugin did not panic")
	}
}

func TestRegisterFeaturePanics(t *testing.T) {
	h := func(*Call) ([]ResourceContents, error) { return nil, nil }
	for name, f := range map[string]func(*featureSet){
		"prompt without handler":    func(f *featureSet) { f.addPrompt(Prompt{Name: "p"}) },
		"duplicate prompt":          func(f *featureSet) { f.addPrompt(Prompt{Name: "greet", Handler: library().prompts[0].Handler}) },
		"resource without name":     func(f *featureSet) { f.addResource(Resource{URI: "a://b", Handler: h}) },
		"duplicate resource":        func(f *featureSet) { f.addResource(Resource{URI: "test://text", Name: "x", Handler: h}) },
		"template without variable": func(f *featureSet) { f.addTemplate(ResourceTemplate{URITemplate: "a://b", Name: "x"}) },
	} {
		if v := catchPanic(func() { f(library()) }); v == nil {
			t.Errorf("%s: no panic", name)
		}
	}
}
