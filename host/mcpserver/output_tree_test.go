package mcpserver

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/easel-mcp/easel/internal/benchtest"
	"github.com/easel-mcp/easel/sdk/jsonread"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// jsonread.Reader.Any gives the validator what jsonschema.UnmarshalJSON would, and
// refuses what it refuses.
func FuzzReadTreeLikeJSONSchema(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,-0,true,null,"x\u00e9"],"b":{}}`, `[]`, `"\xff"`, `{"a":1,"a":2}`, `1 2`, `{"a":`, `12345678901234567890123`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		r := jsonread.New(data)
		got := r.Any()
		err := r.End()
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: error %v, jsonschema: %v", data, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %#v, jsonschema: %#v", data, got, want)
		}
	})
}

// BenchmarkValidateOutput checks a get_job_status result against its
// schema, beside the full validator alone on the tree jsonread builds
// (reported as tree-ns/op and x-tree), which is what every result went
// through before the quick check.
func BenchmarkValidateOutput(b *testing.B) {
	schema, err := compileOutputSchema("get_job_status", []byte(`{"type":"object","properties":{"prompt_id":{"type":"string"},"found":{"type":"boolean"},"done":{"type":"boolean"},"outcome":{"type":"string"},"execution_stats":{"type":"object","properties":{"start_timestamp":{"type":"integer"},"cached_nodes":{"type":"array","items":{"type":"string"}}}}},"required":["prompt_id","found"]}`))
	if err != nil {
		b.Fatal(err)
	}
	result := []byte(`{"prompt_id":"6677b279-77ba-4d63-a246-cc844d000e79","found":true,"running":false,"pending":false,"done":true,"outcome":"success","status_str":"success","execution_stats":{"start_timestamp":1795794399018,"end_timestamp":1795794399025,"total_duration_ms":7,"cached_nodes":[]}}`)
	if schema.quick == nil {
		b.Fatal("the schema is outside the quick check's subset")
	}
	base := benchtest.Measure(time.Second, func() {
		if err := validateTree(schema.full, result); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportAllocs()
	for b.Loop() {
		if err := validateOutput(schema, result); err != nil {
			b.Fatal(err)
		}
	}
	benchtest.Report(b, base, "tree")
}
