package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// A generic tool that describes itself from its config: the description
// and schema come from Describe, the arguments arrive undecoded.
func dynamicTool() Tool[map[string]any, map[string]any] {
	return Tool[map[string]any, map[string]any]{
		Description: "static",
		Describe: func(c *Call) (Description, error) {
			var cfg struct {
				Text string `json:"text"`
			}
			if err := c.Config(&cfg); err != nil {
				return Description{}, err
			}
			spec, err := c.File("spec")
			if err != nil {
				return Description{}, err
			}
			return Description{Description: c.Tool() + ": " + cfg.Text, InputSchema: json.RawMessage(spec)}, nil
		},
		Handler: func(c *Call, args map[string]any) (map[string]any, error) {
			if _, ok := args["n"].(json.Number); !ok {
				return nil, errors.New("n is not a number")
			}
			return args, nil
		},
	}
}

func TestDescribeHook(t *testing.T) {
	h := &fakeHost{t: t, cfg: `{"tool":"wf_a","config":{"text":"makes images"}}`,
		files: map[string]string{"spec": `{"type":"object","properties":{"n":{"type":"integer"}}}`}}
	got := string(newInstance(h, mustCompile(t, dynamicTool())).describe())
	want := `{"abi":1,"tool":{"name":"wf_a","description":"wf_a: makes images","inputSchema":{"type":"object","properties":{"n":{"type":"integer"}}},"outputSchema":{"type":"object"},"annotations":{"readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}}`
	if got != want {
		t.Fatalf("describe\n got: %s\nwant: %s", got, want)
	}
	out := string(newInstance(h, mustCompile(t, dynamicTool())).call([]byte(`{"tool":"wf_a","arguments":{"n":18446744073709551615}}`)))
	if !strings.Contains(out, `"structuredContent":{"n":18446744073709551615}`) {
		t.Fatalf("call = %s", out)
	}
}

func TestDescribeHookFailures(t *testing.T) {
	tests := []struct {
		files map[string]string
		want  string
	}{
		{nil, `sdk: tool wf_a cannot describe itself: file "spec" is not granted to this tool`},
		{map[string]string{"spec": `{"type":"array"}`}, `Describe returned an InputSchema that is not a JSON Schema object`},
	}
	for _, tt := range tests {
		h := &fakeHost{t: t, cfg: `{"tool":"wf_a","config":{"text":"x"}}`, files: tt.files}
		v := catchPanic(func() { newInstance(h, mustCompile(t, dynamicTool())).describe() })
		if v == nil || !strings.Contains(fmt.Sprint(v), tt.want) {
			t.Errorf("panic = %v, want %q", v, tt.want)
		}
	}
}
