package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestSelectTools(t *testing.T) {
	all := []string{"get_job_status", "get_queue", "wait_for_job", "run_workflow"}
	tests := []struct {
		name     string
		patterns string
		want     []string
		err      string
	}{
		{name: "none keeps all", patterns: "", want: all},
		{name: "names", patterns: "wait_for_job,get_job_status", want: []string{"get_job_status", "wait_for_job"}},
		{name: "glob", patterns: "get_*", want: []string{"get_job_status", "get_queue"}},
		{name: "glob and name overlap", patterns: " get_* , get_queue ,", want: []string{"get_job_status", "get_queue"}},
		{name: "everything", patterns: "*", want: all},
		{name: "character class", patterns: "[rw]*", want: []string{"wait_for_job", "run_workflow"}},
		{name: "typo", patterns: "get_job_stats", err: `--tools: "get_job_stats" matches no tool of tools.yaml (tools: get_job_status, get_queue, wait_for_job, run_workflow)`},
		{name: "bad glob", patterns: "get_[", err: `--tools: "get_[" is not a valid pattern: syntax error in pattern`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{File: "tools.yaml"}
			for _, n := range all {
				c.Tools = append(c.Tools, Tool{Name: n})
			}
			err := c.SelectTools(SplitList(tt.patterns))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %s", err, tt.err)
				}
				if len(c.Tools) != len(all) {
					t.Errorf("a failed selection changed the tools: %v", c.toolNames())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.toolNames(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("tools = %s, want %s", strings.Join(got, ","), strings.Join(tt.want, ","))
			}
		})
	}
}
