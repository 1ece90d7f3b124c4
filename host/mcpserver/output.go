package mcpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/easel-mcp/easel/sdk/jsonread"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// A tool that declares an outputSchema promises clients structuredContent
// that validates against it, and a plugin is untrusted code: easel checks
// every result before a client sees it. It does so itself rather than
// through mcp-go's WithOutputSchemaValidation, which on every call hashes
// the schema (SHA-256) to look up its compiled form; here the schema is
// compiled once, when the tool is registered, and a refused result counts
// as an error in the call's outcome.

// outputSchema is a tool's compiled outputSchema: the full validator, and
// the quick check in front of it when the schema is in its subset.
type outputSchema struct {
	full  *jsonschema.Schema
	quick *quickSchema // nil: every result goes to full
}

// compileOutputSchema compiles a tool's outputSchema; nil, nil when it
// declares none.
func compileOutputSchema(tool string, schema json.RawMessage) (*outputSchema, error) {
	if len(bytes.TrimSpace(schema)) == 0 {
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("decode the outputSchema of %s: %w", tool, err)
	}
	url := "mem:///easel/tools/" + tool + "/output-schema.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("register the outputSchema of %s: %w", tool, err)
	}
	compiled, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile the outputSchema of %s: %w", tool, err)
	}
	return &outputSchema{full: compiled, quick: compileQuickSchema(schema)}, nil
}

// validateOutput checks structured against schema. The error names every
// failing location as a JSON Pointer, for the plugin's author.
func validateOutput(schema *outputSchema, structured json.RawMessage) error {
	if schema.quick != nil && schema.quick.accepts(structured) {
		return nil
	}
	return validateTree(schema.full, structured)
}

// validateTree is validateOutput without the quick check: the result read
// into a tree for the full validator.
func validateTree(full *jsonschema.Schema, structured json.RawMessage) error {
	r := jsonread.New(structured)
	v := r.Any()
	if err := r.End(); err != nil {
		return fmt.Errorf("output schema validation failed: structuredContent is not JSON: %w", err)
	}
	err := full.Validate(v)
	var verr *jsonschema.ValidationError
	if err == nil || !errors.As(err, &verr) {
		return err
	}
	return fmt.Errorf("output schema validation failed: %s", strings.Join(leafMessages(verr, nil), "; "))
}

// leafMessages appends one message per leaf of a validation error's tree,
// "at '/n': got string, want integer"; the inner nodes ("anyOf failed")
// say nothing of use.
func leafMessages(verr *jsonschema.ValidationError, out []string) []string {
	if len(verr.Causes) == 0 {
		return append(out, verr.Error())
	}
	for _, c := range verr.Causes {
		out = leafMessages(c, out)
	}
	return out
}
