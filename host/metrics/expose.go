package metrics

import (
	"bufio"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The Prometheus text exposition format, version 0.0.4, written by hand:
// easel exposes a few dozen series, and the client library with its
// protobuf dependencies cost more binary size than the whole feature is
// worth.

// contentType is what Handler answers with.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// family is one metric family as exposed: HELP, TYPE and its samples, in
// output order.
type family struct {
	name, help, typ string
	samples         []sample
}

// sample is one line: the family name plus suffix (_bucket, _sum, _count
// or none), its labels and value.
type sample struct {
	suffix string
	labels []label
	value  float64
}

type label struct{ name, value string }

// writeFamilies writes fams sorted by name; families without samples are
// left out, as client_golang does.
func writeFamilies(w io.Writer, fams []family) error {
	slices.SortFunc(fams, func(a, b family) int { return strings.Compare(a.name, b.name) })
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue
		}
		bw.WriteString("# HELP " + f.name + " " + escapeHelp(f.help) + "\n")
		bw.WriteString("# TYPE " + f.name + " " + f.typ + "\n")
		for _, s := range f.samples {
			bw.WriteString(f.name + s.suffix)
			writeLabels(bw, s.labels)
			bw.WriteString(" " + formatFloat(s.value) + "\n")
		}
	}
	return bw.Flush()
}

func writeLabels(bw *bufio.Writer, labels []label) {
	if len(labels) == 0 {
		return
	}
	bw.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(l.name + `="` + escapeLabel(l.value) + `"`)
	}
	bw.WriteByte('}')
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// formatFloat writes v as the format (and Go's ParseFloat) reads it.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// pairs zips label names and values, sorted by name as client_golang
// orders them.
func pairs(names, values []string) []label {
	ls := make([]label, len(names))
	for i := range names {
		ls[i] = label{names[i], values[i]}
	}
	slices.SortFunc(ls, func(a, b label) int { return strings.Compare(a.name, b.name) })
	return ls
}

// compareLabels orders series by their label values, in label-name order.
func compareLabels(a, b []label) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i].value, b[i].value); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// sortSamples sorts the samples of a family with one sample per series
// (counters, gauges).
func sortSamples(ss []sample) {
	slices.SortFunc(ss, func(a, b sample) int { return compareLabels(a.labels, b.labels) })
}

// counterVec is a counter per label set.
type counterVec struct {
	name, help string
	labels     []string

	mu     sync.Mutex
	series map[string]*counterSeries
}

type counterSeries struct {
	labels []label
	value  float64
}

func newCounterVec(name, help string, labels ...string) *counterVec {
	return &counterVec{name: name, help: help, labels: labels, series: map[string]*counterSeries{}}
}

// inc adds 1 to the series of values, given in the order of c.labels.
func (c *counterVec) inc(values ...string) {
	key := strings.Join(values, "\xff")
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.series[key]
	if s == nil {
		s = &counterSeries{labels: pairs(c.labels, values)}
		c.series[key] = s
	}
	s.value++
}

func (c *counterVec) family() family {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := family{name: c.name, help: c.help, typ: "counter"}
	for _, s := range c.series {
		f.samples = append(f.samples, sample{labels: s.labels, value: s.value})
	}
	sortSamples(f.samples)
	return f
}

// histogramVec is a histogram per label set, with fixed bucket bounds.
type histogramVec struct {
	name, help string
	labels     []string
	bounds     []float64 // ascending upper bounds, +Inf implied

	mu     sync.Mutex
	series map[string]*histogramSeries
}

type histogramSeries struct {
	labels []label
	counts []uint64 // per bucket, not cumulative; len(bounds)
	count  uint64
	sum    float64
}

func newHistogramVec(name, help string, bounds []float64, labels ...string) *histogramVec {
	return &histogramVec{name: name, help: help, labels: labels, bounds: bounds, series: map[string]*histogramSeries{}}
}

// observe records v in the series of values, given in the order of h.labels.
func (h *histogramVec) observe(v float64, values ...string) {
	key := strings.Join(values, "\xff")
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v: le is inclusive
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[key]
	if s == nil {
		s = &histogramSeries{labels: pairs(h.labels, values), counts: make([]uint64, len(h.bounds))}
		h.series[key] = s
	}
	if i < len(h.bounds) {
		s.counts[i]++
	}
	s.count++
	s.sum += v
}

func (h *histogramVec) family() family {
	h.mu.Lock()
	defer h.mu.Unlock()
	all := make([]*histogramSeries, 0, len(h.series))
	for _, s := range h.series {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b *histogramSeries) int { return compareLabels(a.labels, b.labels) })
	f := family{name: h.name, help: h.help, typ: "histogram"}
	for _, s := range all {
		var cum uint64
		for i, b := range h.bounds {
			cum += s.counts[i]
			f.samples = append(f.samples, bucket(s.labels, b, cum))
		}
		f.samples = append(f.samples, bucket(s.labels, math.Inf(1), s.count),
			sample{suffix: "_sum", labels: s.labels, value: s.sum},
			sample{suffix: "_count", labels: s.labels, value: float64(s.count)})
	}
	return f
}

// bucket is the _bucket sample with le last, where the format puts it.
func bucket(labels []label, le float64, n uint64) sample {
	ls := append(slices.Clip(labels), label{"le", formatFloat(le)})
	return sample{suffix: "_bucket", labels: ls, value: float64(n)}
}

// gauge is a family of one unlabelled or const-labelled gauge sample.
func gauge(name, help string, v float64, labels ...label) family {
	return family{name: name, help: help, typ: "gauge", samples: []sample{{labels: labels, value: v}}}
}
