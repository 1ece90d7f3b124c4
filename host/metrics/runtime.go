package metrics

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	rm "runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// goFamilies are the Go runtime metrics, named and described as
// client_golang's Go collector names them so existing dashboards keep
// working. They come from runtime/metrics, which needs no stop-the-world.
func goFamilies() []family {
	samples := make([]rm.Sample, len(goRuntimeNames))
	for i, n := range goRuntimeNames {
		samples[i].Name = n
	}
	rm.Read(samples)
	v := make(map[string]float64, len(samples))
	for _, s := range samples {
		switch s.Value.Kind() {
		case rm.KindUint64:
			v[s.Name] = float64(s.Value.Uint64())
		case rm.KindFloat64:
			v[s.Name] = s.Value.Float64()
		}
	}
	threads, _ := runtime.ThreadCreateProfile(nil)
	fams := []family{
		gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine())),
		gauge("go_threads", "Number of OS threads created.", float64(threads)),
		gauge("go_info", "Information about the Go environment.", 1, label{"version", runtime.Version()}),
	}
	fams = append(fams, gcFamilies()...)
	for _, m := range goMemstats {
		if val, ok := m.value(v); ok {
			fams = append(fams, family{name: "go_memstats_" + m.name, help: m.help, typ: m.typ(), samples: []sample{{value: val}}})
		}
	}
	for _, m := range goRuntimeGauges {
		if val, ok := v[m.source]; ok {
			fams = append(fams, gauge(m.name, m.help+" Sourced from "+m.source+".", val))
		}
	}
	return fams
}

// gcFamilies are the GC pause summary and the time of the last GC.
func gcFamilies() []family {
	st := debug.GCStats{PauseQuantiles: make([]time.Duration, 5)}
	debug.ReadGCStats(&st)
	pauses := family{name: "go_gc_duration_seconds", typ: "summary",
		help: "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles."}
	for i, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		pauses.samples = append(pauses.samples, sample{labels: []label{{"quantile", q}}, value: st.PauseQuantiles[i].Seconds()})
	}
	pauses.samples = append(pauses.samples,
		sample{suffix: "_sum", value: st.PauseTotal.Seconds()},
		sample{suffix: "_count", value: float64(st.NumGC)})
	last := 0.0
	if !st.LastGC.IsZero() {
		last = float64(st.LastGC.UnixNano()) / 1e9
	}
	return []family{pauses, gauge("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", last)}
}

// memstat is a go_memstats_* family, the sum of runtime/metrics values.
type memstat struct {
	name, help string
	sum        []string
}

func (m memstat) typ() string {
	if strings.HasSuffix(m.name, "_total") {
		return "counter"
	}
	return "gauge"
}

// value sums m's sources, or reports false when the runtime lacks one.
func (m memstat) value(v map[string]float64) (float64, bool) {
	total := 0.0
	for _, n := range m.sum {
		x, ok := v[n]
		if !ok {
			return 0, false
		}
		total += x
	}
	return total, true
}

const (
	heapObjects  = "/memory/classes/heap/objects:bytes"
	heapUnused   = "/memory/classes/heap/unused:bytes"
	heapFree     = "/memory/classes/heap/free:bytes"
	heapReleased = "/memory/classes/heap/released:bytes"
	heapStacks   = "/memory/classes/heap/stacks:bytes"
	tinyAllocs   = "/gc/heap/tiny/allocs:objects"
)

// goMemstats are client_golang's memstats families that dashboards use
// most, with its help texts.
var goMemstats = []memstat{
	{"alloc_bytes", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.", []string{heapObjects}},
	{"alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes.", []string{"/gc/heap/allocs:bytes"}},
	{"sys_bytes", "Number of bytes obtained from system. Equals to /memory/classes/total:byte.", []string{"/memory/classes/total:bytes"}},
	{"mallocs_total", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.", []string{"/gc/heap/allocs:objects", tinyAllocs}},
	{"frees_total", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects.", []string{"/gc/heap/frees:objects", tinyAllocs}},
	{"heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.", []string{heapObjects}},
	{"heap_sys_bytes", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", []string{heapObjects, heapUnused, heapReleased, heapFree}},
	{"heap_idle_bytes", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", []string{heapReleased, heapFree}},
	{"heap_inuse_bytes", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes", []string{heapObjects, heapUnused}},
	{"heap_released_bytes", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes.", []string{heapReleased}},
	{"heap_objects", "Number of currently allocated objects. Equals to /gc/heap/objects:objects.", []string{"/gc/heap/objects:objects"}},
	{"stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes.", []string{heapStacks}},
	{"next_gc_bytes", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes.", []string{"/gc/heap/goal:bytes"}},
}

// goRuntimeGauges are the runtime/metrics gauges client_golang exports by
// default, under its names.
var goRuntimeGauges = []struct{ name, source, help string }{
	{"go_gc_gogc_percent", "/gc/gogc:percent", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function."},
	{"go_gc_gomemlimit_bytes", "/gc/gomemlimit:bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function."},
	{"go_sched_gomaxprocs_threads", "/sched/gomaxprocs:threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously."},
}

// goRuntimeNames are the runtime/metrics read per scrape.
var goRuntimeNames = func() []string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, m := range goMemstats {
		for _, n := range m.sum {
			add(n)
		}
	}
	for _, g := range goRuntimeGauges {
		add(g.source)
	}
	return names
}()

// userHZ is the kernel's clock tick for /proc times; 100 on every Linux
// that matters, and what client_golang's procfs assumes too.
const userHZ = 100

// processFamilies are client_golang's process_* metrics, read from
// procRoot (/proc). Each one whose source is missing (no /proc: not
// Linux, or a sandbox) is left out rather than reported as zero.
func processFamilies(procRoot string) []family {
	var fams []family
	if st, err := readStat(procRoot); err == nil {
		fams = append(fams,
			family{name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", typ: "counter",
				samples: []sample{{value: st.cpuTicks / userHZ}}},
			gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", st.vsize),
			gauge("process_resident_memory_bytes", "Resident memory size in bytes.", st.rssPages*float64(os.Getpagesize())))
		if boot, err := bootTime(procRoot); err == nil {
			fams = append(fams, gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", boot+st.startTicks/userHZ))
		}
	}
	if fds, err := os.ReadDir(filepath.Join(procRoot, "self", "fd")); err == nil {
		fams = append(fams, gauge("process_open_fds", "Number of open file descriptors.", float64(len(fds))))
	}
	if max, err := maxFDs(procRoot); err == nil {
		fams = append(fams, gauge("process_max_fds", "Maximum number of open file descriptors.", max))
	}
	return fams
}

// procStat is what processFamilies needs of /proc/self/stat.
type procStat struct{ cpuTicks, startTicks, vsize, rssPages float64 }

func readStat(procRoot string) (procStat, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "self", "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

// parseStat reads proc(5)'s /proc/pid/stat. The command name (field 2)
// may hold spaces and parentheses, so fields are counted from its last ')'.
func parseStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/self/stat: no ')' after the command name")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3, state
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("/proc/self/stat: %d fields after the command name, want at least 22", len(f))
	}
	var v [5]float64
	for j, field := range []int{14, 15, 22, 23, 24} { // utime stime starttime vsize rss
		x, err := strconv.ParseFloat(f[field-3], 64)
		if err != nil {
			return procStat{}, fmt.Errorf("/proc/self/stat field %d: %v", field, err)
		}
		v[j] = x
	}
	return procStat{cpuTicks: v[0] + v[1], startTicks: v[2], vsize: v[3], rssPages: v[4]}, nil
}

// bootTime is btime of /proc/stat: the boot time in Unix seconds.
func bootTime(procRoot string) (float64, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "stat"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			return strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	return 0, fmt.Errorf("/proc/stat: no btime line")
}

// maxFDs is the soft limit on open files of /proc/self/limits; unlimited
// is +Inf, as client_golang reports it.
func maxFDs(procRoot string) (float64, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "self", "limits"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "Max open files")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		if f[0] == "unlimited" {
			return math.Inf(1), nil
		}
		return strconv.ParseFloat(f[0], 64)
	}
	return 0, fmt.Errorf("/proc/self/limits: no Max open files line")
}
