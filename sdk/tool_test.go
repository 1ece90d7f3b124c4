package sdk

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

type jobStatus struct {
	PromptID string `json:"prompt_id"`
	Found    bool   `json:"found"`
	Steps    int    `json:"steps,omitempty"`
}

// jobTool is the tool from the package documentation, answering from its
// arguments alone.
var jobTool = Tool[jobInput, jobStatus]{
	Name:        "get_job_status",
	Title:       "Job status",
	Description: "Checks the status of ONE job.",
	Annotations: Annotations{ReadOnly: true, Idempotent: true},
	Handler: func(c *Call, in jobInput) (jobStatus, error) {
		switch in.PromptID {
		case "missing":
			return jobStatus{}, fmt.Errorf("no job %q in the queue or history", in.PromptID)
		case "panic":
			panic("handler bug")
		}
		return jobStatus{PromptID: in.PromptID, Found: true, Steps: in.Steps}, nil
	},
}

func mustCompile[In, Out any](t *testing.T, tool Tool[In, Out]) *registration {
	t.Helper()
	r, err := tool.compile()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDescribe(t *testing.T) {
	generic := jobTool
	generic.Name = ""
	generic.Title = ""
	generic.Annotations = Annotations{ReadOnly: true, Destructive: true, OpenWorld: true}
	rich := Tool[empty, *Result]{Name: "clear_queue", Description: "Clears the queue.", Annotations: Annotations{Destructive: true},
		Handler: func(*Call, empty) (*Result, error) { return Text("cleared"), nil }}
	tests := []struct {
		name string
		reg  *registration
		cfg  string
		want string
	}{
		{"typed", mustCompile(t, jobTool), "", `{"abi":1,"tool":{"name":"get_job_status","title":"Job status","description":"Checks the status of ONE job.","inputSchema":{"type":"object","properties":{"prompt_id":{"type":"string","description":"The prompt ID returned by enqueue_workflow"},"verbose":{"type":"boolean","description":"Include the raw history entry"},"steps":{"type":"integer","default":20,"minimum":1,"maximum":150},"sampler":{"type":"string","enum":["euler","euler_ancestral","dpmpp_2m"],"default":"euler"}},"required":["prompt_id"],"additionalProperties":false},"outputSchema":{"type":"object","properties":{"prompt_id":{"type":"string"},"found":{"type":"boolean"},"steps":{"type":"integer"}},"required":["prompt_id","found"]},"annotations":{"readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}}`},
		{"generic: the name comes from the config; read-only is never destructive", mustCompile(t, generic), `{"tool":"job_status_2","config":{}}`, `{"abi":1,"tool":{"name":"job_status_2","description":"Checks the status of ONE job.","inputSchema":{"type":"object","properties":{"prompt_id":{"type":"string","description":"The prompt ID returned by enqueue_workflow"},"verbose":{"type":"boolean","description":"Include the raw history entry"},"steps":{"type":"integer","default":20,"minimum":1,"maximum":150},"sampler":{"type":"string","enum":["euler","euler_ancestral","dpmpp_2m"],"default":"euler"}},"required":["prompt_id"],"additionalProperties":false},"outputSchema":{"type":"object","properties":{"prompt_id":{"type":"string"},"found":{"type":"boolean"},"steps":{"type":"integer"}},"required":["prompt_id","found"]},"annotations":{"readOnlyHint":true,"destructiveHint":false,"idempotentHint":false,"openWorldHint":true}}}`},
		{"result: no outputSchema", mustCompile(t, rich), "", `{"abi":1,"tool":{"name":"clear_queue","description":"Clears the queue.","inputSchema":{"type":"object","properties":{},"additionalProperties":false},"annotations":{"readOnlyHint":false,"destructiveHint":true,"idempotentHint":false,"openWorldHint":false}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHost{t: t, cfg: tt.cfg}
			if got := string(newInstance(h, tt.reg).describe()); got != tt.want {
				t.Errorf("describe\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestDescribeGenericWithoutName(t *testing.T) {
	generic := jobTool
	generic.Name = ""
	for _, cfg := range []string{`{"config":{}}`, `not json`} {
		h := &fakeHost{t: t, cfg: cfg}
		v := catchPanic(func() { newInstance(h, mustCompile(t, generic)).describe() })
		if v == nil {
			t.Errorf("describe with config %s did not panic", cfg)
		}
	}
}

// catchPanic runs f and returns what it panicked with, or nil.
func catchPanic(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

func TestCall(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"structured", `{"tool":"get_job_status","arguments":{"prompt_id":"abc"}}`,
			`{"result":{"structuredContent":{"prompt_id":"abc","found":true,"steps":20}}}`},
		{"handler error", `{"tool":"get_job_status","arguments":{"prompt_id":"missing"}}`,
			`{"result":{"content":[{"type":"text","text":"no job \"missing\" in the queue or history"}],"isError":true}}`},
		{"invalid arguments", `{"tool":"get_job_status","arguments":{"prompt_id":"abc","steps":200}}`,
			`{"result":{"content":[{"type":"text","text":"argument \"steps\": must be at most 150, got 200"}],"isError":true}}`},
		{"no arguments", `{"tool":"get_job_status"}`,
			`{"result":{"content":[{"type":"text","text":"argument \"prompt_id\" is required"}],"isError":true}}`},
		{"arguments not an object", `{"tool":"get_job_status","arguments":[]}`,
			`{"result":{"content":[{"type":"text","text":"arguments must be a JSON object, got an array"}],"isError":true}}`},
	}
	reg := mustCompile(t, jobTool)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInstance(&fakeHost{t: t}, reg)
			if got := string(in.call([]byte(tt.input))); got != tt.want {
				t.Errorf("outcome\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestCallPanics checks that a handler's panic is not caught: it is the
// ABI's "plugin failed", which the host reports and recovers from. So are
// answers the SDK cannot send and a malformed call input.
func TestCallPanics(t *testing.T) {
	nilResult := Tool[empty, *Result]{Name: "nil_result", Handler: func(*Call, empty) (*Result, error) { return nil, nil }}
	nilStruct := Tool[empty, *jobStatus]{Name: "nil_struct", Handler: func(*Call, empty) (*jobStatus, error) { return nil, nil }}
	badContent := Tool[empty, *Result]{Name: "bad_content", Handler: func(*Call, empty) (*Result, error) {
		return &Result{Content: []Content{{Type: "video"}}}, nil
	}}
	notObject := Tool[empty, Result]{Name: "not_object", Handler: func(*Call, empty) (Result, error) {
		return Result{StructuredContent: []byte(`[1]`)}, nil
	}}
	tests := []struct {
		name  string
		reg   *registration
		input string
		want  string
	}{
		{"handler panic", mustCompile(t, jobTool), `{"arguments":{"prompt_id":"panic"}}`, "handler bug"},
		{"nil *Result", mustCompile(t, nilResult), `{"arguments":{}}`, `the handler of tool "nil_result" returned a nil *sdk.Result and a nil error`},
		{"nil *struct", mustCompile(t, nilStruct), `{"arguments":{}}`, `the handler of tool "nil_struct" returned a nil *sdk.jobStatus and a nil error`},
		{"unknown content type", mustCompile(t, badContent), `{"arguments":{}}`, `content item of unknown type "video"`},
		{"structured content not an object", mustCompile(t, notObject), `{"arguments":{}}`, `StructuredContent must be a JSON object`},
		{"input not JSON", mustCompile(t, jobTool), `{"arguments":`, "call input is not JSON"},
		{"input not an object", mustCompile(t, jobTool), `[]`, "call input is an array, not an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := catchPanic(func() { newInstance(&fakeHost{t: t}, tt.reg).call([]byte(tt.input)) })
			if v == nil || !strings.Contains(fmt.Sprint(v), tt.want) {
				t.Errorf("panic %v, want one containing %q", v, tt.want)
			}
		})
	}
}

func TestCallOutputs(t *testing.T) {
	type answer map[string]int
	nilMap := Tool[empty, answer]{Name: "nil_map", Handler: func(*Call, empty) (answer, error) { return nil, nil }}
	nan := Tool[empty, struct {
		F float64 `json:"f"`
	}]{Name: "nan", Handler: func(*Call, empty) (struct {
		F float64 `json:"f"`
	}, error) {
		return struct {
			F float64 `json:"f"`
		}{math.NaN()}, nil
	}}
	value := Tool[empty, Result]{Name: "value", Handler: func(*Call, empty) (Result, error) { return *Text("hello"), nil }}
	rich := Tool[empty, *Result]{Name: "rich", Handler: func(c *Call, _ empty) (*Result, error) {
		return JSON(map[string]string{"tool": c.Tool()}).WithImage([]byte{1, 2, 3}, "image/png"), nil
	}}
	wrapped := Tool[empty, *Result]{Name: "wrapped", Handler: func(*Call, empty) (*Result, error) {
		return nil, fmt.Errorf("enqueue: %w", errors.New("ComfyUI said no"))
	}}
	type point struct {
		X int `json:"x"`
	}
	encoded := Tool[empty, point]{Name: "encoded", Handler: func(*Call, empty) (point, error) { return point{X: 7}, nil },
		EncodeOutput: func(p point, b []byte) ([]byte, error) { return fmt.Appendf(b, `{"x":%d}`, p.X), nil }}
	badEncoder := Tool[empty, point]{Name: "bad_encoder", Handler: func(*Call, empty) (point, error) { return point{}, nil },
		EncodeOutput: func(point, []byte) ([]byte, error) { return nil, errors.New("no") }}
	nilPointer := Tool[empty, *point]{Name: "nil_pointer", Handler: func(*Call, empty) (*point, error) { return &point{X: 1}, nil },
		EncodeOutput: func(p *point, b []byte) ([]byte, error) { return fmt.Appendf(b, `{"x":%d,"by":"encoder"}`, p.X), nil }}
	tests := []struct {
		name string
		reg  *registration
		want string
	}{
		{"nil map is an empty object", mustCompile(t, nilMap), `{"result":{"structuredContent":{}}}`},
		{"unencodable answer", mustCompile(t, nan), `{"result":{"content":[{"type":"text","text":"the tool's answer could not be encoded as JSON: json: unsupported value: NaN"}],"isError":true}}`},
		{"Result value", mustCompile(t, value), `{"result":{"content":[{"type":"text","text":"hello"}]}}`},
		{"Result pointer", mustCompile(t, rich), `{"result":{"content":[{"type":"text","text":"{\"tool\":\"rich\"}"},{"type":"image","data":"AQID","mimeType":"image/png"}],"structuredContent":{"tool":"rich"}}}`},
		{"error on a *Result tool", mustCompile(t, wrapped), `{"result":{"content":[{"type":"text","text":"enqueue: ComfyUI said no"}],"isError":true}}`},
		{"EncodeOutput writes the answer", mustCompile(t, encoded), `{"result":{"structuredContent":{"x":7}}}`},
		{"EncodeOutput's error", mustCompile(t, badEncoder), `{"result":{"content":[{"type":"text","text":"the tool's answer could not be encoded as JSON: no"}],"isError":true}}`},
		{"EncodeOutput of a pointer", mustCompile(t, nilPointer), `{"result":{"structuredContent":{"x":1,"by":"encoder"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(newInstance(&fakeHost{t: t}, tt.reg).call([]byte(`{"arguments":{}}`)))
			if got != tt.want {
				t.Errorf("outcome\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestCallPointerInput(t *testing.T) {
	tool := Tool[*jobInput, *Result]{Name: "ptr", Handler: func(_ *Call, in *jobInput) (*Result, error) {
		return Textf("%s %d", in.PromptID, in.Steps), nil
	}}
	got := string(newInstance(&fakeHost{t: t}, mustCompile(t, tool)).call([]byte(`{"arguments":{"prompt_id":"p"}}`)))
	if want := `{"result":{"content":[{"type":"text","text":"p 20"}]}}`; got != want {
		t.Errorf("outcome %s, want %s", got, want)
	}
}

func TestCallGenericToolName(t *testing.T) {
	var seen []string
	generic := Tool[empty, *Result]{Handler: func(c *Call, _ empty) (*Result, error) {
		seen = append(seen, c.Tool())
		return Text("ok"), nil
	}}
	h := &fakeHost{t: t, cfg: `{"tool":"declared","config":{}}`}
	in := newInstance(h, mustCompile(t, generic))
	in.call([]byte(`{"tool":"from_input","arguments":{}}`))
	in.call([]byte(`{"arguments":{}}`))
	in.call([]byte(`{"arguments":{}}`))
	if want := "from_input,declared,declared"; strings.Join(seen, ",") != want {
		t.Errorf("Call.Tool() = %v, want %s", seen, want)
	}
	if h.cfgCalls != 1 {
		t.Errorf("config fetched %d times, want once per instance", h.cfgCalls)
	}
}

func TestRegister(t *testing.T) {
	defer func(r *registration) { registered = r }(registered)
	registered = nil

	tests := []struct {
		name     string
		register func()
		want     string
	}{
		{"invalid name", func() {
			Register(Tool[empty, *Result]{Name: "get job", Handler: func(*Call, empty) (*Result, error) { return nil, nil }})
		},
			`sdk: invalid tool name "get job": it must match ^[a-zA-Z0-9_-]{1,64}$`},
		{"name too long", func() {
			Register(Tool[empty, *Result]{Name: strings.Repeat("a", 65), Handler: func(*Call, empty) (*Result, error) { return nil, nil }})
		}, "invalid tool name"},
		{"no handler", func() { Register(Tool[empty, *Result]{Name: "x"}) }, "sdk: tool x has no Handler"},
		{"input not a struct", func() {
			Register(Tool[string, *Result]{Name: "x", Handler: func(*Call, string) (*Result, error) { return nil, nil }})
		},
			"sdk: tool x: input: string is not a struct"},
		{"output not an object", func() {
			Register(Tool[empty, []string]{Name: "x", Handler: func(*Call, empty) ([]string, error) { return nil, nil }})
		},
			"sdk: tool x: output: []string is not a struct or a map with string keys"},
		{"bad tag", func() {
			Register(Tool[minLenOnInt, *Result]{Name: "x", Handler: func(*Call, minLenOnInt) (*Result, error) { return nil, nil }})
		},
			"sdk: tool x: input: field sdk.minLenOnInt.N: tag minLength applies to strings, not int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := catchPanic(tt.register)
			if v == nil || !strings.Contains(fmt.Sprint(v), tt.want) {
				t.Errorf("panic %v, want one containing %q", v, tt.want)
			}
			if registered != nil {
				t.Error("a failed Register registered a tool")
			}
		})
	}

	Register(jobTool)
	if registered == nil || registered.name != "get_job_status" {
		t.Fatalf("registered = %+v", registered)
	}
	v := catchPanic(func() { Register(jobTool) })
	if want := `sdk: Register called twice (tool "get_job_status" already registered, now "get_job_status")`; v == nil || !strings.Contains(fmt.Sprint(v), want) {
		t.Errorf("second Register: panic %v, want %q", v, want)
	}
	if v := catchPanic(func() { newInstance(&fakeHost{t: t}, nil) }); v != errNoTool {
		t.Errorf("newInstance without a registration: panic %v, want errNoTool", v)
	}
}

type minLenOnInt struct {
	N int `json:"n" minLength:"1"`
}

func TestToolMarshalJSON(t *testing.T) {
	b, err := jobTool.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	desc, _ := mustCompile(t, jobTool).describe("get_job_status", Description{})
	if want := `{"abi":1,"tool":` + string(b) + `}`; string(desc) != want {
		t.Errorf("MarshalJSON %s does not match the description %s", b, desc)
	}
	if _, err := (Tool[empty, *Result]{Name: "bad name"}).MarshalJSON(); err == nil {
		t.Error("MarshalJSON of an invalid tool succeeded")
	}
}
