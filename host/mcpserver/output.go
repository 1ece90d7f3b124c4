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

// compileOutputSchema compiles a tool's outputSchema; nil, nil when it
// declares none.
func compileOutputSchema(tool string, schema json.RawMessage) (*jsonschema.Schema, error) {
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
	return compiled, nil
}

// validateOutput checks structured against schema. The error names every
// failing location as a JSON Pointer, for the plugin's author.
func validateOutput(schema *jsonschema.Schema, structured json.RawMessage) error {
	r := jsonread.New(structured)
	v := r.Any()
	if err := r.End(); err != nil {
		return fmt.Errorf("output schema validation failed: structuredContent is not JSON: %w", err)
	}
	err := schema.Validate(v)
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
