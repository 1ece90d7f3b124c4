package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Proc is what Linux's /proc says about a process.
type Proc struct {
	RSS     int64 // resident set, bytes
	PeakRSS int64 // the high-water mark of RSS (VmHWM), bytes
	Threads int
	FDs     int // open file descriptors
}

// ReadProc reads /proc/<pid> ("self" for this process).
func ReadProc(pid string) (Proc, error) {
	var p Proc
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return p, err
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		fields := bytes.Fields(val)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(string(fields[0]), 10, 64)
		switch string(key) {
		case "VmRSS":
			p.RSS = n << 10
		case "VmHWM":
			p.PeakRSS = n << 10
		case "Threads":
			p.Threads = int(n)
		}
	}
	fds, err := os.ReadDir("/proc/" + pid + "/fd")
	if err != nil {
		return p, fmt.Errorf("open files of %s: %w", pid, err)
	}
	p.FDs = len(fds)
	return p, nil
}

// MiB renders a byte count.
func MiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
