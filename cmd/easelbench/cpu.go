package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuTime is the CPU time every thread of process pid has used so far,
// from /proc/PID/task/*/schedstat (nanosecond resolution, unlike the
// clock ticks of /proc/PID/stat). It is 0 where /proc is missing.
func cpuTime(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread has exited
		}
		first, _, _ := strings.Cut(string(b), " ")
		ns, _ := strconv.ParseInt(first, 10, 64)
		sum += time.Duration(ns)
	}
	return sum
}

// cpuShare is the CPU each process of a measurement used per call.
type cpuShare struct {
	client, easel, emulator time.Duration
}

// total is the machine's CPU per call.
func (s cpuShare) total() time.Duration { return s.client + s.easel + s.emulator }

func (s cpuShare) String() string {
	if s.total() == 0 {
		return "n/a"
	}
	us := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/1e3) }
	parts := []string{"client " + us(s.client)}
	if s.easel > 0 {
		parts = append(parts, "easel "+us(s.easel))
	}
	parts = append(parts, "emulator "+us(s.emulator))
	return fmt.Sprintf("%s µs (%s)", us(s.total()), strings.Join(parts, " + "))
}

// measureCPU runs fn and divides the CPU that this process (the client),
// easel (pid 0 when absent) and the emulator (pid 0 for a real ComfyUI)
// used meanwhile by calls.
func measureCPU(easelPID, emulatorPID, calls int, fn func()) cpuShare {
	self := os.Getpid()
	read := func(pid int) time.Duration {
		if pid == 0 {
			return 0
		}
		return cpuTime(pid)
	}
	// This process's own reads of the others' /proc files stay outside its
	// window: it is read last before fn and first after.
	e0, m0 := read(easelPID), read(emulatorPID)
	c0 := read(self)
	fn()
	c1 := read(self)
	per := func(d time.Duration) time.Duration { return d / time.Duration(calls) }
	return cpuShare{
		client:   per(c1 - c0),
		easel:    per(read(easelPID) - e0),
		emulator: per(read(emulatorPID) - m0),
	}
}
