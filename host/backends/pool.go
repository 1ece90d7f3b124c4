// Package backends spreads ComfyUI work over several servers ("backends")
// without any state shared between easel processes.
//
// A [Pool] holds one [comfyui.Client] and one [jobs.Watcher] per backend and
// tracks each backend's health and queue length: the queue length comes from
// the status broadcasts of its event stream (each carries queue_remaining),
// health from GET /system_stats, probed on a timer and at once whenever the
// event stream drops or returns, and from the failures of real requests.
//
// [Pool.For] returns the comfyui.Doer a plugin's requests go through. It
// routes each request by what it is: a new job (POST /prompt) goes to the
// healthy backend, among those carrying the tool's labels, with the lowest
// queue length per unit of weight; a request about a job goes to the
// backend that owns it; uploads and memory frees go to every backend. The
// owner of a job is read from its prompt id, which the pool chooses as
// "<backend>.<uuid>" when it queues the job (ComfyUI accepts a caller's
// prompt_id), and is otherwise found by asking every backend, so that any
// easel replica with the same tools.yaml answers for any job.
//
// With a single backend the pool passes every request through untouched:
// prompt ids, answers and errors are exactly those of one ComfyUI.
package backends

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/jobs"
)

// Spec describes one backend.
type Spec struct {
	Name   string
	Labels map[string]string
	// Weight is the backend's share of new jobs relative to the others; at
	// least 1.
	Weight int
	Client *comfyui.Client
}

// Options configure a Pool.
type Options struct {
	// ProbeInterval is how often each backend's /system_stats is checked.
	// Default 5s.
	ProbeInterval time.Duration
	// PollInterval is passed to each backend's job watcher.
	PollInterval time.Duration
	// ObjectInfoTTL is how long each backend's /object_info answers are
	// served from memory; 0 means DefaultObjectInfoTTL, negative no cache.
	ObjectInfoTTL time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultProbeInterval is how often a backend's health is checked when
// nothing else prompts a check.
const DefaultProbeInterval = 5 * time.Second

// Pool is a set of ComfyUI backends. Create it with New, start Run in a
// goroutine, and hand For(labels) to plugins as their requester and the
// Pool itself as their job waiter.
type Pool struct {
	backends []*backend
	byName   map[string]*backend
	clientID string
	probe    time.Duration
	logger   *slog.Logger
	turn     atomic.Uint64 // rotates ties between equally loaded backends
}

// backend is one ComfyUI server and what the pool knows about it.
type backend struct {
	Spec
	doer    comfyui.Doer // Client behind its own /object_info cache
	watcher *jobs.Watcher
	kick    chan struct{} // asks the prober to check now

	mu        sync.Mutex
	probed    bool   // a probe has finished
	healthy   bool   // the last probe succeeded and no request failed since
	problem   string // why not healthy
	streamUp  bool
	queue     int // running + pending, last reported
	sent      int // jobs queued here since that report
	changedAt time.Time
}

// New makes a pool of specs, which must have unique names. It contacts no
// server; Run does.
func New(specs []Spec, opts Options) (*Pool, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("backends: no ComfyUI server configured")
	}
	p := &Pool{byName: map[string]*backend{}, clientID: jobs.NewClientID(), probe: opts.ProbeInterval, logger: opts.Logger}
	if p.probe <= 0 {
		p.probe = DefaultProbeInterval
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	for _, s := range specs {
		if _, dup := p.byName[s.Name]; dup || s.Name == "" || strings.Contains(s.Name, ".") {
			return nil, fmt.Errorf("backends: invalid or duplicate backend name %q", s.Name)
		}
		s.Weight = max(s.Weight, 1)
		// Healthy until a probe or a request says otherwise, so that jobs can be
		// queued before the first probe has finished.
		b := &backend{Spec: s, kick: make(chan struct{}, 1), healthy: true}
		b.doer = s.Client
		switch ttl := opts.ObjectInfoTTL; {
		case ttl == 0:
			b.doer = comfyui.NewObjectInfoCache(s.Client, DefaultObjectInfoTTL)
		case ttl > 0:
			b.doer = comfyui.NewObjectInfoCache(s.Client, ttl)
		}
		b.watcher = jobs.NewWatcher(s.Client, jobs.Options{
			ClientID:     p.clientID,
			PollInterval: opts.PollInterval,
			Logger:       p.logger.With("backend", s.Name),
			OnStatus:     b.setQueue,
			OnConnected:  b.setStream,
		})
		p.backends = append(p.backends, b)
		p.byName[s.Name] = b
	}
	return p, nil
}

// DefaultObjectInfoTTL is how long node definitions are served from
// memory: they change only when ComfyUI restarts with other custom nodes,
// or on uploads (which clear the cache).
const DefaultObjectInfoTTL = 5 * time.Minute

// ClientID is the client_id plugins queue prompts with; the pool's event
// streams use it on every backend.
func (p *Pool) ClientID() string { return p.clientID }

// Single reports whether the pool has one backend, and so passes requests
// through untouched.
func (p *Pool) Single() bool { return len(p.backends) == 1 }

// Names lists the backends in configuration order.
func (p *Pool) Names() []string {
	names := make([]string, len(p.backends))
	for i, b := range p.backends {
		names[i] = b.Name
	}
	return names
}

// Run follows every backend's event stream and probes its health until ctx
// ends.
func (p *Pool) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, b := range p.backends {
		wg.Add(1)
		go func() { defer wg.Done(); b.watcher.Run(ctx) }()
		if !p.Single() {
			wg.Add(1)
			go func() { defer wg.Done(); p.probeLoop(ctx, b) }()
		}
	}
	wg.Wait()
}

// Status is a backend's state as the pool sees it, for get_queue and
// get_system_stats.
type Status struct {
	Name   string            `json:"backend"`
	Labels map[string]string `json:"labels,omitempty"`
	Weight int               `json:"weight"`
	// Healthy backends receive new jobs.
	Healthy bool `json:"healthy"`
	// Problem says why a backend is not healthy.
	Problem string `json:"problem,omitempty"`
	// EventStream says whether its WebSocket is connected.
	EventStream bool `json:"event_stream"`
	// QueueRemaining is its last reported queue length (running plus
	// pending) plus the jobs queued here since that report.
	QueueRemaining int `json:"queue_remaining"`
}

// Statuses reports every backend, in configuration order.
func (p *Pool) Statuses() []Status {
	out := make([]Status, len(p.backends))
	for i, b := range p.backends {
		out[i] = b.status()
	}
	return out
}

func (b *backend) status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Status{Name: b.Name, Labels: maps.Clone(b.Labels), Weight: b.Weight, Healthy: b.healthy,
		Problem: b.problem, EventStream: b.streamUp, QueueRemaining: b.queue + b.sent}
}

// setQueue records a queue length ComfyUI reported; jobs sent before the
// report are in it.
func (b *backend) setQueue(n int) {
	b.mu.Lock()
	b.queue, b.sent = n, 0
	b.mu.Unlock()
}

// setStream records the event stream going up or down and asks for a
// probe: a dropped stream is the quickest sign of a server gone away.
func (b *backend) setStream(up bool) {
	b.mu.Lock()
	b.streamUp = up
	b.mu.Unlock()
	b.kickProbe()
}

func (b *backend) kickProbe() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// setHealth records the verdict of a probe or of a failed request.
func (b *backend) setHealth(logger *slog.Logger, ok bool, problem string) {
	b.mu.Lock()
	changed := b.healthy != ok || !b.probed
	b.probed, b.healthy, b.problem = true, ok, problem
	if changed {
		b.changedAt = time.Now()
	}
	b.mu.Unlock()
	switch {
	case changed && ok:
		logger.Info("ComfyUI backend healthy; it receives new jobs", "backend", b.Name, "url", b.Client.BaseURL())
	case changed:
		logger.Warn("ComfyUI backend unhealthy; no new jobs until it recovers", "backend", b.Name, "url", b.Client.BaseURL(), "problem", problem)
	}
}

// probeLoop checks the backend on a timer and whenever kicked.
func (p *Pool) probeLoop(ctx context.Context, b *backend) {
	ticker := time.NewTicker(p.probe)
	defer ticker.Stop()
	for {
		p.probeOnce(ctx, b)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-b.kick:
		}
	}
}

// probeOnce asks GET /system_stats; without an event stream it also reads
// the queue length from GET /prompt, which the stream would have reported.
func (p *Pool) probeOnce(ctx context.Context, b *backend) {
	pctx, cancel := context.WithTimeout(ctx, min(p.probe, 5*time.Second)+time.Second)
	defer cancel()
	var stats struct {
		System map[string]any `json:"system"`
	}
	if err := getJSON(pctx, b.Client, "/system_stats", &stats); err != nil {
		if ctx.Err() == nil {
			b.setHealth(p.logger, false, err.Error())
		}
		return
	}
	if stats.System == nil {
		b.setHealth(p.logger, false, "GET /system_stats answered without a system object: not a ComfyUI server?")
		return
	}
	b.mu.Lock()
	up := b.streamUp
	b.mu.Unlock()
	if !up {
		b.readQueue(pctx)
	}
	b.setHealth(p.logger, true, "")
}

// pick chooses the backend for a new job among those carrying labels: the
// healthy one with the lowest load (queue length over weight), ties taken in
// turn. It returns the candidates in order of preference, so that a failed
// connection can move on to the next one.
func (p *Pool) pick(labels map[string]string) ([]*backend, error) {
	type cand struct {
		b    *backend
		load float64
		rank int
	}
	var cands []cand
	var refused []string
	n := len(p.backends)
	start := int(p.turn.Add(1) % uint64(n))
	for i, b := range p.backends {
		if !matches(b.Labels, labels) {
			continue
		}
		st := b.status()
		if !st.Healthy {
			why := st.Problem
			if why == "" {
				why = "not checked yet"
			}
			refused = append(refused, fmt.Sprintf("%s (%s): %s", b.Name, b.Client.BaseURL(), why))
			continue
		}
		cands = append(cands, cand{b, float64(st.QueueRemaining) / float64(b.Weight), (i - start + n) % n})
	}
	if len(cands) == 0 {
		want := ""
		if len(labels) > 0 {
			want = " with labels " + formatLabels(labels)
		}
		if len(refused) == 0 {
			return nil, fmt.Errorf("no ComfyUI backend%s is configured", want)
		}
		return nil, fmt.Errorf("no healthy ComfyUI backend%s to queue the job on: %s", want, strings.Join(refused, "; "))
	}
	slices.SortStableFunc(cands, func(a, c cand) int {
		if a.load != c.load {
			if a.load < c.load {
				return -1
			}
			return 1
		}
		return a.rank - c.rank
	})
	out := make([]*backend, len(cands))
	for i, c := range cands {
		out[i] = c.b
	}
	return out, nil
}

// noteQueued updates b's queue length after a job was queued on it, so that
// a burst of jobs does not all go to the backend that looked idlest. The
// status broadcast that reports the job may arrive before or after the
// answer to POST /prompt, so the job is counted at once and then the length
// is read from GET /prompt, which ComfyUI answers after the job is queued.
func (p *Pool) noteQueued(ctx context.Context, b *backend) {
	b.mu.Lock()
	b.sent++
	b.mu.Unlock()
	b.readQueue(ctx)
}

// readQueue reads the queue length from GET /prompt.
func (b *backend) readQueue(ctx context.Context) {
	var info struct {
		ExecInfo struct {
			QueueRemaining *int `json:"queue_remaining"`
		} `json:"exec_info"`
	}
	if getJSON(ctx, b.Client, "/prompt", &info) == nil && info.ExecInfo.QueueRemaining != nil {
		b.setQueue(*info.ExecInfo.QueueRemaining)
	}
}

func matches(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func formatLabels(l map[string]string) string {
	parts := make([]string, 0, len(l))
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ", ")
}
