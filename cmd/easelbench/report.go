package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// report holds every measurement of a run.
type report struct {
	floorLat, easelLat   latencies
	floorTput, easelTput float64
	floorCPU, easelCPU   cpuShare // CPU per call in the throughput run

	// The same against a server at ComfyUI's speed.
	slowName                string
	slowFloorLat, slowLat   latencies
	slowFloorTput, slowTput float64
	slowFloorCPU, slowCPU   cpuShare

	coldStart, warmStart time.Duration
	firstCall, warmFirst time.Duration
	listBytes, tools     int

	rssIdle, rssIdleWarm, rssLoad, rssAfterLoad int64
	rssWaiters, waitersBefore                   int64
	rssFirst, rssFirstTree, rssWaitersTree      int64 // peaks, see rssPeaks
	waitersDone                                 time.Duration
	waitersFailed                               int
}

func sortDurations(d []time.Duration) { slices.Sort(d) }

// print writes the table: each row the measurement, easel, the floor where
// there is one, their ratio, the target and whether it is met.
func (r *report) print(w io.Writer, c config) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "| measurement\t| easel\t| floor (direct HTTP)\t| ratio\t| target\t| met\t|")
	fmt.Fprintln(tw, "| ---\t| ---\t| ---\t| ---\t| ---\t| ---\t|")
	row := func(name, easel, floor, ratio, target string, met bool) {
		fmt.Fprintf(tw, "| %s\t| %s\t| %s\t| %s\t| %s\t| %s\t|\n", name, easel, floor, ratio, target, yes(met))
	}
	info := func(name, easel, floor, ratio string) {
		fmt.Fprintf(tw, "| %s\t| %s\t| %s\t| %s\t| \t| \t|\n", name, easel, floor, ratio)
	}
	statusRows := func(server string, easel, floor latencies, easelTput, floorTput float64, easelCPU, floorCPU cpuShare) {
		p50 := ratio(easel.pct(0.5), floor.pct(0.5))
		row("get_job_status p50 (stdio, 1 in flight), "+server, ms(easel.pct(0.5)), ms(floor.pct(0.5)), fmt.Sprintf("%.2f×", p50), "≤ 1.5×", p50 <= 1.5)
		for _, p := range []float64{0.9, 0.99} {
			info(fmt.Sprintf("get_job_status p%g, %s", p*100, server), ms(easel.pct(p)), ms(floor.pct(p)), fmt.Sprintf("%.2f×", ratio(easel.pct(p), floor.pct(p))))
		}
		share := easelTput / floorTput
		row(fmt.Sprintf("throughput, %d in flight, %s", c.inflight, server), fmt.Sprintf("%.0f calls/s", easelTput), fmt.Sprintf("%.0f calls/s", floorTput), fmt.Sprintf("%.0f%%", share*100), "≥ 75%", share >= 0.75)
		info("CPU per call in that run, "+server, easelCPU.String(), floorCPU.String(), fmt.Sprintf("%.2f×", ratio(easelCPU.total(), floorCPU.total())))
	}
	statusRows("emulator at Go speed", r.easelLat, r.floorLat, r.easelTput, r.floorTput, r.easelCPU, r.floorCPU)
	statusRows(r.slowName, r.slowLat, r.slowFloorLat, r.slowTput, r.slowFloorTput, r.slowCPU, r.slowFloorCPU)
	row("start-up to tools/list, empty caches", ms(r.coldStart), "", "", "≤ 300 ms", r.coldStart <= 300*time.Millisecond)
	row("start-up to tools/list, warm caches", ms(r.warmStart), "", "", "≤ 100 ms", r.warmStart <= 100*time.Millisecond)
	row("first get_job_status, empty caches", ms(r.firstCall), "", "", "≤ 3 s", r.firstCall <= 3*time.Second)
	info("first get_job_status, warm caches", ms(r.warmFirst), "", "")
	info("RSS peak during the first call, empty caches", mib(r.rssFirst), "", "")
	info("… with the process compiling the plugin", mib(r.rssFirstTree), "", "")
	row(fmt.Sprintf("RSS idle, %d tools declared", r.tools), mib(r.rssIdle), "", "", "≤ 40 MiB", r.rssIdle <= 40<<20)
	info("RSS idle, warm start after one call", mib(r.rssIdleWarm), "", "")
	row(fmt.Sprintf("RSS peak, %d in flight", c.inflight), mib(r.rssLoad), "", "", "≤ 80 MiB", r.rssLoad <= 80<<20)
	info("RSS 1 s after the load", mib(r.rssAfterLoad), "", "")
	if c.waiters > 0 {
		row(fmt.Sprintf("RSS peak, %d wait_for_job waiting", c.waiters), mib(r.rssWaiters), "", "", "≤ 150 MiB", r.rssWaiters <= 150<<20 && r.waitersFailed == 0)
		info("… with the process compiling wait_for_job", mib(r.rssWaitersTree), "", "")
		info(fmt.Sprintf("%d waits: all answered after release", c.waiters), ms(r.waitersDone), "", fmt.Sprintf("%d failed", r.waitersFailed))
	}
	row(fmt.Sprintf("tools/list size, %d tools", r.tools), fmt.Sprintf("%d B", r.listBytes), "", "", "≤ 25,000 B", r.listBytes <= 25000)
	tw.Flush()
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0f ms", float64(d)/1e6)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
