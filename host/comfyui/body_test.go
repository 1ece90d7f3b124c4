package comfyui

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/easel-mcp/easel/internal/benchtest"
)

// BenchmarkReadBody reads a 64 KiB answer of announced length (a history
// entry with its workflow is often that size) with readBody, beside
// io.ReadAll (reported as readall-ns/op and x-readall).
func BenchmarkReadBody(b *testing.B) {
	body := bytes.Repeat([]byte(`{"k":"v"},`), 64<<10/10)
	const limit = 64 << 20
	base := benchtest.Measure(time.Second, func() {
		if _, err := io.ReadAll(io.LimitReader(bytes.NewReader(body), limit+1)); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportAllocs()
	for b.Loop() {
		got, err := readBody(bytes.NewReader(body), int64(len(body)), limit)
		if err != nil || len(got) != len(body) {
			b.Fatal(len(got), err)
		}
	}
	benchtest.Report(b, base, "readall")
}
