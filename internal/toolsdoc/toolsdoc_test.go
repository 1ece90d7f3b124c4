package toolsdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's table of bundled tools must be what go generate writes now.
func TestREADMEIsCurrent(t *testing.T) {
	table, err := Table("../../plugins")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Replace(string(doc), table)
	if err != nil {
		t.Fatal(err)
	}
	if want != string(doc) {
		t.Fatal("README.md's table of bundled tools is stale: run go generate ./internal/toolsdoc")
	}
}

func TestTable(t *testing.T) {
	dir := t.TempDir()
	write := func(name, json string) {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "tool.json"), []byte(json), 0o644)
	}
	write("b_tool", `{"name": "b_tool", "description": "Cancels a job | all of it. More text.",
		"inputSchema": {"type": "object", "properties": {"z": {}, "a": {}, "id": {}}, "required": ["id"]},
		"annotations": {"readOnlyHint": false, "destructiveHint": true}}`)
	write("a_tool", `{"name": "a_tool", "description": "Reads\nthings", "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}}`)
	got, err := Table(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "| tool | arguments (optional in brackets) | effect | what it does |\n| --- | --- | --- | --- |\n" +
		"| `a_tool` | none | read-only | Reads things |\n" +
		"| `b_tool` | `id` [`a`] [`z`] | destructive | Cancels a job \\| all of it. |\n"
	if got != want {
		t.Errorf("Table =\n%s\nwant\n%s", got, want)
	}
}

func TestReplace(t *testing.T) {
	doc := "# x\n" + Begin + "\nold\n" + End + "\nrest\n"
	got, err := Replace(doc, "| new |\n")
	if err != nil || got != "# x\n"+Begin+"\n| new |\n"+End+"\nrest\n" {
		t.Errorf("Replace = %q, %v", got, err)
	}
	if _, err := Replace("no markers", "t"); err == nil || !strings.Contains(err.Error(), "markers") {
		t.Errorf("Replace without markers: %v", err)
	}
}

func TestFirstSentence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Checks ONE job. Then more.", "Checks ONE job."},
		{"No period at all", "No period at all"},
		{"Drops cached results, e.g. before a big job. ComfyUI only sets flags.", "Drops cached results, e.g. before a big job."},
		{"Each name (e.g. sd15.safetensors. Or not) it takes. Rest.", "Each name (e.g. sd15.safetensors. Or not) it takes."},
		{"That is, i.e. this one. Next.", "That is, i.e. this one."},
		{"A v. short one. Next.", "A v."}, // only known abbreviations are skipped
		{"Ends here.", "Ends here."},
		{"  Spaces\n  are   one.  Next.", "Spaces are one."},
		{"Unbalanced ) paren. Next.", "Unbalanced ) paren."},
	} {
		if got := FirstSentence(tc.in); got != tc.want {
			t.Errorf("FirstSentence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
