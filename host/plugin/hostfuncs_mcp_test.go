package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/easel-mcp/easel/host/gobuild"
	"github.com/easel-mcp/easel/host/policy"
)

// askerWasm is the testdata/asker plugin, built once per test binary.
var askerWasm = sync.OnceValues(func() ([]byte, error) {
	b := &gobuild.Builder{CacheDir: cacheDir}
	path, err := b.Build(context.Background(), filepath.Join("testdata", "asker"))
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

func (f *fixture) loadAsker(t *testing.T, perms *policy.Permissions) *Plugin {
	t.Helper()
	wasm, err := askerWasm()
	if err != nil {
		t.Fatalf("build asker plugin: %v", err)
	}
	p, err := f.rt.Load(context.Background(), Spec{Name: "asker", Wasm: wasm, Permissions: perms})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// fakeClient records what a plugin sends to the MCP client.
type fakeClient struct {
	mu       sync.Mutex
	minLevel string
	logs     []LogMessage
	asked    []string
}

func (c *fakeClient) Log(_ context.Context, m LogMessage) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if LogLevelRank(m.Level) < LogLevelRank(c.minLevel) {
		return false
	}
	c.logs = append(c.logs, m)
	return true
}

func (c *fakeClient) CreateMessage(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
	c.asked = append(c.asked, "sample "+string(params))
	return json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"4"},"model":"m"}`), nil
}

func (c *fakeClient) Elicit(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
	c.asked = append(c.asked, "elicit "+string(params))
	return json.RawMessage(`{"action":"accept","content":{"name":"Ada"}}`), nil
}

func askerCall(t *testing.T, p *Plugin, c Client, mode string) string {
	t.Helper()
	ctx := context.Background()
	if c != nil {
		ctx = WithClient(ctx, c)
	}
	r, err := callCtx(ctx, t, p, `{"mode":"`+mode+`"}`, nil)
	if err != nil {
		t.Fatalf("%s: %v", mode, err)
	}
	if len(r.Content) == 0 {
		t.Fatalf("%s: empty result", mode)
	}
	if r.IsError {
		return "error: " + r.Content[0].Text
	}
	return r.Content[0].Text
}

func TestClientHostFunctions(t *testing.T) {
	f := newFixture(t)
	granted := f.loadAsker(t, &policy.Permissions{Sampling: true, Elicitation: true})
	c := &fakeClient{minLevel: "info"}
	if got := askerCall(t, granted, c, "log"); got != "sent=true" || len(c.logs) != 1 || c.logs[0].Level != "warning" || string(c.logs[0].Data) != `"careful"` || c.logs[0].Logger != "asker" {
		t.Errorf("log: %s, client got %+v", got, c.logs)
	}
	c.minLevel = "error"
	if got := askerCall(t, granted, c, "log"); got != "sent=false" {
		t.Errorf("log below the client's level: %s", got)
	}
	if got := askerCall(t, granted, c, "sample"); got != "model said 4" {
		t.Errorf("sample: %s", got)
	}
	if got := askerCall(t, granted, c, "elicit"); got != `accept {"name":"Ada"}` {
		t.Errorf("elicit: %s", got)
	}
	if len(c.asked) != 2 || !strings.Contains(c.asked[0], `"maxTokens":5`) || !strings.Contains(c.asked[1], `"required":["name"]`) {
		t.Errorf("the client was asked %q", c.asked)
	}

	// Without a grant the client is never asked, and the plugin learns
	// which key to add.
	denied := f.loadAsker(t, nil)
	c2 := &fakeClient{minLevel: "debug"}
	if got := askerCall(t, denied, c2, "sample"); got != "error: sampling is not granted to tool asker (tools.yaml: permissions.sampling: true)" {
		t.Errorf("ungranted sample: %s", got)
	}
	if got := askerCall(t, denied, c2, "elicit"); !strings.Contains(got, "permissions.elicitation: true") {
		t.Errorf("ungranted elicit: %s", got)
	}
	if got := askerCall(t, denied, c2, "log"); got != "sent=true" {
		t.Errorf("log needs no grant: %s", got)
	}
	if len(c2.asked) != 0 {
		t.Errorf("an ungranted plugin reached the client: %q", c2.asked)
	}
	// A call without a client (easel call, tests) gets an answer, not a trap.
	if got := askerCall(t, granted, nil, "sample"); !strings.Contains(got, "no MCP client") {
		t.Errorf("sample without a client: %s", got)
	}
}

func TestPluginFeatures(t *testing.T) {
	f := newFixture(t)
	p := f.loadAsker(t, nil)
	feat := p.Features()
	if !p.HasTool() || len(feat.Prompts) != 1 || feat.Prompts[0].Arguments[0].Name != "q" || len(feat.Resources) != 1 || feat.ResourceTemplates[0].URITemplate != "asker://n/{n}" {
		t.Fatalf("features = %+v", feat)
	}
	ctx := context.Background()
	got, err := p.GetPrompt(ctx, "ask", map[string]string{"q": "why?"})
	if err != nil || string(got) != `{"messages":[{"role":"user","content":{"type":"text","text":"Q: why?"}}]}` {
		t.Errorf("GetPrompt = %s, %v", got, err)
	}
	var re *RequestError
	if _, err := p.GetPrompt(ctx, "ask", nil); !errors.As(err, &re) || !strings.Contains(re.Message, `argument "q" is required`) {
		t.Errorf("GetPrompt without its argument: %v", err)
	}
	if got, err := p.ReadResource(ctx, "asker://readme", "", nil); err != nil || string(got) != `{"contents":[{"uri":"asker://readme","mimeType":"text/plain","text":"read me"}]}` {
		t.Errorf("ReadResource = %s, %v", got, err)
	}
	if got, err := p.ReadResource(ctx, "asker://n/5", "asker://n/{n}", map[string]string{"n": "5"}); err != nil || !strings.Contains(string(got), `"text":"n=5"`) {
		t.Errorf("ReadResource(template) = %s, %v", got, err)
	}
	var req CompleteRequest
	req.Ref.Type, req.Ref.Name = "ref/prompt", "ask"
	req.Argument.Name, req.Argument.Value = "q", "wh"
	if got, err := p.Complete(ctx, req); err != nil || string(got) != `{"hasMore":false,"total":2,"values":["what","why"]}` {
		t.Errorf("Complete = %s, %v", got, err)
	}
}

func TestDescriptionFeaturesAreChecked(t *testing.T) {
	for name, tt := range map[string]struct {
		f    Features
		want string
	}{
		"prompt without name":     {Features{Prompts: []PromptInfo{{}}}, "prompts[0] has no name"},
		"duplicate prompt":        {Features{Prompts: []PromptInfo{{Name: "a"}, {Name: "a"}}}, `prompt "a" is declared twice`},
		"resource without scheme": {Features{Resources: []ResourceInfo{{URI: "readme", Name: "r"}}}, "has no scheme"},
		"template, no variable":   {Features{ResourceTemplates: []ResourceTemplateInfo{{URITemplate: "a://b", Name: "t"}}}, "not a URI template"},
		"fine":                    {Features{Prompts: []PromptInfo{{Name: "a", Arguments: []PromptArgument{{Name: "x"}}}}, Resources: []ResourceInfo{{URI: "a://b", Name: "b"}}}, ""},
	} {
		err := tt.f.check()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: check() = %v, want %q", name, err, tt.want)
		}
	}
}
