package config

import (
	"fmt"
	"path"
	"strings"
)

// SelectTools keeps the tools whose name matches one of patterns (tool names
// or path.Match globs such as "get_*"), in file order, so that an operator can
// expose a subset of a tools.yaml (`easel serve --tools get_job_status,get_*`)
// and send clients a shorter tools/list. A pattern that is malformed or
// matches no tool is an error naming it and listing the tools there are:
// a typo must not silently hide a tool. No patterns keep every tool.
func (c *Config) SelectTools(patterns []string) error {
	if len(patterns) == 0 {
		return nil
	}
	used := make([]bool, len(patterns))
	var kept []Tool
	for _, t := range c.Tools {
		keep := false
		for i, p := range patterns {
			ok, err := path.Match(p, t.Name)
			if err != nil {
				return fmt.Errorf("--tools: %q is not a valid pattern: %w", p, err)
			}
			if ok {
				used[i], keep = true, true
			}
		}
		if keep {
			kept = append(kept, t)
		}
	}
	for i, p := range patterns {
		if !used[i] {
			return fmt.Errorf("--tools: %q matches no tool of %s (tools: %s)", p, c.File, strings.Join(c.toolNames(), ", "))
		}
	}
	c.Tools = kept
	return nil
}

func (c *Config) toolNames() []string {
	names := make([]string, len(c.Tools))
	for i, t := range c.Tools {
		names[i] = t.Name
	}
	return names
}

// SplitList splits a comma-separated flag value, dropping spaces and empty
// items: "a, b,,c" is [a b c].
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
