package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Features are the prompts, resources and resource templates a plugin
// provides besides (or instead of) its tool (docs/abi.md, "Prompts and
// resources"). The host lists them and routes prompts/get, resources/read
// and completion/complete to the plugin that declared them.
type Features struct {
	Prompts           []PromptInfo           `json:"prompts,omitempty"`
	Resources         []ResourceInfo         `json:"resources,omitempty"`
	ResourceTemplates []ResourceTemplateInfo `json:"resourceTemplates,omitempty"`
}

// Empty reports whether the plugin provides none of them.
func (f Features) Empty() bool {
	return len(f.Prompts) == 0 && len(f.Resources) == 0 && len(f.ResourceTemplates) == 0
}

// PromptInfo is one prompt, as MCP's prompts/list shows it.
type PromptInfo struct {
	Name        string           `json:"name"`
	Title       string           `json:"title,omitempty"`
	Description string           `json:"description,omitempty"`
	Arguments   []PromptArgument `json:"arguments,omitempty"`
}

// PromptArgument is one argument of a prompt. Prompt arguments are strings.
type PromptArgument struct {
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
}

// ResourceInfo is one resource with a fixed URI, as resources/list shows it.
type ResourceInfo struct {
	URI         string `json:"uri"`
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	MIMEType    string `json:"mimeType,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// ResourceTemplateInfo is a family of resources named by an RFC 6570 URI
// template, as resources/templates/list shows it.
type ResourceTemplateInfo struct {
	URITemplate string `json:"uriTemplate"`
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	MIMEType    string `json:"mimeType,omitempty"`
}

// check validates what a plugin declared, naming the first defect.
func (f Features) check() error {
	seen := map[string]bool{}
	dup := func(kind, key string) error {
		if seen[kind+"\x00"+key] {
			return fmt.Errorf("%s %q is declared twice", kind, key)
		}
		seen[kind+"\x00"+key] = true
		return nil
	}
	for i, p := range f.Prompts {
		if p.Name == "" {
			return fmt.Errorf("prompts[%d] has no name", i)
		}
		if err := dup("prompt", p.Name); err != nil {
			return err
		}
		for j, a := range p.Arguments {
			if a.Name == "" {
				return fmt.Errorf("prompt %q: arguments[%d] has no name", p.Name, j)
			}
		}
	}
	for i, r := range f.Resources {
		if err := checkURI(r.URI); err != nil {
			return fmt.Errorf("resources[%d] (%q): %w", i, r.Name, err)
		}
		if r.Name == "" {
			return fmt.Errorf("resource %q has no name", r.URI)
		}
		if err := dup("resource", r.URI); err != nil {
			return err
		}
	}
	for i, t := range f.ResourceTemplates {
		if !strings.Contains(t.URITemplate, "{") {
			return fmt.Errorf("resourceTemplates[%d]: %q is not a URI template (it has no {variable})", i, t.URITemplate)
		}
		if t.Name == "" {
			return fmt.Errorf("resource template %q has no name", t.URITemplate)
		}
		if err := dup("resource template", t.URITemplate); err != nil {
			return err
		}
	}
	return nil
}

func checkURI(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return errors.New("no uri")
	case err != nil:
		return fmt.Errorf("uri %q: %w", s, err)
	case u.Scheme == "":
		return fmt.Errorf("uri %q has no scheme", s)
	}
	return nil
}

// Features returns what the plugin provides besides its tool.
func (p *Plugin) Features() Features { return p.features }

// HasTool reports whether the plugin provides a tool. A plugin may provide
// only prompts and resources.
func (p *Plugin) HasTool() bool { return p.tool.Name != "" }

// RequestError is a prompts/get, resources/read or completion/complete the
// plugin refused (its "error" outcome): the client gets a JSON-RPC error
// with Message.
type RequestError struct {
	Tool    string
	Message string
}

func (e *RequestError) Error() string { return e.Message }

// GetPrompt runs prompts/get for one of the plugin's prompts and returns
// the plugin's GetPromptResult as JSON.
func (p *Plugin) GetPrompt(ctx context.Context, name string, args map[string]string) (json.RawMessage, error) {
	if args == nil {
		args = map[string]string{}
	}
	return p.request(ctx, struct {
		Prompt    string            `json:"prompt"`
		Arguments map[string]string `json:"arguments"`
	}{name, args})
}

// ReadResource runs resources/read and returns the plugin's
// ReadResourceResult as JSON. template is the URI template the URI matched
// ("" for a fixed resource) and args the template's variables.
func (p *Plugin) ReadResource(ctx context.Context, uri, template string, args map[string]string) (json.RawMessage, error) {
	type resource struct {
		URI       string            `json:"uri"`
		Template  string            `json:"template,omitempty"`
		Arguments map[string]string `json:"arguments,omitempty"`
	}
	return p.request(ctx, struct {
		Resource resource `json:"resource"`
	}{resource{uri, template, args}})
}

// CompleteRequest is a completion/complete for a prompt argument (Ref.Type
// "ref/prompt", Ref.Name) or a resource template variable (Ref.Type
// "ref/resource", Ref.URI the template).
type CompleteRequest struct {
	Ref struct {
		Type string `json:"type"`
		Name string `json:"name,omitempty"`
		URI  string `json:"uri,omitempty"`
	} `json:"ref"`
	Argument struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"argument"`
	Context struct {
		Arguments map[string]string `json:"arguments,omitempty"`
	} `json:"context"`
}

// Complete runs completion/complete and returns the plugin's answer, the
// CompleteResult's completion object ({"values": [...], "total", "hasMore"}).
func (p *Plugin) Complete(ctx context.Context, req CompleteRequest) (json.RawMessage, error) {
	raw, err := p.request(ctx, struct {
		Complete CompleteRequest `json:"complete"`
	}{req})
	if err != nil {
		return nil, err
	}
	var r struct {
		Completion json.RawMessage `json:"completion"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Completion) == 0 {
		return nil, p.callError(ctx, `easel_call answered a completion without a "completion" object`, "", err)
	}
	return r.Completion, nil
}

// request runs one easel_call whose input is not a tool call. Such calls
// cannot await jobs.
func (p *Plugin) request(ctx context.Context, input any) (json.RawMessage, error) {
	b, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	o, err := p.run(ctx, b, nil)
	switch {
	case err != nil:
		return nil, err
	case o.Error != nil:
		return nil, &RequestError{Tool: p.name, Message: o.Error.Message}
	case o.Await != nil:
		return nil, p.callError(ctx, "the plugin asked to wait for a job outside a tool call", "", nil)
	}
	return o.Result, nil
}
