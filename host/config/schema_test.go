package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// The JSON Schema that editors use to complete and check tools.yaml, and the
// reference that documents every key.
const (
	schemaFile = "../../docs/tools.schema.json"
	configDoc  = "../../docs/configuration.md"
)

// schemaTable is one mapping the JSON Schema describes: its keys, and where
// in the schema file they are listed (for messages).
type schemaTable struct {
	keys []string
	at   string // JSON pointer of the properties object
}

// readSchema returns the JSON Schema as generic JSON.
func readSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	return schema
}

// schemaWalk follows the schema from the root, resolving local $refs, and
// records each mapping it describes by YAML path ("comfyui.auth",
// "tools[]"). It returns a probe value for the node: every described key
// present, mappings and lists filled in recursively, scalars null.
type schemaWalk struct {
	root   map[string]any
	tables map[string]schemaTable
}

func (w *schemaWalk) walk(node map[string]any, path, at string) any {
	if ref, ok := node["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/definitions/")
		def, _ := w.root["definitions"].(map[string]any)[name].(map[string]any)
		if !found || def == nil {
			panic("unresolvable $ref " + ref + " at " + at)
		}
		return w.walk(def, path, "#/definitions/"+name)
	}
	if items, ok := node["items"].(map[string]any); ok {
		return []any{w.walk(items, path+"[]", at+"/items")}
	}
	props, ok := node["properties"].(map[string]any)
	if !ok {
		if hasType(node, "object") {
			return map[string]any{}
		}
		return nil
	}
	probe := map[string]any{}
	table := schemaTable{at: at + "/properties"}
	for key, sub := range props {
		table.keys = append(table.keys, key)
		probe[key] = w.walk(sub.(map[string]any), join(path, key), at+"/properties/"+key)
	}
	slices.Sort(table.keys)
	w.tables[path] = table
	return probe
}

func hasType(node map[string]any, typ string) bool {
	switch v := node["type"].(type) {
	case string:
		return v == typ
	case []any:
		return slices.Contains(v, any(typ))
	}
	return false
}

var index = regexp.MustCompile(`\[\d+\]`)

// loaderTables decodes probe with the real decoder and returns the key
// table of every mapping it decoded, by YAML path.
func loaderTables(t *testing.T, probe any) map[string][]string {
	t.Helper()
	data, err := yaml.Marshal(probe)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string][]string{}
	d := newDecoder(filepath.Join(t.TempDir(), "tools.yaml"), MapEnv(nil))
	d.onMapping = func(path string, keys []string) { tables[index.ReplaceAllString(path, "[]")] = keys }
	d.document(data)
	return tables
}

// TestSchemaMatchesLoader keeps docs/tools.schema.json, docs/configuration.md
// and the key tables of schema.go in step: every key the loader accepts is
// in the schema and documented, and the schema describes no key the loader
// refuses.
func TestSchemaMatchesLoader(t *testing.T) {
	w := &schemaWalk{root: readSchema(t), tables: map[string]schemaTable{}}
	probe := w.walk(w.root, "", "#")
	loader := loaderTables(t, probe)
	doc, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for p := range loader {
		paths[p] = true
	}
	for p := range w.tables {
		paths[p] = true
	}
	for _, path := range slices.Sorted(func(yield func(string) bool) {
		for p := range paths {
			if !yield(p) {
				return
			}
		}
	}) {
		keys, decoded := loader[path]
		table, described := w.tables[path]
		where := path
		if where == "" {
			where = "the top level"
		}
		switch {
		case !decoded:
			t.Errorf("%s describes keys at %s (%s) but the loader (host/config/schema.go) never decodes a mapping there: remove them from the schema, or add the table to the loader", schemaFile, where, table.at)
			continue
		case !described:
			t.Errorf("the loader (host/config/schema.go) decodes %s as a mapping with keys %s, but %s has no \"properties\" for it: describe it there (as an object with additionalProperties: false)", where, strings.Join(keys, ", "), schemaFile)
			continue
		}
		for _, k := range keys {
			if !slices.Contains(table.keys, k) {
				t.Errorf("key %s is accepted by the loader (host/config/schema.go) but missing from %s: add it at %s with its type, description and default", docPath(path, k), schemaFile, table.at)
			}
			if !bytes.Contains(doc, []byte("`"+docPath(path, k)+"`")) {
				t.Errorf("key %s is not documented in %s: add a section for `%s` with its type, default and an example", docPath(path, k), configDoc, docPath(path, k))
			}
		}
		for _, k := range table.keys {
			if !slices.Contains(keys, k) {
				t.Errorf("%s describes key %s (at %s) but the loader (host/config/schema.go) refuses it as unknown: remove it from the schema, or add it to the loader's table", schemaFile, docPath(path, k), table.at)
			}
		}
	}
}

// docPath is how docs/configuration.md names a key: comfyui.auth.token_env,
// tools[].plugin.
func docPath(path, key string) string { return join(path, key) }

// compileSchema compiles docs/tools.schema.json with a real validator, which
// also checks that it is a valid draft-07 schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("tools.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("tools.schema.json")
	if err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	return s
}

// yamlInstance turns a YAML document into the JSON value a schema-aware
// editor validates.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// The schema must accept every tools.yaml the repository ships (and they
// must point editors at it), and refuse what the loader refuses for its
// shape alone.
func TestSchemaValidatesShippedConfigs(t *testing.T) {
	schema := compileSchema(t)
	files, err := filepath.Glob("../../examples/*/tools.yaml")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../examples/*/*/tools.yaml")
	files = append(append([]string{"../../tools.yaml"}, files...), more...)
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(yamlInstance(t, data)); err != nil {
				t.Errorf("%s does not validate against %s: %v", file, schemaFile, err)
			}
			want := schemaLine(t, file)
			if !bytes.HasPrefix(data, []byte(want+"\n")) {
				t.Errorf("%s does not start with %q, so editors do not check it", file, want)
			}
		})
	}
	bad := []struct{ name, yaml string }{
		{"misspelt key", "tool: []\n"},
		{"misspelt tool key", "tools:\n  - name: a\n    plugn: a.wasm\n"},
		{"missing plugin", "tools:\n  - name: a\n"},
		{"bad tool name", "tools:\n  - name: a b\n    plugin: a.wasm\n"},
		{"bad duration", "comfyui:\n  timeout: 30\n"},
		{"decimal byte unit", "comfyui:\n  max_response_bytes: 64MB\n"},
		{"auth without token_env", "comfyui:\n  auth:\n    header: X-Key\n"},
		{"watch as a word", "watch: yes\n"},
	}
	for _, tc := range bad {
		if schema.Validate(yamlInstance(t, []byte(tc.yaml))) == nil {
			t.Errorf("%s: the schema accepts %q, which the loader refuses", tc.name, tc.yaml)
		}
		if _, err := Parse([]byte(tc.yaml), filepath.Join(t.TempDir(), "tools.yaml"), MapEnv(nil)); err == nil {
			t.Errorf("%s: the loader accepts %q", tc.name, tc.yaml)
		}
	}
}

// schemaLine is the yaml-language-server comment that points the editor of
// file at docs/tools.schema.json, by a path relative to file.
func schemaLine(t *testing.T, file string) string {
	rel, err := filepath.Rel(filepath.Dir(file), filepath.Dir(schemaFile))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.ToSlash(filepath.Join(rel, filepath.Base(schemaFile)))
	if !strings.HasPrefix(path, "../") {
		path = "./" + path
	}
	return "# yaml-language-server: $schema=" + path
}
