package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/easel-mcp/easel/host/app"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/plugin"
)

var callCommand = manPage{
	name:     "call",
	summary:  "run one tool once against the configured ComfyUI and print the result",
	synopsis: []string{"call [--config FILE] [--json] [--timeout DURATION] [--log-level LEVEL] TOOL [ARGUMENTS]"},
	description: `
Runs the tool TOOL of tools.yaml once, exactly as 'easel serve' runs a
tools/call, against the ComfyUI the configuration names, and prints the
result: the fastest loop for a plugin author (edit, 'easel call', repeat;
Go-source plugins are rebuilt when their source changed).

ARGUMENTS is the tool's arguments as one JSON object; it defaults to {}
and '-' reads it from stdin. Only TOOL's plugin is built and loaded.

stdout carries the result only: the text content (JSON text indented),
one line per image or link. With --json it is the whole MCP
CallToolResult, including structuredContent and base64 image data.
Progress notifications and logs go to stderr. A result marked isError is
printed on stderr and exits with status 1.`,
	exitStatus: [3]string{
		"the tool returned a result",
		"the tool returned an error result (isError), or produced no result (its plugin failed to load, trapped or timed out)",
		"usage error, ARGUMENTS not a JSON object, an unknown TOOL or an invalid tools.yaml",
	},
	examples: `
easel call get_system_stats
easel call get_job_status '{"prompt_id": "7c1a0ab4-6f5e-4a39-9f30-2a1d3e2c5b77"}'
easel call run_workflow - < workflow-args.json
easel call --json list_models '{"folder": "checkpoints"}' | jq .structuredContent
COMFYUI_URL=http://gpu-box:8188 easel call get_queue`,
}

func runCall(ctx context.Context, io stdio, args []string) int {
	s := newSetup(callCommand, "warn")
	asJSON := s.fs.Bool("json", false, "print the whole CallToolResult as JSON")
	timeout := s.fs.Duration("timeout", 0, "give up after `DURATION` (e.g. 90s); 0 leaves only the plugin's own call timeout")
	st, code, ok := s.load(args, io, 1, 2)
	if !ok {
		return code
	}
	cfg, logger, pos := st.cfg, st.logger, st.operands
	arguments, err := callArguments(pos[1:], io.in)
	if err != nil {
		return usageError(callCommand, io, err.Error())
	}
	t, found := findTool(cfg, pos[0])
	if !found {
		fmt.Fprintf(io.err, "easel call: %s declares no tool %q; it declares: %s\n", cfg.File, pos[0], toolNames(cfg))
		return exitUsage
	}
	one := *cfg
	one.Tools = []config.Tool{t}
	a, err := app.New(ctx, &one, app.Options{Logger: logger, Version: version()})
	if err != nil {
		fmt.Fprintln(io.err, err)
		return exitFailure
	}
	defer a.Close(context.Background())
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	start := time.Now()
	raw, err := a.Call(ctx, t.Name, arguments, func(p plugin.Progress) { printProgress(io.err, p) })
	if err != nil {
		fmt.Fprintf(io.err, "easel call: %v\n", err)
		return exitFailure
	}
	logger.Info("call finished", "tool", t.Name, "elapsed", time.Since(start).Round(time.Millisecond))
	return printResult(io, plugin.WithTextItem(raw), *asJSON)
}

// callArguments reads the ARGUMENTS operand: {} when absent, stdin for -.
func callArguments(pos []string, stdin io.Reader) (json.RawMessage, error) {
	text := "{}"
	if len(pos) == 1 {
		text = pos[0]
	}
	if text == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read ARGUMENTS from stdin: %w", err)
		}
		text = string(data)
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("ARGUMENTS is not JSON: %v", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("ARGUMENTS must be a JSON object such as '{\"prompt_id\": \"...\"}', not %s", jsonKind(v))
	}
	return json.RawMessage(text), nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func findTool(cfg *config.Config, name string) (config.Tool, bool) {
	for _, t := range cfg.Tools {
		if t.Name == name {
			return t, true
		}
	}
	return config.Tool{}, false
}

func toolNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Tools))
	for i, t := range cfg.Tools {
		names[i] = t.Name
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

func printProgress(w io.Writer, p plugin.Progress) {
	switch {
	case p.Total > 0:
		fmt.Fprintf(w, "progress %g/%g %s\n", p.Progress, p.Total, p.Message)
	default:
		fmt.Fprintf(w, "progress %g %s\n", p.Progress, p.Message)
	}
}

// callResult is the part of an MCP CallToolResult that call prints.
type callResult struct {
	Content []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		Data     string `json:"data"`
		MimeType string `json:"mimeType"`
		URI      string `json:"uri"`
		Name     string `json:"name"`
		Resource *struct {
			URI string `json:"uri"`
		} `json:"resource"`
	} `json:"content"`
	IsError bool `json:"isError"`
}

// printResult prints a CallToolResult and returns the exit status it
// calls for.
func printResult(io stdio, raw json.RawMessage, asJSON bool) int {
	var res callResult
	if err := json.Unmarshal(raw, &res); err != nil {
		fmt.Fprintf(io.err, "easel call: the plugin returned something that is not a CallToolResult: %v\n", err)
		return exitFailure
	}
	code := exitOK
	if res.IsError {
		code = exitFailure
	}
	if asJSON {
		var b bytes.Buffer
		json.Indent(&b, raw, "", "  ")
		fmt.Fprintln(io.out, b.String())
		return code
	}
	w := io.out
	if res.IsError {
		w = io.err
		fmt.Fprintln(w, "easel call: the tool returned an error:")
	}
	for _, c := range res.Content {
		switch c.Type {
		case "text":
			fmt.Fprintln(w, indentJSON(c.Text))
		case "image", "audio":
			fmt.Fprintf(w, "[%s %s, %d bytes]\n", c.Type, c.MimeType, len(c.Data)/4*3)
		case "resource_link":
			fmt.Fprintf(w, "[link %s %s %s]\n", c.URI, c.Name, c.MimeType)
		case "resource":
			if c.Resource != nil {
				fmt.Fprintf(w, "[resource %s]\n", c.Resource.URI)
			}
		default:
			fmt.Fprintf(w, "[%s]\n", c.Type)
		}
	}
	return code
}

// indentJSON indents text that is a JSON object or array and leaves other
// text alone.
func indentJSON(text string) string {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
		return text
	}
	var b bytes.Buffer
	if json.Indent(&b, []byte(t), "", "  ") != nil {
		return text
	}
	return b.String()
}
