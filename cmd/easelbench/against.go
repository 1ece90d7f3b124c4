package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// A change that saves a tenth of easel's CPU is invisible in two
// easelbench runs minutes apart: this machine drifts by more. -against
// measures two easel binaries side by side instead, against one emulator
// process at ComfyUI's speed, their calls alternating as easel's and the
// floor's do (compare), and reports each pair's ratios. It is how every
// paired number in docs/performance.md since session 6 was taken.
//
//	go run ./cmd/easelbench -easel ./easel-new -against ./easel-old -config host/bundled/tools.yaml
//
// With the repository's tools.yaml both binaries build the plugins from
// the same source; host/bundled/tools.yaml makes each run the modules
// embedded in it, which is what a change to the SDK or a plugin needs.

// pairResult is one compare of the measured binary (b) against the
// baseline (a).
type pairResult struct {
	a, b measurement
}

// runAgainst starts the emulator and both easels, warms them up and runs
// c.pairs compares.
func runAgainst(ctx context.Context, c config) error {
	tmp, err := os.MkdirTemp("", "easelbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if c.tools, err = filepath.Abs(c.tools); err != nil {
		return err
	}
	slow, err := startChildEmulator(ctx, c.serviceTime, c.graph)
	if err != nil {
		return err
	}
	defer slow.close()
	base, measured := c, c
	base.easel = c.against
	var sides [2]*easel
	for i, cfg := range []config{base, measured} {
		logf("starting %s", cfg.easel)
		if sides[i], err = startEasel(ctx, cfg, filepath.Join(tmp, fmt.Sprint("cache", i)), slow.url); err != nil {
			return err
		}
		defer sides[i].close()
	}
	id := slow.doneID
	a := side{call: func() error { return sides[0].status(ctx, id) }, pid: sides[0].pid}
	b := side{call: func() error { return sides[1].status(ctx, id) }, pid: sides[1].pid}
	logf("warming up (the first calls compile the plugin)")
	for range max(c.n/5, 50) {
		if err := a.call(); err != nil {
			return err
		}
		if err := b.call(); err != nil {
			return err
		}
	}
	var pairs []pairResult
	for i := range c.pairs {
		logf("pair %d of %d", i+1, c.pairs)
		ma, mb, err := compare(c.n, c.inflight, slow.pid(), a, b)
		if err != nil {
			return err
		}
		pairs = append(pairs, pairResult{a: ma, b: mb})
	}
	printPairs(os.Stdout, c, pairs)
	return nil
}

// printPairs writes one row per pair and the range of each ratio.
func printPairs(w io.Writer, c config, pairs []pairResult) {
	fmt.Fprintf(w, "baseline (a): %s\nmeasured (b): %s\nemulator at %v per request, %d calls in flight, %d calls per side per measurement\n\n",
		c.against, c.easel, c.serviceTime, c.inflight, c.n)
	fmt.Fprintln(w, "| pair | easel CPU per call, a → b | chain CPU per call, a → b | throughput, a → b | p50, a → b |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	type span struct{ lo, hi float64 }
	var spans [4]span
	widen := func(k int, v float64) {
		if spans[k] == (span{}) {
			spans[k] = span{v, v}
		}
		spans[k].lo, spans[k].hi = min(spans[k].lo, v), max(spans[k].hi, v)
	}
	us := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/1e3) }
	for i, p := range pairs {
		ratios := [4]float64{
			float64(p.b.cpu.easel) / float64(p.a.cpu.easel),
			float64(p.b.cpu.total()) / float64(p.a.cpu.total()),
			p.b.tput / p.a.tput,
			float64(p.b.lat.pct(0.5)) / float64(p.a.lat.pct(0.5)),
		}
		for k, r := range ratios {
			widen(k, r)
		}
		fmt.Fprintf(w, "| %d | %s → %s (%.2f×) | %s → %s (%.2f×) | %.0f → %.0f/s (%.2f×) | %s → %s (%.2f×) |\n", i+1,
			us(p.a.cpu.easel), us(p.b.cpu.easel), ratios[0],
			us(p.a.cpu.total()), us(p.b.cpu.total()), ratios[1],
			p.a.tput, p.b.tput, ratios[2],
			ms(p.a.lat.pct(0.5)), ms(p.b.lat.pct(0.5)), ratios[3])
	}
	fmt.Fprintf(w, "\nb/a over %d pairs: easel CPU %.2f–%.2f×, chain CPU %.2f–%.2f×, throughput %.2f–%.2f×, p50 %.2f–%.2f×\n",
		len(pairs), spans[0].lo, spans[0].hi, spans[1].lo, spans[1].hi, spans[2].lo, spans[2].hi, spans[3].lo, spans[3].hi)
}
