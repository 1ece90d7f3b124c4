package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/easel-mcp/easel/host/plugin"
	"github.com/easel-mcp/easel/internal/toolsdoc"
)

var toolsCommand = manPage{
	name:     "tools",
	summary:  "list the tools a configuration serves, with their schemas",
	synopsis: []string{"tools [--config FILE] [--json] [--log-level LEVEL]"},
	description: `
Builds, compiles and describes every plugin of tools.yaml, as 'easel serve'
would, and prints the tools without starting a server or reaching ComfyUI.

The table shows each tool's name, its arguments with their JSON types
(optional ones in brackets) and the first sentence of its description. With
--json it prints the tools exactly as a client's tools/list receives them:
{"tools": [...]} with the full input and output schemas and annotations.

A plugin that cannot be built or loaded is reported on stderr with the
tools.yaml line of its entry; the other tools are still printed.`,
	exitStatus: [3]string{
		"every tool was described",
		"at least one plugin could not be built or loaded",
		"usage error or an invalid tools.yaml",
	},
	examples: `
easel tools
easel tools --config examples/workflows/tools.yaml
easel tools --json | jq '.tools[] | select(.name == "get_image") | .inputSchema'`,
}

func runTools(ctx context.Context, io stdio, args []string) int {
	s := newSetup(toolsCommand, "warn")
	asJSON := s.fs.Bool("json", false, "print the full tool definitions as JSON, as tools/list returns them")
	st, code, ok := s.load(args, io, 0, 0)
	if !ok {
		return code
	}
	cfg := st.cfg
	l, err := newLoader(ctx, cfg.CacheDir, st.logger)
	if err != nil {
		fmt.Fprintln(io.err, "easel tools:", err)
		return exitFailure
	}
	defer l.close()
	var done func(loaded)
	if isTerminal(io.err) {
		n := 0
		done = func(r loaded) { n++; progressLine(io.err, n, len(cfg.Tools), r) }
	}
	code = exitOK
	var infos []plugin.ToolInfo
	for _, r := range l.loadAll(ctx, cfg.Tools, done) {
		if r.err != nil {
			fmt.Fprintln(io.err, r.failure())
			code = exitFailure
			continue
		}
		infos = append(infos, r.info)
	}
	if *asJSON {
		writeToolsJSON(io.out, infos)
	} else {
		writeToolsTable(io.out, infos)
	}
	return code
}

func writeToolsJSON(w io.Writer, infos []plugin.ToolInfo) {
	if infos == nil {
		infos = []plugin.ToolInfo{}
	}
	out, _ := json.MarshalIndent(map[string]any{"tools": infos}, "", "  ")
	fmt.Fprintf(w, "%s\n", out)
}

func writeToolsTable(w io.Writer, infos []plugin.ToolInfo) {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tARGUMENTS\tDESCRIPTION")
	for _, info := range infos {
		lines := wrapWords(argumentSummary(info.InputSchema), argumentsWidth)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", info.Name, lines[0], firstSentence(info.Description))
		for _, l := range lines[1:] {
			fmt.Fprintf(tw, "\t%s\t\n", l)
		}
	}
	tw.Flush()
	// Continuation rows end in an empty padded cell; drop the padding.
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// argumentsWidth is where the arguments column wraps, so that a tool with
// a dozen arguments does not push the descriptions off the screen.
const argumentsWidth = 48

// wrapWords breaks s into lines of at most width bytes at spaces (a longer
// word gets a line of its own).
func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// argumentSummary renders an input schema's properties as
// "prompt_id:string [timeout:number]": required first, optional in
// brackets, each group sorted.
func argumentSummary(schema json.RawMessage) string {
	var s struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	if json.Unmarshal(schema, &s) != nil || len(s.Properties) == 0 {
		return "-"
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	var req, opt []string
	for name, p := range s.Properties {
		arg := name
		if t := schemaType(p.Type); t != "" {
			arg += ":" + t
		}
		if required[name] {
			req = append(req, arg)
		} else {
			opt = append(opt, "["+arg+"]")
		}
	}
	sort.Strings(req)
	sort.Strings(opt)
	return strings.Join(append(req, opt...), " ")
}

// schemaType is a JSON Schema "type", which may be a list.
func schemaType(t any) string {
	switch t := t.(type) {
	case string:
		return t
	case []any:
		var names []string
		for _, n := range t {
			if s, ok := n.(string); ok {
				names = append(names, s)
			}
		}
		return strings.Join(names, "|")
	}
	return ""
}

// firstSentence shortens a description for the table: its first
// sentence, as the README's table has it, cut at 100 characters.
func firstSentence(d string) string {
	d = toolsdoc.FirstSentence(d)
	const max = 100
	if r := []rune(d); len(r) > max {
		d = string(r[:max-1]) + "…"
	}
	return d
}
