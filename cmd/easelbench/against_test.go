package main

import (
	"strings"
	"testing"
	"time"
)

func TestPrintPairsReportsRatioRanges(t *testing.T) {
	m := func(easelUS, p50US int, tput float64) measurement {
		return measurement{
			lat:  latencies{time.Duration(p50US) * time.Microsecond},
			tput: tput,
			cpu:  cpuShare{client: 200 * time.Microsecond, easel: time.Duration(easelUS) * time.Microsecond, emulator: 300 * time.Microsecond},
		}
	}
	pairs := []pairResult{
		{a: m(400, 800, 1000), b: m(360, 760, 1100)},
		{a: m(300, 700, 1500), b: m(300, 700, 1500)},
	}
	var out strings.Builder
	printPairs(&out, config{easel: "new", against: "old", n: 1000, inflight: 8, serviceTime: 110 * time.Microsecond}, pairs)
	for _, want := range []string{
		"| 1 | 400 µs → 360 µs (0.90×) | 900 µs → 860 µs (0.96×) | 1000 → 1100/s (1.10×) | 0.80 ms → 0.76 ms (0.95×) |",
		"b/a over 2 pairs: easel CPU 0.90–1.00×, chain CPU 0.96–1.00×, throughput 1.00–1.10×, p50 0.95–1.00×",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
