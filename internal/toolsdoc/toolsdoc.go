// Package toolsdoc writes the table of bundled tools in README.md from the
// tool.json committed beside each bundled plugin (plugins/*/tool.json, kept
// current by TestBundledToolJSON), so that the README describes exactly
// what easel serves. `go generate ./internal/toolsdoc` rewrites the table;
// TestREADMEIsCurrent fails when it is stale.
package toolsdoc

//go:generate go run ./gen -readme ../../README.md -plugins ../../plugins

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Begin and End mark the generated table in the README.
const (
	Begin = "<!-- begin bundled tools: generated from plugins/*/tool.json by `go generate ./internal/toolsdoc`; do not edit -->"
	End   = "<!-- end bundled tools -->"
)

// tool is the part of a tool.json the table shows.
type tool struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	InputSchema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	} `json:"inputSchema"`
	Annotations struct {
		ReadOnly    bool `json:"readOnlyHint"`
		Destructive bool `json:"destructiveHint"`
	} `json:"annotations"`
}

// Table renders the Markdown table of every plugins/*/tool.json under
// pluginsDir, sorted by tool name.
func Table(pluginsDir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(pluginsDir, "*", "tool.json"))
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no tool.json under %s", pluginsDir)
	}
	tools := make([]tool, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		var t tool
		if err := json.Unmarshal(data, &t); err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
		tools = append(tools, t)
	}
	sort.Slice(tools, func(i, j int) bool { return tools[i].Name < tools[j].Name })
	var b strings.Builder
	b.WriteString("| tool | arguments (optional in brackets) | effect | what it does |\n| --- | --- | --- | --- |\n")
	for _, t := range tools {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", t.Name, arguments(t), effect(t), cell(FirstSentence(t.Description)))
	}
	return b.String(), nil
}

func arguments(t tool) string {
	required := map[string]bool{}
	for _, r := range t.InputSchema.Required {
		required[r] = true
	}
	var req, opt []string
	for name := range t.InputSchema.Properties {
		if required[name] {
			req = append(req, "`"+name+"`")
		} else {
			opt = append(opt, "[`"+name+"`]")
		}
	}
	sort.Strings(req)
	sort.Strings(opt)
	if all := append(req, opt...); len(all) > 0 {
		return strings.Join(all, " ")
	}
	return "none"
}

func effect(t tool) string {
	switch {
	case t.Annotations.ReadOnly:
		return "read-only"
	case t.Annotations.Destructive:
		return "destructive"
	}
	return "changes state"
}

// FirstSentence is a description up to the end of its first sentence,
// with runs of white space made one space: the first ". " that is outside
// parentheses and does not end an abbreviation such as "e.g.", which
// descriptions use often enough that cutting there would leave a table
// saying "drop cached node results, e.g.".
func FirstSentence(d string) string {
	d = strings.Join(strings.Fields(d), " ")
	depth := 0
	for i := 0; i < len(d); i++ {
		switch d[i] {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		case '.':
			if depth == 0 && strings.HasPrefix(d[i+1:], " ") && !endsAbbreviation(d[:i+1]) {
				return d[:i+1]
			}
		}
	}
	return d
}

// endsAbbreviation reports whether s ends with an abbreviation whose
// period does not end the sentence.
func endsAbbreviation(s string) bool {
	for _, a := range []string{"e.g.", "i.e.", "vs.", "cf."} {
		if strings.HasSuffix(s, a) && (len(s) == len(a) || !isLetter(s[len(s)-len(a)-1])) {
			return true
		}
	}
	return false
}

func isLetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// cell escapes what would end a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Replace puts table between the markers of doc.
func Replace(doc, table string) (string, error) {
	begin := strings.Index(doc, Begin)
	end := strings.Index(doc, End)
	if begin < 0 || end < begin {
		return "", errors.New("the README lacks the bundled-tools markers " + Begin + " … " + End)
	}
	return doc[:begin+len(Begin)] + "\n" + table + doc[end:], nil
}
