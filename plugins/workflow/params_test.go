package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/config"
)

// testWorkflow has a seed that does not fit in an int64, a link and a
// string input, like a real sampler graph.
const testWorkflow = `{
  "1": {"class_type": "EmptyImage", "inputs": {"width": 512, "height": 512, "batch_size": 1, "color": 0}},
  "2": {"class_type": "RandomNoise", "inputs": {"noise_seed": 18446744073709551615}},
  "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "out"}},
  "4": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "copy"}},
  "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "hello", "clip": ["9", 1]}}
}`

// parseConfig decodes YAML-turned-JSON config as the SDK does: numbers
// exact.
func parseConfig(t *testing.T, s string) Config {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("config %s: %v", s, err)
	}
	return cfg
}

func mustTool(t *testing.T, cfg string) *workflowTool {
	t.Helper()
	wt, err := newWorkflowTool(parseConfig(t, cfg), []byte(testWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	return wt
}

const fullConfig = `{"description": "Makes images.", "parameters": {
  "width":  {"type": "integer", "description": "Width", "minimum": 16, "maximum": 4096, "default": 256, "targets": [{"node": "1", "input": "width"}]},
  "prefix": {"type": "string", "required": true, "minLength": 1, "maxLength": 10, "pattern": "^[a-z]+$",
             "targets": [{"node": "3", "input": "filename_prefix"}, {"node": 4, "input": "filename_prefix"}]},
  "seed":   {"type": "integer", "minimum": 0, "maximum": 18446744073709551615, "targets": [{"node": "2", "input": "noise_seed"}]},
  "color":  {"type": "integer", "enum": [0, 255, 16711680], "targets": [{"node": "1", "input": "color"}]},
  "scale":  {"type": "number", "minimum": 0.5, "maximum": 2.5, "targets": [{"node": "1", "input": "batch_size"}]},
  "flag":   {"type": "boolean", "targets": [{"node": "1", "input": "height"}]},
  "style":  {"type": "string", "enum": ["a", "b"], "default": "b", "targets": [{"node": "5", "input": "text"}]}
}}`

func TestNewWorkflowToolRejectsBadConfigs(t *testing.T) {
	typo := strings.Replace(fullConfig, `{"node": "5", "input": "text"}`, `{"node": "4", "input": "class_type_typo"}`, 1)
	link := strings.Replace(fullConfig, `{"node": "5", "input": "text"}`, `{"node": "5", "input": "clip"}`, 1)
	tests := []struct {
		name, config, workflow string
		want                   []string
	}{
		{"empty description", `{"description": " ", "parameters": {}}`, "", []string{"config.description: is empty"}},
		{"long description", `{"description": "` + strings.Repeat("x", 1001) + `"}`, "", []string{"config.description: is 1001 characters"}},
		{"bad name", `{"description": "d", "parameters": {"my width": {"type": "integer", "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.my width: the name must match"}},
		{"min above max", `{"description": "d", "parameters": {"w": {"type": "integer", "minimum": 10, "maximum": 5, "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.w.minimum: 10 is above maximum 5"}},
		{"fractional integer bound", `{"description": "d", "parameters": {"w": {"type": "integer", "maximum": 5.5, "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.w.maximum: 5.5 is not an integer"}},
		{"bounds on a string", `{"description": "d", "parameters": {"p": {"type": "string", "minimum": 1, "targets": [{"node": "3", "input": "filename_prefix"}]}}}`, "",
			[]string{"config.parameters.p.minimum: applies to integer and number parameters, not string"}},
		{"string keywords on a number", `{"description": "d", "parameters": {"n": {"type": "number", "maxLength": 3, "pattern": "x", "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.n.maxLength: applies to string parameters", "config.parameters.n.pattern: applies to string parameters"}},
		{"bad pattern", `{"description": "d", "parameters": {"p": {"type": "string", "pattern": "(", "targets": [{"node": "3", "input": "filename_prefix"}]}}}`, "",
			[]string{"config.parameters.p.pattern: error parsing regexp"}},
		{"default out of bounds", `{"description": "d", "parameters": {"w": {"type": "integer", "maximum": 100, "default": 512, "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.w.default: must be at most 100, got 512"}},
		{"default of the wrong type", `{"description": "d", "parameters": {"w": {"type": "integer", "default": "big", "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.w.default: expected an integer, got a string"}},
		{"enum of the wrong type", `{"description": "d", "parameters": {"s": {"type": "string", "enum": ["a", 2], "targets": [{"node": "3", "input": "filename_prefix"}]}}}`, "",
			[]string{"config.parameters.s.enum[1]: expected a string, got a number"}},
		{"enum on a boolean", `{"description": "d", "parameters": {"b": {"type": "boolean", "enum": [true], "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.b.enum: does not apply to boolean parameters"}},
		{"required with default", `{"description": "d", "parameters": {"w": {"type": "integer", "required": true, "default": 5, "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.w.default: a required parameter has no default"}},
		{"no targets", `{"description": "d", "parameters": {"w": {"type": "integer", "targets": []}}}`, "",
			[]string{"config.parameters.w.targets: is empty"}},
		{"missing node", `{"description": "d", "parameters": {"w": {"type": "integer", "targets": [{"node": 9, "input": "width"}]}}}`, "",
			[]string{"config.parameters.w.targets[0]: the workflow has no node 9 (it has 1, 2, 3, 4, 5)"}},
		{"missing input", typo, "",
			[]string{"config.parameters.style.targets[0]: node 4 (SaveImage) has no input class_type_typo (it has filename_prefix, images)"}},
		{"a link is not a value", link, "",
			[]string{"config.parameters.style.targets[0]: input clip of node 5 (CLIPTextEncode) is a link to node 9"}},
		{"two parameters, one input", `{"description": "d", "parameters": {
			"a": {"type": "integer", "targets": [{"node": "1", "input": "width"}]},
			"b": {"type": "integer", "targets": [{"node": "1", "input": "width"}]}}}`, "",
			[]string{"config.parameters.b.targets: node 1 input width is already set by parameter a"}},
		{"target without node", `{"description": "d", "parameters": {"w": {"type": "integer", "targets": [{"input": "width"}]}}}`, "",
			[]string{"config.parameters.w.targets[0]: node is missing"}},
		{"editor-format file", `{"description": "d"}`, `{"nodes": [], "links": []}`,
			[]string{"files.workflow: the file is in the editor's format", "Workflow → Export (API)"}},
		{"not JSON", `{"description": "d"}`, `{"1": `, []string{"files.workflow: not a JSON object"}},
		{"empty workflow", `{"description": "d"}`, `{}`, []string{"files.workflow: the workflow has no nodes"}},
		{"node not an object", `{"description": "d"}`, `{"1": 5}`, []string{`files.workflow: node "1" of the workflow is not an object`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf := tt.workflow
			if wf == "" {
				wf = testWorkflow
			}
			_, err := newWorkflowTool(parseConfig(t, tt.config), []byte(wf))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// Every problem is reported at once, one per line.
func TestNewWorkflowToolReportsAllProblems(t *testing.T) {
	_, err := newWorkflowTool(parseConfig(t, `{"description": "", "parameters": {
		"a": {"type": "integer", "minimum": 3, "maximum": 1, "targets": [{"node": "1", "input": "width"}]},
		"b": {"type": "string", "targets": [{"node": "8", "input": "x"}]}}}`), []byte(testWorkflow))
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("err = %v, want three problems", err)
	}
}

func TestBuildPrompt(t *testing.T) {
	wt := mustTool(t, fullConfig)
	tests := []struct {
		name string
		args string
		want map[string]string // "node.input" → JSON value
		err  []string
	}{
		{
			name: "defaults, the workflow's own values and exact integers",
			args: `{"prefix": "abc", "seed": 18446744073709551614}`,
			want: map[string]string{"1.width": "256", "1.height": "512", "1.color": "0", "3.filename_prefix": "\"abc\"",
				"4.filename_prefix": "\"abc\"", "5.text": "\"b\"", "3.images": `["1",0]`, "2.noise_seed": "18446744073709551614"},
		},
		{
			name: "every type; an integral float is written as an integer",
			args: `{"prefix": "x", "width": 1024.0, "color": 255, "scale": 1.5, "flag": true, "style": "a"}`,
			want: map[string]string{"1.width": "1024", "1.color": "255", "1.batch_size": "1.5", "1.height": "true",
				"5.text": "\"a\"", "2.noise_seed": "18446744073709551615"},
		},
		{
			name: "null counts as absent",
			args: `{"prefix": "x", "width": null}`,
			want: map[string]string{"1.width": "256"},
		},
		{
			name: "every problem, each naming its argument",
			args: `{"width": 8, "seed": -1, "color": 7, "scale": "big", "flag": 1, "style": "c", "extra": 1}`,
			err: []string{`unknown argument "extra" (this tool takes: prefix, color, flag, scale, seed, style, width)`,
				`argument "prefix" is required`, `argument "width": must be at least 16, got 8`,
				`argument "seed": must be at least 0, got -1`, `argument "color": must be one of 0, 255, 16711680, got 7`,
				`argument "scale": expected a number, got a string`, `argument "flag": expected a boolean, got a number`,
				`argument "style": must be one of a, b, got "c"`},
		},
		{name: "fraction for an integer", args: `{"prefix": "x", "width": 20.5}`, err: []string{`argument "width": must be an integer, got 20.5`}},
		{name: "pattern", args: `{"prefix": "A1"}`, err: []string{`argument "prefix": must match the pattern ^[a-z]+$, got "A1"`}},
		{name: "length", args: `{"prefix": "abcdefghijk"}`, err: []string{`argument "prefix": must be at most 10 characters long, got 11`}},
		{name: "seed above max", args: `{"prefix": "x", "seed": 18446744073709551616}`, err: []string{`must be at most 18446744073709551615`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, err := decodeExact([]byte(tt.args))
			if err != nil {
				t.Fatal(err)
			}
			prompt, err := wt.BuildPrompt(args)
			if tt.err != nil {
				if err == nil {
					t.Fatalf("no error; prompt %v", prompt)
				}
				for _, want := range tt.err {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q:\n%v", want, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for at, want := range tt.want {
				node, input, _ := strings.Cut(at, ".")
				got, _ := json.Marshal(prompt[node].(map[string]any)["inputs"].(map[string]any)[input])
				if string(got) != want {
					t.Errorf("%s = %s, want %s", at, got, want)
				}
			}
		})
	}
	// Each prompt is a fresh copy: an earlier call leaves no trace.
	p1, _ := wt.BuildPrompt(map[string]any{"prefix": "one"})
	p2, _ := wt.BuildPrompt(map[string]any{"prefix": "two"})
	if p1["3"].(map[string]any)["inputs"].(map[string]any)["filename_prefix"] != "one" {
		t.Error("the second prompt changed the first")
	}
	_ = p2
}

func TestInputSchema(t *testing.T) {
	got := string(mustTool(t, fullConfig).InputSchema())
	want := `{"type":"object","properties":{` +
		`"prefix":{"type":"string","minLength":1,"maxLength":10,"pattern":"^[a-z]+$"},` +
		`"color":{"type":"integer","enum":[0,255,16711680]},` +
		`"flag":{"type":"boolean"},` +
		`"scale":{"type":"number","minimum":0.5,"maximum":2.5},` +
		`"seed":{"type":"integer","minimum":0,"maximum":18446744073709551615},` +
		`"style":{"type":"string","enum":["a","b"],"default":"b"},` +
		`"width":{"type":"integer","description":"Width","default":256,"minimum":16,"maximum":4096}` +
		`},"required":["prefix"],"additionalProperties":false}`
	if got != want {
		t.Fatalf("schema =\n%s\nwant\n%s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Fatal("invalid JSON")
	}
	empty := string(mustTool(t, `{"description": "d"}`).InputSchema())
	if empty != `{"type":"object","properties":{},"additionalProperties":false}` {
		t.Fatalf("schema without parameters = %s", empty)
	}
}

// The shipped examples/workflows/tools.yaml loads as easel loads it, and
// each of its entries is a valid workflow tool.
func TestExampleToolsYAML(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "workflows", "tools.yaml"), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Tools) != 2 {
		t.Fatalf("tools = %d, want 2", len(cfg.Tools))
	}
	for _, tool := range cfg.Tools {
		wf, err := os.ReadFile(tool.Files["workflow"])
		if err != nil {
			t.Fatal(err)
		}
		wt, err := newWorkflowTool(parseConfig(t, string(tool.Config)), wf)
		if err != nil {
			t.Fatalf("%s: %v", tool.Name, err)
		}
		var schema bytes.Buffer
		json.Indent(&schema, wt.InputSchema(), "", " ")
		t.Logf("%s: %d-character description, schema %d bytes", tool.Name, len([]rune(wt.description)), len(wt.InputSchema()))
		if n := len([]rune(wt.description)); n > 600 {
			t.Errorf("%s description is %d characters", tool.Name, n)
		}
		for _, p := range wt.params {
			if n := len([]rune(p.Description)); n == 0 || n > 120 {
				t.Errorf("%s.%s description is %d characters", tool.Name, p.name, n)
			}
		}
	}
}

// A refused call ends with the parameter list, so that the agent can
// correct it from the error alone.
func TestBuildPromptErrorListsParameters(t *testing.T) {
	_, err := mustTool(t, fullConfig).BuildPrompt(map[string]any{})
	want := "argument \"prefix\" is required\nParameters: prefix (string, matching ^[a-z]+$, required); " +
		"color (integer, one of 0, 255, 16711680); flag (boolean); scale (number, 0.5 to 2.5); " +
		"seed (integer, 0 to 18446744073709551615); style (string, one of a, b, default b); " +
		"width (integer, 16 to 4096, default 256): Width."
	if err == nil || err.Error() != want {
		t.Fatalf("err =\n%v\nwant\n%s", err, want)
	}
}
