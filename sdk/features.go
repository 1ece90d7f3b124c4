package sdk

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Prompts and resources: besides its one tool (or instead of it), a plugin
// may offer any number of MCP prompts, resources with fixed URIs and
// resource templates. Register them from init functions, like the tool.

// Prompt is a prompt template the client can list and fill in
// (prompts/list, prompts/get), typically offered to the user as a slash
// command.
type Prompt struct {
	// Name identifies the prompt; unique across easel's plugins.
	Name string
	// Title and Description are shown to the user.
	Title, Description string
	// Arguments are the prompt's parameters, all strings.
	Arguments []PromptArgument
	// Handler builds the messages from the arguments. Required arguments
	// are checked before it runs; unknown ones are passed on.
	Handler func(c *Call, args map[string]string) (*PromptResult, error)
	// Complete, when set, suggests values for an argument while the user
	// types (completion/complete): argument is its name, value what was
	// typed so far, args the arguments already filled in.
	Complete func(c *Call, argument, value string, args map[string]string) ([]string, error)
}

// PromptArgument is one parameter of a prompt.
type PromptArgument struct {
	Name, Title, Description string
	Required                 bool
}

// PromptResult is what prompts/get answers.
type PromptResult struct {
	// Description is optional.
	Description string
	Messages    []PromptMessage
}

// PromptMessage is one message of a prompt: Role "user" or "assistant",
// and one content item (text, image, audio, or an embedded resource; see
// Content).
type PromptMessage struct {
	Role    string
	Content Content
}

// UserText is a user message with one text item.
func UserText(text string) PromptMessage {
	return PromptMessage{Role: "user", Content: Content{Type: "text", Text: text}}
}

// Resource is a document with a fixed URI the client can list and read
// (resources/list, resources/read).
type Resource struct {
	// URI identifies the resource; unique across easel's plugins.
	URI string
	// Name is a short identifier, Title and Description are for people.
	Name, Title, Description string
	// MIMEType is the type of the contents, if known.
	MIMEType string
	// Handler returns the contents, usually one item with the URI.
	Handler func(c *Call) ([]ResourceContents, error)
}

// ResourceTemplate is a family of resources named by an RFC 6570 URI
// template such as "test://template/{id}/data" (resources/templates/list);
// reading a URI that matches it runs Handler with the template's variables.
type ResourceTemplate struct {
	URITemplate              string
	Name, Title, Description string
	MIMEType                 string
	// Handler returns the contents for uri, whose template variables are
	// in vars.
	Handler func(c *Call, uri string, vars map[string]string) ([]ResourceContents, error)
	// Complete, when set, suggests values for a variable
	// (completion/complete with a ref/resource).
	Complete func(c *Call, variable, value string, vars map[string]string) ([]string, error)
}

// ResourceContents is one item of a resource: text, or binary data when
// Blob is not nil (base64 on the wire).
type ResourceContents struct {
	URI, MIMEType string
	Text          string
	Blob          []byte
}

// features are the prompts and resources of the plugin, in registration
// order. Like the tool, they are package state because the ABI's exports
// are plain functions.
var features featureSet

type featureSet struct {
	prompts   []*Prompt
	resources []*Resource
	templates []*ResourceTemplate
}

func (f *featureSet) empty() bool {
	return f == nil || len(f.prompts)+len(f.resources)+len(f.templates) == 0
}

// RegisterPrompt adds a prompt. It panics, so that a broken plugin fails
// when it starts, on an empty or repeated name or a nil Handler.
func RegisterPrompt(p Prompt) { features.addPrompt(p) }

// RegisterResource adds a resource. It panics on an empty or repeated URI,
// an empty Name or a nil Handler.
func RegisterResource(r Resource) { features.addResource(r) }

// RegisterResourceTemplate adds a resource template. It panics on a
// template without a {variable}, a repeated one, an empty Name or a nil
// Handler.
func RegisterResourceTemplate(t ResourceTemplate) { features.addTemplate(t) }

func (f *featureSet) addPrompt(p Prompt) {
	switch {
	case p.Name == "" || p.Handler == nil:
		panic(fmt.Sprintf("sdk: RegisterPrompt(%q): a prompt needs a Name and a Handler", p.Name))
	case f.prompt(p.Name) != nil:
		panic(fmt.Sprintf("sdk: prompt %q registered twice", p.Name))
	}
	f.prompts = append(f.prompts, &p)
}

func (f *featureSet) addResource(r Resource) {
	switch {
	case r.URI == "" || r.Name == "" || r.Handler == nil:
		panic(fmt.Sprintf("sdk: RegisterResource(%q): a resource needs a URI, a Name and a Handler", r.URI))
	case f.resource(r.URI) != nil:
		panic(fmt.Sprintf("sdk: resource %q registered twice", r.URI))
	}
	f.resources = append(f.resources, &r)
}

func (f *featureSet) addTemplate(t ResourceTemplate) {
	switch {
	case !strings.Contains(t.URITemplate, "{") || t.Name == "" || t.Handler == nil:
		panic(fmt.Sprintf("sdk: RegisterResourceTemplate(%q): a template needs a URITemplate with a {variable}, a Name and a Handler", t.URITemplate))
	case f.template(t.URITemplate) != nil:
		panic(fmt.Sprintf("sdk: resource template %q registered twice", t.URITemplate))
	}
	f.templates = append(f.templates, &t)
}

func (f *featureSet) prompt(name string) *Prompt {
	for _, p := range f.prompts {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func (f *featureSet) resource(uri string) *Resource {
	for _, r := range f.resources {
		if r.URI == uri {
			return r
		}
	}
	return nil
}

func (f *featureSet) template(uriTemplate string) *ResourceTemplate {
	for _, t := range f.templates {
		if t.URITemplate == uriTemplate {
			return t
		}
	}
	return nil
}

// appendDescription adds the prompts, resources and resourceTemplates
// members of easel_describe's answer.
func (f *featureSet) appendDescription(d omap) omap {
	if f == nil {
		return d
	}
	opt := func(m omap, key, v string) omap { return addIf(m, v != "", key, v) }
	if len(f.prompts) > 0 {
		ps := make([]omap, len(f.prompts))
		for i, p := range f.prompts {
			m := opt(opt(omap{{"name", p.Name}}, "title", p.Title), "description", p.Description)
			if len(p.Arguments) > 0 {
				args := make([]omap, len(p.Arguments))
				for j, a := range p.Arguments {
					args[j] = addIf(opt(opt(omap{{"name", a.Name}}, "title", a.Title), "description", a.Description), a.Required, "required", true)
				}
				m = append(m, member{"arguments", args})
			}
			ps[i] = m
		}
		d = append(d, member{"prompts", ps})
	}
	if len(f.resources) > 0 {
		rs := make([]omap, len(f.resources))
		for i, r := range f.resources {
			rs[i] = opt(opt(opt(omap{{"uri", r.URI}, {"name", r.Name}}, "title", r.Title), "description", r.Description), "mimeType", r.MIMEType)
		}
		d = append(d, member{"resources", rs})
	}
	if len(f.templates) > 0 {
		ts := make([]omap, len(f.templates))
		for i, t := range f.templates {
			ts[i] = opt(opt(opt(omap{{"uriTemplate", t.URITemplate}, {"name", t.Name}}, "title", t.Title), "description", t.Description), "mimeType", t.MIMEType)
		}
		d = append(d, member{"resourceTemplates", ts})
	}
	return d
}

// featureInput is a call input that is not a tool call.
type featureInput struct {
	Prompt    *string           `json:"prompt"`
	Arguments map[string]string `json:"arguments"`
	Resource  *struct {
		URI       string            `json:"uri"`
		Template  string            `json:"template"`
		Arguments map[string]string `json:"arguments"`
	} `json:"resource"`
	Complete *struct {
		Ref struct {
			Type string `json:"type"`
			Name string `json:"name"`
			URI  string `json:"uri"`
		} `json:"ref"`
		Argument struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"argument"`
		Context struct {
			Arguments map[string]string `json:"arguments"`
		} `json:"context"`
	} `json:"complete"`
}

// serve answers a feature input with an outcome: {"result": ...} or
// {"error": {"message": ...}}.
func (f *featureSet) serve(c *Call, input []byte) []byte {
	var in featureInput
	if err := json.Unmarshal(input, &in); err != nil {
		panic(fmt.Sprintf("sdk: the host's call input is malformed: %v", err))
	}
	var result []byte
	var err error
	switch {
	case in.Prompt != nil:
		result, err = f.getPrompt(c, *in.Prompt, in.Arguments)
	case in.Resource != nil:
		result, err = f.readResource(c, in.Resource.URI, in.Resource.Template, in.Resource.Arguments)
	case in.Complete != nil:
		cp := in.Complete
		result, err = f.complete(c, cp.Ref.Type, cp.Ref.Name+cp.Ref.URI, cp.Argument.Name, cp.Argument.Value, cp.Context.Arguments)
	}
	if err != nil {
		b, _ := json.Marshal(map[string]map[string]string{"error": {"message": err.Error()}})
		return b
	}
	return append(append([]byte(`{"result":`), result...), '}')
}

func (f *featureSet) getPrompt(c *Call, name string, args map[string]string) ([]byte, error) {
	p := f.prompt(name)
	if p == nil {
		return nil, fmt.Errorf("this plugin has no prompt %q", name)
	}
	if args == nil {
		args = map[string]string{}
	}
	for _, a := range p.Arguments {
		if _, ok := args[a.Name]; a.Required && !ok {
			return nil, fmt.Errorf("prompt %s: argument %q is required", name, a.Name)
		}
	}
	res, err := p.Handler(c, args)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("prompt %s: the handler returned no result", name)
	}
	b := []byte(`{`)
	if res.Description != "" {
		b = append(b, `"description":`...)
		b = appendJSONString(b, res.Description)
		b = append(b, ',')
	}
	b = append(b, `"messages":[`...)
	for i, m := range res.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"role":`...)
		b = appendJSONString(b, m.Role)
		b = append(b, `,"content":`...)
		if b, err = m.Content.appendJSON(b); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

func (f *featureSet) readResource(c *Call, uri, template string, vars map[string]string) ([]byte, error) {
	var contents []ResourceContents
	var err error
	if template == "" {
		r := f.resource(uri)
		if r == nil {
			return nil, fmt.Errorf("this plugin has no resource %q", uri)
		}
		contents, err = r.Handler(c)
	} else {
		t := f.template(template)
		if t == nil {
			return nil, fmt.Errorf("this plugin has no resource template %q", template)
		}
		if vars == nil {
			vars = map[string]string{}
		}
		contents, err = t.Handler(c, uri, vars)
	}
	if err != nil {
		return nil, err
	}
	if len(contents) == 0 {
		return nil, fmt.Errorf("resource %s has no contents", uri)
	}
	b := []byte(`{"contents":[`)
	for i, rc := range contents {
		if i > 0 {
			b = append(b, ',')
		}
		if rc.URI == "" {
			rc.URI = uri
		}
		// An embedded resource item has the shape of resource contents.
		item := Content{Type: "resource", URI: rc.URI, MimeType: rc.MIMEType, Text: rc.Text, Data: rc.Blob}
		start := len(b)
		if b, err = item.appendJSON(b); err != nil {
			return nil, err
		}
		// Strip {"type":"resource","resource": ... } down to the contents.
		inner := b[start+len(`{"type":"resource","resource":`) : len(b)-1]
		b = append(b[:start], inner...)
	}
	return append(b, "]}"...), nil
}

// maxCompletions is MCP's limit on the values of one completion answer.
const maxCompletions = 100

func (f *featureSet) complete(c *Call, refType, ref, argument, value string, args map[string]string) ([]byte, error) {
	if args == nil {
		args = map[string]string{}
	}
	var values []string
	var err error
	switch refType {
	case "ref/prompt":
		if p := f.prompt(ref); p != nil && p.Complete != nil {
			values, err = p.Complete(c, argument, value, args)
		}
	case "ref/resource":
		if t := f.template(ref); t != nil && t.Complete != nil {
			values, err = t.Complete(c, argument, value, args)
		}
	default:
		return nil, fmt.Errorf("cannot complete a reference of type %q", refType)
	}
	if err != nil {
		return nil, err
	}
	total := len(values)
	if values == nil {
		values = []string{}
	}
	if total > maxCompletions {
		values = values[:maxCompletions]
	}
	return json.Marshal(map[string]any{"completion": map[string]any{"values": values, "total": total, "hasMore": total > maxCompletions}})
}

// CompleteFrom returns the options that start with value (case-insensitive),
// sorted: the usual answer of a Complete function over a fixed list.
func CompleteFrom(value string, options ...string) []string {
	var out []string
	for _, o := range options {
		if strings.HasPrefix(strings.ToLower(o), strings.ToLower(value)) {
			out = append(out, o)
		}
	}
	sort.Strings(out)
	return out
}
