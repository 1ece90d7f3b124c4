package main

import (
	"time"
)

// easel and the floor are measured in alternation, not one after the
// other. This 2-core VM's speed drifts by tens of percent within a
// minute: with the floor measured first and easel seconds later, three
// back-to-back runs gave p50 ratios of 0.99×, 1.52× and 2.28× against
// the same server. A ratio is only as good as the sameness of what its
// two sides ran on, so the sequential calls alternate in blocks of
// latencyBlock and the in-flight load in loadRounds rounds. Blocks, not
// single calls: a call right after the other side's finds the caches
// full of the other side's code and data, and each side should be timed
// as it runs on its own (alternating call by call made the floor 35%
// slower).

// side is one way to learn the job's status: through easel, or the
// floor's two direct requests.
type side struct {
	call func() error
	pid  int // easel's process, or 0 for the floor (which runs in this one)
}

// measurement is what compare measures of one side.
type measurement struct {
	lat  latencies // one call at a time
	tput float64   // calls per second with inflight at once
	cpu  cpuShare  // CPU per call of each process in the in-flight rounds
}

// loadRounds is how many times the in-flight load alternates between the
// two sides; latencyBlock is how many sequential calls of one side run
// before the other's.
const (
	loadRounds   = 10
	latencyBlock = 50
)

// compare measures a and b against the server whose process is
// emulatorPID (0 for a real ComfyUI): n sequential calls of each in
// alternation, which of the two goes first alternating too, then, after a
// warm-up round of each, n calls of each with inflight at once, in
// loadRounds rounds that alternate the same way, each after an
// unmeasured quarter round of its side.
func compare(n, inflight, emulatorPID int, a, b side) (ma, mb measurement, err error) {
	if ma.lat, mb.lat, err = alternate(n, a.call, b.call); err != nil {
		return ma, mb, err
	}
	per := max(n/loadRounds, inflight)
	var took [2]time.Duration
	var cpu [2]cpuShare
	sides := [2]side{a, b}
	// One unmeasured round of each first: the sequential calls needed one
	// plugin instance, and the load starts the others its pool allows
	// (tens of milliseconds each), once per process, not per call.
	for _, s := range sides {
		if _, err := concurrent(per, inflight, s.call); err != nil {
			return ma, mb, err
		}
	}
	for round := range loadRounds {
		for k := range 2 {
			i := (round + k) % 2
			// The other side's round left this side's caches cold: its
			// first calls ran 18% slower through easel (whose plugin
			// instances and machine code are the larger working set) and
			// 5% slower for the floor, a cost of alternating on one
			// machine, not of either side. A quarter round, unmeasured,
			// warms them.
			if _, err := concurrent(max(per/4, inflight), inflight, sides[i].call); err != nil {
				return ma, mb, err
			}
			share := measureCPU(sides[i].pid, emulatorPID, per, func() {
				start := time.Now() // the calls only: easel's side reads one more process's CPU
				_, err = concurrent(per, inflight, sides[i].call)
				took[i] += time.Since(start)
			})
			if err != nil {
				return ma, mb, err
			}
			cpu[i].client += share.client / loadRounds
			cpu[i].easel += share.easel / loadRounds
			cpu[i].emulator += share.emulator / loadRounds
		}
	}
	calls := float64(per * loadRounds)
	ma.tput, mb.tput = calls/took[0].Seconds(), calls/took[1].Seconds()
	ma.cpu, mb.cpu = cpu[0], cpu[1]
	return ma, mb, nil
}

// alternate times n calls of a and of b, one at a time, in blocks of
// latencyBlock that alternate (which side opens a pair alternating too),
// after n/10 warm-up calls of each.
func alternate(n int, a, b func() error) (latA, latB latencies, err error) {
	for range n / 10 {
		if err := a(); err != nil {
			return nil, nil, err
		}
		if err := b(); err != nil {
			return nil, nil, err
		}
	}
	latA, latB = make(latencies, 0, n), make(latencies, 0, n)
	block := func(fn func() error, lat *latencies, calls int) error {
		for range calls {
			start := time.Now()
			if err := fn(); err != nil {
				return err
			}
			*lat = append(*lat, time.Since(start))
		}
		return nil
	}
	for i := 0; i*latencyBlock < n; i++ {
		calls := min(latencyBlock, n-i*latencyBlock)
		first, second, l1, l2 := a, b, &latA, &latB
		if i%2 == 1 {
			first, second, l1, l2 = b, a, &latB, &latA
		}
		if err := block(first, l1, calls); err != nil {
			return nil, nil, err
		}
		if err := block(second, l2, calls); err != nil {
			return nil, nil, err
		}
	}
	sortDurations(latA)
	sortDurations(latB)
	return latA, latB, nil
}
