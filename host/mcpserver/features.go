package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Provider is a plugin that offers prompts, resources or resource
// templates. *plugin.Plugin implements it.
type Provider interface {
	Name() string
	Features() plugin.Features
	GetPrompt(ctx context.Context, name string, args map[string]string) (json.RawMessage, error)
	ReadResource(ctx context.Context, uri, template string, args map[string]string) (json.RawMessage, error)
	Complete(ctx context.Context, req plugin.CompleteRequest) (json.RawMessage, error)
}

// owners records which plugin serves each prompt, resource URI and
// resource template, so that names stay unique across plugins and
// completion/complete reaches the right one.
type owners struct {
	mu        sync.Mutex
	prompts   map[string]Provider
	resources map[string]Provider
	templates map[string]Provider
}

// claim records p as the owner of everything it offers, or fails naming
// the first thing another plugin already offers.
func (o *owners) claim(p Provider) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.prompts == nil {
		o.prompts, o.resources, o.templates = map[string]Provider{}, map[string]Provider{}, map[string]Provider{}
	}
	f := p.Features()
	taken := func(m map[string]Provider, kind, key string) error {
		if q, ok := m[key]; ok && q.Name() != p.Name() {
			return fmt.Errorf("%s %q of plugin %s is already provided by plugin %s", kind, key, p.Name(), q.Name())
		}
		return nil
	}
	for _, x := range f.Prompts {
		if err := taken(o.prompts, "prompt", x.Name); err != nil {
			return err
		}
	}
	for _, x := range f.Resources {
		if err := taken(o.resources, "resource", x.URI); err != nil {
			return err
		}
	}
	for _, x := range f.ResourceTemplates {
		if err := taken(o.templates, "resource template", x.URITemplate); err != nil {
			return err
		}
	}
	for _, x := range f.Prompts {
		o.prompts[x.Name] = p
	}
	for _, x := range f.Resources {
		o.resources[x.URI] = p
	}
	for _, x := range f.ResourceTemplates {
		o.templates[x.URITemplate] = p
	}
	return nil
}

// replace takes next's records as its own.
func (o *owners) replace(next *owners) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.prompts, o.resources, o.templates = next.prompts, next.resources, next.templates
}

func (o *owners) prompt(name string) Provider {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.prompts[name]
}

func (o *owners) resource(uri string) Provider {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.resources[uri]
}

func (o *owners) template(uriTemplate string) Provider {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.templates[uriTemplate]
}

// AddProvider serves p's prompts, resources and resource templates.
// Clients that listed them before are told the lists changed. It fails,
// registering nothing, when another plugin already offers one of them.
func (s *Server) AddProvider(p Provider) error {
	if err := s.owners.claim(p); err != nil {
		return err
	}
	prompts, resources, templates := s.entries(p)
	s.listedMu.Lock()
	defer s.listedMu.Unlock()
	if len(prompts) > 0 {
		s.mcp.AddPrompts(prompts...)
		s.listedPrompts = nil // unknown: the next SetProviders sets them
	}
	if len(resources) > 0 {
		s.mcp.AddResources(resources...)
		s.listedResources = nil
	}
	if len(templates) > 0 {
		s.mcp.AddResourceTemplates(templates...)
		s.listedTemplates = nil
	}
	return nil
}

// SetProviders replaces every plugin prompt, resource and template with
// those of ps (a reload of tools.yaml). It fails, changing nothing, when
// two of ps offer the same one.
func (s *Server) SetProviders(ps []Provider) error {
	var next owners
	var prompts []server.ServerPrompt
	var resources []server.ServerResource
	var templates []server.ServerResourceTemplate
	for _, p := range ps {
		if err := next.claim(p); err != nil {
			return err
		}
		pr, rs, ts := s.entries(p)
		prompts, resources, templates = append(prompts, pr...), append(resources, rs...), append(templates, ts...)
	}
	if s.files != nil {
		templates = append(templates, *s.files)
	}
	// Handlers find their provider through owners at call time, so a list
	// that reads the same keeps its registration, and clients are not
	// told of a change they cannot see.
	s.owners.replace(&next)
	s.listedMu.Lock()
	defer s.listedMu.Unlock()
	if key := listing(prompts, func(e server.ServerPrompt) any { return e.Prompt }); !sameKey(key, s.listedPrompts) {
		s.mcp.SetPrompts(prompts...)
		s.listedPrompts = key
	}
	if key := listing(resources, func(e server.ServerResource) any { return e.Resource }); !sameKey(key, s.listedResources) {
		s.mcp.SetResources(resources...)
		s.listedResources = key
	}
	if key := listing(templates, func(e server.ServerResourceTemplate) any { return e.Template }); !sameKey(key, s.listedTemplates) {
		s.mcp.SetResourceTemplates(templates...)
		s.listedTemplates = key
	}
	return nil
}

// listing is what a client's list of entries reads, as JSON, to tell
// whether a new list differs (sameKey); nil when it cannot be encoded.
func listing[E any](entries []E, listed func(E) any) []byte {
	items := make([]any, len(entries))
	for i, e := range entries {
		items[i] = listed(e)
	}
	b, err := json.Marshal(items)
	if err != nil {
		return nil
	}
	return b
}

// sameKey reports whether two listings are known to read the same; a nil
// one (unknown, or not encodable) never does, so the list is set.
func sameKey(a, b []byte) bool { return a != nil && b != nil && bytes.Equal(a, b) }

// entries are p's prompts, resources and templates as mcp-go registers them.
func (s *Server) entries(p Provider) ([]server.ServerPrompt, []server.ServerResource, []server.ServerResourceTemplate) {
	f := p.Features()
	var prompts []server.ServerPrompt
	for _, info := range f.Prompts {
		prompts = append(prompts, server.ServerPrompt{Prompt: mcpPrompt(info), Handler: s.promptHandler(info.Name)})
	}
	var resources []server.ServerResource
	for _, info := range f.Resources {
		resources = append(resources, server.ServerResource{
			Resource: mcp.Resource{URI: info.URI, Name: info.Name, Title: info.Title, Description: info.Description, MIMEType: info.MIMEType},
			Handler:  s.resourceHandler(info.URI, ""),
		})
	}
	var templates []server.ServerResourceTemplate
	for _, info := range f.ResourceTemplates {
		t := mcp.NewResourceTemplate(info.URITemplate, info.Name,
			mcp.WithTemplateDescription(info.Description), mcp.WithTemplateMIMEType(info.MIMEType))
		t.Title = info.Title
		templates = append(templates, server.ServerResourceTemplate{Template: t, Handler: server.ResourceTemplateHandlerFunc(s.resourceHandler("", info.URITemplate))})
	}
	return prompts, resources, templates
}

func mcpPrompt(info plugin.PromptInfo) mcp.Prompt {
	p := mcp.Prompt{Name: info.Name, Title: info.Title, Description: info.Description}
	for _, a := range info.Arguments {
		p.Arguments = append(p.Arguments, mcp.PromptArgument{Name: a.Name, Title: a.Title, Description: a.Description, Required: a.Required})
	}
	return p
}

// promptHandler serves prompt name from the plugin that offers it now.
func (s *Server) promptHandler(name string) server.PromptHandlerFunc {
	return func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		p := s.owners.prompt(name)
		if p == nil {
			return nil, fmt.Errorf("prompt %q is no longer offered", name)
		}
		raw, err := p.GetPrompt(s.withClient(ctx), req.Params.Name, req.Params.Arguments)
		if err != nil {
			return nil, err
		}
		res, err := mcp.ParseGetPromptResult(&raw)
		if err != nil {
			return nil, fmt.Errorf("plugin %s answered prompt %s with a malformed GetPromptResult: %w", p.Name(), req.Params.Name, err)
		}
		return res, nil
	}
}

// resourceHandler serves resource uri, or the resources of template, from
// the plugin that offers it now.
func (s *Server) resourceHandler(uri, template string) server.ResourceHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		var args map[string]string
		var p Provider
		if template != "" {
			args = templateArgs(req.Params.Arguments)
			p = s.owners.template(template)
		} else {
			p = s.owners.resource(uri)
		}
		if p == nil {
			return nil, fmt.Errorf("resource %s is no longer offered", req.Params.URI)
		}
		raw, err := p.ReadResource(s.withClient(ctx), req.Params.URI, template, args)
		if err != nil {
			return nil, err
		}
		res, err := mcp.ParseReadResourceResult(&raw)
		if err != nil {
			return nil, fmt.Errorf("plugin %s answered resources/read %s with a malformed result: %w", p.Name(), req.Params.URI, err)
		}
		return res.Contents, nil
	}
}

// templateArgs turns mcp-go's matched template variables (strings, or
// lists for exploded variables) into the ABI's strings.
func templateArgs(in map[string]any) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case string:
			out[k] = v
		case []string:
			out[k] = strings.Join(v, ",")
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// completions routes completion/complete to the plugin that owns the
// prompt or resource template; anything else completes to nothing.
type completions struct{ s *Server }

func (c completions) CompletePromptArgument(ctx context.Context, name string, arg mcp.CompleteArgument, cctx mcp.CompleteContext) (*mcp.Completion, error) {
	p := c.s.owners.prompt(name)
	if p == nil {
		return &mcp.Completion{Values: []string{}}, nil
	}
	var req plugin.CompleteRequest
	req.Ref.Type, req.Ref.Name = "ref/prompt", name
	return c.complete(ctx, p, req, arg, cctx)
}

func (c completions) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, cctx mcp.CompleteContext) (*mcp.Completion, error) {
	if uri == FileTemplate && c.s.files != nil {
		return completeFileArgument(arg), nil
	}
	p := c.s.owners.template(uri)
	if p == nil {
		return &mcp.Completion{Values: []string{}}, nil
	}
	var req plugin.CompleteRequest
	req.Ref.Type, req.Ref.URI = "ref/resource", uri
	return c.complete(ctx, p, req, arg, cctx)
}

// fileTypes are the values of the comfyui:// template's type: ComfyUI's
// folders of outputs, uploads and previews.
var fileTypes = []string{"input", "output", "temp"}

// completeFileArgument completes the comfyui:// template: type from
// fileTypes by prefix. path completes to nothing: the host has no cheap
// listing of ComfyUI's folders (/view serves one file), and tools such as
// get_history name the files a job made.
func completeFileArgument(arg mcp.CompleteArgument) *mcp.Completion {
	out := &mcp.Completion{Values: []string{}}
	if arg.Name != "type" {
		return out
	}
	for _, t := range fileTypes {
		if strings.HasPrefix(t, arg.Value) {
			out.Values = append(out.Values, t)
		}
	}
	out.Total = len(out.Values)
	return out
}

func (c completions) complete(ctx context.Context, p Provider, req plugin.CompleteRequest, arg mcp.CompleteArgument, cctx mcp.CompleteContext) (*mcp.Completion, error) {
	req.Argument.Name, req.Argument.Value = arg.Name, arg.Value
	req.Context.Arguments = cctx.Arguments
	raw, err := p.Complete(c.s.withClient(ctx), req)
	if err != nil {
		return nil, err
	}
	var out mcp.Completion
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("plugin %s answered completion/complete with a malformed completion: %w", p.Name(), err)
	}
	if out.Values == nil {
		out.Values = []string{}
	}
	return &out, nil
}
