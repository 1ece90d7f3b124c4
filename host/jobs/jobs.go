// Package jobs follows ComfyUI prompts to their end for every waiting tool
// call at once, through one WebSocket per ComfyUI server.
//
// A [Watcher] keeps a single event-stream connection (reconnecting with
// backoff) and a set of waiters keyed by prompt id. ComfyUI routes a
// prompt's execution events only to the socket whose client id the prompt
// was queued with (API.md 5.2), so plugins queue prompts with
// [Watcher.ClientID]; for prompts queued by anyone else, and whenever the
// socket is down, the watcher falls back to /queue and /history, checked on
// every queue-change broadcast and on a slow timer.
//
// A job is done when ComfyUI says so in a way that guarantees its history is
// written: `executing` with node null for our prompts, or a /history entry.
// Waiting holds no wasm instance: a plugin asks the host to wait (the ABI's
// await outcome) and is resumed afterwards.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
)

// Status values of a finished wait.
const (
	// StatusDone: ComfyUI finished the job (successfully or not) and its
	// history entry exists.
	StatusDone = "done"
	// StatusTimedOut: the wait's timeout passed first; the job may still run.
	StatusTimedOut = "timed_out"
	// StatusUnknown: ComfyUI had no such job when the wait began.
	StatusUnknown = "unknown"
	// StatusVanished: the job was seen, then was in neither queue nor
	// history: deleted from the queue, or lost when ComfyUI restarted.
	StatusVanished = "vanished"
)

// Result is how a wait ended.
type Result struct {
	PromptID string `json:"prompt_id"`
	Status   string `json:"status"`
	WaitedMS int64  `json:"waited_ms"`
	// State is the last known state when the wait ended without the job
	// finishing: "pending", "running" or "".
	State string `json:"state,omitempty"`
}

// Progress is a progress report built from ComfyUI's events.
type Progress struct {
	Progress float64
	Total    float64
	Message  string
}

// Options configure a [Watcher].
type Options struct {
	// PollInterval is how often waiters are checked through /queue and
	// /history while the event stream is down, and as a safety net while
	// it is up (every 4 intervals). Default 1s.
	PollInterval time.Duration
	// VanishGrace is how long a job that was seen must be missing from both
	// /queue and /history before the wait reports it vanished. ComfyUI
	// removes a finished job from the queue before its history entry is
	// visible, and under load (a slow disk, a large history) that window
	// is not instantaneous. Default DefaultVanishGrace.
	VanishGrace time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// ClientID is the event stream's client id; empty means a random one.
	// Watchers of different ComfyUI servers may share one (a process uses
	// one id for all its backends, so plugins need to know only one), but
	// two processes must never use the same id on one server.
	ClientID string
	// OnStatus, if set, receives ComfyUI's queue length (running plus
	// pending) from every status broadcast, the first one after connecting
	// included. It must not block.
	OnStatus func(queueRemaining int)
	// OnConnected, if set, is told when the event stream comes up or goes
	// down. It must not block.
	OnConnected func(up bool)
}

// DefaultVanishGrace is Options.VanishGrace's default: far beyond the
// milliseconds a history write takes, short next to a lost job's wait.
const DefaultVanishGrace = 5 * time.Second

// Watcher follows prompts on one ComfyUI server. Create it with
// [NewWatcher], start [Watcher.Run] in a goroutine, then call
// [Watcher.Wait] from any number of goroutines.
type Watcher struct {
	client      *comfyui.Client
	clientID    string
	poll        time.Duration
	grace       time.Duration
	logger      *slog.Logger
	onStatus    func(int)
	onConnected func(bool)

	kick     chan struct{} // asks the checker to look at /queue and /history now
	requests chan struct{} // a slot per request to ComfyUI in flight; see maxRequests

	mu        sync.Mutex
	connected bool
	jobs      map[string]*job
	early     earlyCached

	fetchMu   sync.Mutex
	fetching  bool        // a fetchQueues goroutine is running
	nextFetch *queueFetch // the fetch new snapshot calls join, not started yet
}

// NewWatcher creates a watcher for the server behind client. Its client id is
// random per process: ComfyUI replaces a socket when a client id is reused,
// so two easel processes must never share one.
func NewWatcher(client *comfyui.Client, opts Options) *Watcher {
	w := &Watcher{
		client:      client,
		clientID:    opts.ClientID,
		poll:        opts.PollInterval,
		grace:       opts.VanishGrace,
		logger:      opts.Logger,
		onStatus:    opts.OnStatus,
		onConnected: opts.OnConnected,
		kick:        make(chan struct{}, 1),
		requests:    make(chan struct{}, maxRequests),
		jobs:        map[string]*job{},
	}
	if w.clientID == "" {
		w.clientID = NewClientID()
	}
	if w.poll <= 0 {
		w.poll = time.Second
	}
	if w.grace <= 0 {
		w.grace = DefaultVanishGrace
	}
	if w.logger == nil {
		w.logger = slog.Default()
	}
	return w
}

// NewClientID returns a random event-stream client id, "easel-" and 16 hex
// digits.
func NewClientID() string {
	var b [8]byte
	rand.Read(b[:])
	return "easel-" + hex.EncodeToString(b[:])
}

// ClientID is the client_id prompts must be queued with for the watcher to
// receive their execution events.
func (w *Watcher) ClientID() string { return w.clientID }

// Connected reports whether the event stream is up.
func (w *Watcher) Connected() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.connected
}

// Run keeps the event stream connected and checks waiters until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w.streamLoop(ctx) }()
	go func() { defer wg.Done(); w.checkLoop(ctx) }()
	wg.Wait()
}

// job is the shared state of one prompt that at least one call waits for.
type job struct {
	id      string
	waiters map[*waiter]struct{}
	seen    bool // found in /queue or /history at least once
	missing int  // consecutive checks that found it nowhere
	// missingSince is when the first of those checks ran.
	missingSince time.Time
	state        string
	track        tracker
}

type waiter struct {
	done chan string   // receives the final status
	prog chan Progress // the latest progress, forwarded by Wait's goroutine
}

// send offers p without blocking: a waiter only needs the latest report,
// and the watcher must never wait on a slow client.
func (wt *waiter) send(p Progress) {
	for {
		select {
		case wt.prog <- p:
			return
		default:
		}
		select {
		case <-wt.prog:
		default:
		}
	}
}

// ErrInvalid is returned for a wait that cannot start.
var ErrInvalid = errors.New("invalid wait")

// Wait blocks until the prompt ends, timeout passes or ctx ends, sending
// progress (if not nil) as ComfyUI reports it, strictly increasing with a
// stable total as MCP requires. An error means ComfyUI could not be asked
// at the start (it is unreachable, or its /history fails, for instance);
// later failures to reach it only delay the answer, because the job may
// still finish.
func (w *Watcher) Wait(ctx context.Context, promptID string, timeout time.Duration, progress func(Progress)) (Result, error) {
	start := time.Now()
	res := Result{PromptID: promptID}
	if promptID == "" || timeout <= 0 {
		return res, fmt.Errorf("%w: prompt id %q, timeout %s", ErrInvalid, promptID, timeout)
	}
	wt := &waiter{done: make(chan string, 1), prog: make(chan Progress, 1)}
	j := w.register(promptID, wt)
	defer w.unregister(j, wt)

	if status, err := w.firstLook(ctx, j); err != nil || status != "" {
		res.Status, res.WaitedMS = status, time.Since(start).Milliseconds()
		return res, err
	}

	var steps ladder
	named := false
	forward := func(p Progress) {
		if progress == nil {
			return
		}
		p, ok := steps.next(p)
		if !ok {
			return
		}
		if !named {
			// The first report names the job: a client that gives up on
			// the call (many do after 60 s) has then seen the prompt_id
			// to follow the job with.
			p.Message, named = "job "+promptID+": "+p.Message, true
		}
		progress(p)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for res.Status == "" {
		select {
		case p := <-wt.prog:
			forward(p)
		case status := <-wt.done:
			res.Status = status
			select { // the last report before the end, if it is still unread
			case p := <-wt.prog:
				forward(p)
			default:
			}
		case <-timer.C:
			res.Status = StatusTimedOut
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	w.mu.Lock()
	if res.Status == StatusTimedOut {
		res.State = j.state
	}
	w.mu.Unlock()
	res.WaitedMS = time.Since(start).Milliseconds()
	return res, nil
}

// WaitJob is Wait for the plugin runtime (plugin.JobWaiter): the result as
// the ABI's JSON job object, progress as plain values.
func (w *Watcher) WaitJob(ctx context.Context, promptID string, timeout time.Duration, progress func(progress, total float64, message string)) (json.RawMessage, error) {
	var report func(Progress)
	if progress != nil {
		report = func(p Progress) { progress(p.Progress, p.Total, p.Message) }
	}
	res, err := w.Wait(ctx, promptID, timeout, report)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// firstLook looks at the job before waiting: it may be finished or
// unknown, and then its status is the answer. A job seen nowhere gets two
// more looks, since newer ComfyUI versions can show a just-finished job in
// neither /queue nor /history for a moment. "Unknown" is a verdict only
// ComfyUI can give: when the last look could not read /history, the
// answer is that error, never an unknown job (a finished job whose
// history fails to load is not a job that does not exist).
func (w *Watcher) firstLook(ctx context.Context, j *job) (status string, err error) {
	for i, pause := range []time.Duration{0, 100 * time.Millisecond, 400 * time.Millisecond} {
		if i > 0 && !sleep(ctx, pause) {
			return "", ctx.Err()
		}
		snap, err := w.snapshot(ctx)
		if err != nil {
			return "", err
		}
		status, final, histErr := w.apply(ctx, snap, map[string]*job{j.id: j})
		switch {
		case final:
			return status, nil
		case w.isSeen(j):
			return "", nil
		case i == 2 && histErr != nil:
			return "", fmt.Errorf("cannot tell whether ComfyUI has job %s: %w", j.id, histErr)
		}
	}
	return StatusUnknown, nil
}

func (w *Watcher) isSeen(j *job) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return j.seen
}

// sleep pauses for d unless ctx ends first; it reports whether it slept.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *Watcher) register(id string, wt *waiter) *job {
	w.mu.Lock()
	defer w.mu.Unlock()
	j := w.jobs[id]
	if j == nil {
		j = &job{id: id, waiters: map[*waiter]struct{}{}}
		if nodes, ok := w.early.take(id); ok {
			j.track.markCached(nodes)
		}
		w.jobs[id] = j
	}
	j.waiters[wt] = struct{}{}
	return j
}

func (w *Watcher) unregister(j *job, wt *waiter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(j.waiters, wt)
	if len(j.waiters) == 0 && w.jobs[j.id] == j {
		delete(w.jobs, j.id)
	}
}

// earlyCached keeps the execution_cached lists of the last few prompts
// nobody waited for yet. A tool queues a prompt and only then asks the host
// to wait; ComfyUI can start it in between, and a prompt with cached nodes
// sends that list once, at its start: without it, every later report would
// count the cached nodes as not done.
type earlyCached struct {
	nodes map[string][]string
	order []string // oldest first
}

// maxEarly bounds earlyCached: a wait begins milliseconds after its queuing.
const maxEarly = 64

func (e *earlyCached) remember(id string, nodes []string) {
	if len(nodes) == 0 {
		return
	}
	if e.nodes == nil {
		e.nodes = map[string][]string{}
	}
	if len(e.order) == maxEarly {
		delete(e.nodes, e.order[0])
		e.order = e.order[1:]
	}
	if _, ok := e.nodes[id]; !ok {
		e.order = append(e.order, id)
	}
	e.nodes[id] = nodes
}

func (e *earlyCached) take(id string) ([]string, bool) {
	nodes, ok := e.nodes[id]
	if ok {
		delete(e.nodes, id) // order keeps the id until it ages out: harmless
	}
	return nodes, ok
}

// finish ends every wait on j with status; call with w.mu held.
func (w *Watcher) finish(j *job, status string) {
	for wt := range j.waiters {
		select {
		case wt.done <- status:
		default:
		}
	}
}

// kickCheck asks the checker to look at /queue and /history soon.
func (w *Watcher) kickCheck() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// snapshot is what /queue says about the prompts waited for. It is shared
// by every caller of one fetch, and read only.
type snapshot struct {
	running map[string]bool
	pending map[string]int // 1-based position
	prompts map[string]json.RawMessage
}

// snapshotTimeout bounds one GET /queue made for waiters.
const snapshotTimeout = 10 * time.Second

// queueFetch is one GET /queue and the callers that share it.
type queueFetch struct {
	done chan struct{} // closed when snap or err is set
	snap *snapshot
	err  error
}

// snapshot returns /queue as fetched after the call began. Calls that
// arrive while a fetch is running share the next one, which starts as soon
// as that one ends: 1,000 waits starting together cost ComfyUI two
// requests, not 1,000 (and easel 1,000 connections' buffers and decodes).
// A fetch that started before a call could predate the call's
// registration, so it is never shared with it.
func (w *Watcher) snapshot(ctx context.Context) (*snapshot, error) {
	w.fetchMu.Lock()
	f := w.nextFetch
	if f == nil {
		f = &queueFetch{done: make(chan struct{})}
		w.nextFetch = f
		if !w.fetching {
			w.fetching = true
			go w.fetchQueues(f)
		}
	}
	w.fetchMu.Unlock()
	select {
	case <-f.done:
		return f.snap, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetchQueues runs f, then every fetch callers queued meanwhile, one after
// another. Its requests belong to no caller: one that gives up does not
// fail the others.
func (w *Watcher) fetchQueues(f *queueFetch) {
	for f != nil {
		w.fetchMu.Lock()
		w.nextFetch = nil // who calls from now on waits for the next fetch
		w.fetchMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
		f.snap, f.err = w.fetchSnapshot(ctx)
		cancel()
		close(f.done)
		w.fetchMu.Lock()
		if f = w.nextFetch; f == nil {
			w.fetching = false
		}
		w.fetchMu.Unlock()
	}
}

func (w *Watcher) fetchSnapshot(ctx context.Context) (*snapshot, error) {
	var q struct {
		Running [][]json.RawMessage `json:"queue_running"`
		Pending [][]json.RawMessage `json:"queue_pending"`
	}
	if err := w.getJSON(ctx, "/queue", &q); err != nil {
		return nil, err
	}
	s := &snapshot{running: map[string]bool{}, pending: map[string]int{}, prompts: map[string]json.RawMessage{}}
	for _, it := range q.Running {
		if id, prompt, ok := queueItem(it); ok {
			s.running[id] = true
			s.prompts[id] = prompt
		}
	}
	for i, id := range sortedPending(q.Pending) {
		s.pending[id] = i + 1
	}
	for _, it := range q.Pending {
		if id, prompt, ok := queueItem(it); ok {
			s.prompts[id] = prompt
		}
	}
	return s, nil
}

// inHistory reports whether ComfyUI has a history entry for id.
func (w *Watcher) inHistory(ctx context.Context, id string) (bool, error) {
	var h map[string]json.RawMessage
	if err := w.getJSON(ctx, "/history/"+url.PathEscape(id), &h); err != nil {
		return false, err
	}
	_, ok := h[id]
	return ok, nil
}

// apply updates jobs from a snapshot and ends the waits that it settles,
// asking /history (under ctx) about the jobs not in the queue. It reports
// the status for a single job when that job is settled, and the last
// failure to read /history: such a job got no verdict.
func (w *Watcher) apply(ctx context.Context, s *snapshot, jobs map[string]*job) (status string, final bool, histErr error) {
	for id, j := range jobs {
		if s.running[id] || s.pending[id] > 0 {
			w.mu.Lock()
			w.applyQueued(j, s)
			w.mu.Unlock()
			continue
		}
		inHistory, err := w.inHistory(ctx, id)
		if err != nil {
			histErr = err // ComfyUI unreachable for now: no verdict
			continue
		}
		w.mu.Lock()
		switch {
		case inHistory:
			j.seen, j.state = true, "done"
			w.finish(j, StatusDone)
			status, final = StatusDone, true
		case j.seen:
			// A job can be in neither list for a moment while its history is
			// written; only a later look that still misses it, after the
			// grace period, is a verdict.
			if j.missing == 0 {
				j.missingSince = time.Now()
			}
			j.missing++
			if j.missing >= 2 && time.Since(j.missingSince) >= w.grace {
				w.finish(j, StatusVanished)
				status, final = StatusVanished, true
			}
		}
		w.mu.Unlock()
	}
	return status, final, histErr
}

// applyQueued updates a job /queue shows running or pending, and reports
// its progress; call with w.mu held.
func (w *Watcher) applyQueued(j *job, s *snapshot) {
	learned := j.track.setPrompt(s.prompts[j.id])
	j.seen, j.missing = true, 0
	var p Progress
	var ok bool
	if s.running[j.id] || j.track.running { // a snapshot older than an event
		j.state = "running"
		p, ok = j.track.seenRunning(learned)
	} else {
		j.state = "pending"
		p, ok = j.track.queued(s.pending[j.id])
	}
	if ok {
		w.report(j, p)
	}
}

// maxRequests bounds the watcher's requests to ComfyUI in flight at once.
// Waits share their /queue reads, but each asks /history for a job missing
// from the queue: 1,000 waits on finished jobs would otherwise open as
// many connections at once, each with its buffers, to a server that
// answers one request at a time anyway.
const maxRequests = 8

func (w *Watcher) getJSON(ctx context.Context, path string, v any) error {
	select {
	case w.requests <- struct{}{}:
		defer func() { <-w.requests }()
	case <-ctx.Done():
		return ctx.Err()
	}
	resp, err := w.client.Do(ctx, comfyui.Request{Method: "GET", Path: path})
	if err != nil {
		return err
	}
	if resp.Status != 200 {
		return fmt.Errorf("ComfyUI answered %d to GET %s", resp.Status, resp.URL)
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("the server at %s did not answer like ComfyUI: %v", resp.URL, err)
	}
	return nil
}

// checkLoop looks at /queue and /history for every waited job when kicked,
// and on a timer: every PollInterval while the stream is down, every four
// while it is up (a safety net for prompts queued with another client id).
func (w *Watcher) checkLoop(ctx context.Context) {
	ticker := time.NewTicker(w.poll)
	defer ticker.Stop()
	ticks := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-ticker.C:
			ticks++
			if w.Connected() && ticks%4 != 0 {
				continue
			}
		}
		w.checkAll(ctx)
	}
}

func (w *Watcher) checkAll(ctx context.Context) {
	w.mu.Lock()
	jobs := make(map[string]*job, len(w.jobs))
	for id, j := range w.jobs {
		jobs[id] = j
	}
	w.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	snap, err := w.snapshot(cctx)
	if err != nil {
		w.logger.Debug("job check: ComfyUI not answering", "err", err)
		return
	}
	w.apply(cctx, snap, jobs)
}

// report offers p to every waiter of j; call with w.mu held.
func (w *Watcher) report(j *job, p Progress) {
	for wt := range j.waiters {
		wt.send(p)
	}
}
