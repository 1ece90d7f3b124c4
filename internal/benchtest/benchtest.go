// Package benchtest lets a benchmark report itself against a baseline
// measured in the same run, so that a number from a shared, noisy machine
// comes with the ratio that does not depend on it.
//
// testing.Benchmark cannot be called from inside a benchmark (the testing
// package serializes benchmarks with a lock), so Measure times the baseline
// itself.
package benchtest

import (
	"runtime"
	"testing"
	"time"
)

// Result is a baseline's cost per operation.
type Result struct {
	NsPerOp     float64
	AllocsPerOp float64
	BytesPerOp  float64
}

// Measure runs fn repeatedly for about d (after one warm-up call) and
// returns its cost per call.
func Measure(d time.Duration, fn func()) Result {
	fn()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		fn()
		n++
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return Result{
		NsPerOp:     float64(elapsed.Nanoseconds()) / float64(n),
		AllocsPerOp: float64(after.Mallocs-before.Mallocs) / float64(n),
		BytesPerOp:  float64(after.TotalAlloc-before.TotalAlloc) / float64(n),
	}
}

// Report adds the baseline (as NAME-ns/op and NAME-allocs/op) and the
// ratio of b's ns/op to it (as x-NAME) to b's results. Call it after b's
// loop.
func Report(b *testing.B, base Result, name string) {
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(base.NsPerOp, name+"-ns/op")
	b.ReportMetric(base.AllocsPerOp, name+"-allocs/op")
	b.ReportMetric(perOp/base.NsPerOp, "x-"+name)
}

// PerOp is b's own ns/op so far, for metrics derived from it.
func PerOp(b *testing.B) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}
