package comfyuitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running ComfyUI 0.3.64 emulator on a loopback address.
//
// # Notes
//
//   - All methods are safe for concurrent use, and may be called from any goroutine except
//     where a method takes a testing.TB (those report through it).
//   - The emulator keeps two kinds of state. What a ComfyUI process holds in memory (queue,
//     history, the number counter, the execution cache, WebSocket clients) is lost by Down,
//     as in a real restart. What lives on disk (input, output files) and what the test set
//     up (faults, holds, failures, pause, recorded requests) survives Down and Up; the temp
//     folder is emptied by Up, as ComfyUI empties it at start.
type Server struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:41234", without trailing slash.
	// It stays the same across Down and Up.
	URL string

	addr string
	opts options
	cat  *catalog
	tb   testing.TB // nil for StartServer

	// life serialises Down, Up and Close, so that each returns only when the process it
	// stopped or started is fully stopped or started. It is taken before mu.
	life sync.Mutex

	mu       sync.Mutex
	inst     *instance // nil while down
	closed   bool
	files    *fileStore
	jobs     map[string]jobStatus
	changed  chan struct{} // closed and replaced whenever jobs, holds or heldAt change
	paused   bool
	holds    map[holdKey]bool
	heldAt   map[string]heldState // prompt id → the hold its worker sits in
	fails    map[string]ExecutionError
	faults   []*faultRule
	requests []RecordedRequest
	settings *object // /settings, a user file on disk in ComfyUI
	rand     *rand.Rand

	// loop serialises HTTP requests when opts.serviceTime is set, as
	// ComfyUI's one event loop does.
	loop sync.Mutex
}

// jobStatus is what WaitJob and WaitHeld know about a prompt id.
type jobStatus int

const (
	jobUnknown jobStatus = iota
	jobPending
	jobRunning
	jobDone    // history written
	jobDeleted // removed from the queue before it ran
	jobLost    // the server went down while it was queued or running
)

// holdKey names a hold: node "" holds the prompt at the first node that runs.
type holdKey struct{ prompt, node string }

// heldState is where a held worker sits: the hold's key node and the node it stopped at.
type heldState struct{ key, node string }

// NewServer starts an emulator on 127.0.0.1 and closes it when the test ends: the worker, the
// WebSockets and every handler goroutine are stopped before t's cleanup returns.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatalf("comfyuitest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartServer starts an emulator outside a test (an example, a development tool). The caller
// must call Close. Tests should use NewServer.
func StartServer(opts ...Option) (*Server, error) {
	return start(nil, opts)
}

func start(tb testing.TB, opts []Option) (*Server, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{
		opts:    o,
		cat:     cat,
		tb:      tb,
		files:   &fileStore{files: map[string]*storedFile{}, models: o.models},
		jobs:    map[string]jobStatus{},
		changed: make(chan struct{}),
		holds:   map[holdKey]bool{},
		heldAt:  map[string]heldState{},
		fails:   map[string]ExecutionError{},
		rand:    rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	s.files.put(dirInput, "", "example.png", examplePNG())
	for name, data := range o.inputFiles {
		s.files.put(dirInput, "", name, data)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.mu.Lock()
	s.startInstance(ln)
	s.mu.Unlock()
	return s, nil
}

// Close stops the server for good. It is idempotent and is called by NewServer's cleanup.
func (s *Server) Close() {
	s.life.Lock()
	defer s.life.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.down()
}

// Down emulates ComfyUI stopping: the listener closes (new connections are refused), open
// connections and WebSockets are closed, the running job stops where it is, and the process
// state is lost. Jobs that were queued or running are lost: WaitJob returns an error for
// them. Down returns once every goroutine of the stopped process has ended.
func (s *Server) Down() {
	s.life.Lock()
	defer s.life.Unlock()
	s.down()
}

func (s *Server) down() {
	s.mu.Lock()
	inst := s.inst
	s.inst = nil
	if inst != nil {
		for id, st := range s.jobs {
			if st == jobPending || st == jobRunning {
				s.jobs[id] = jobLost
			}
		}
		clear(s.heldAt)
		s.notifyLocked()
	}
	s.mu.Unlock()
	if inst != nil {
		inst.stop()
	}
}

// Up emulates ComfyUI starting again on the same address: an empty queue and history, the
// number counter back at 0, a cold cache and an empty temp folder. Input and output files,
// and everything the test configured, are kept. Up on a running server does nothing.
func (s *Server) Up() {
	s.life.Lock()
	defer s.life.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inst != nil || s.closed {
		return
	}
	var ln net.Listener
	var err error
	// The port was ours a moment ago; SO_REUSEADDR (set by Go) lets us bind it again at
	// once, but tolerate a brief overlap with the old listener's teardown.
	for range 50 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		if s.tb != nil {
			s.tb.Errorf("comfyuitest: Up: listening on %s again: %v", s.addr, err)
			return
		}
		panic(fmt.Sprintf("comfyuitest: Up: listening on %s again: %v", s.addr, err))
	}
	s.files.clearDir(dirTemp)
	s.startInstance(ln)
}

// startInstance starts a fresh "process" serving ln. s.mu is held.
func (s *Server) startInstance(ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	inst := &instance{
		s:          s,
		ctx:        ctx,
		cancel:     cancel,
		wake:       make(chan struct{}, 1),
		workerDone: make(chan struct{}),
		serveDone:  make(chan struct{}),
		history:    newObject(),
		cache:      map[string]*cacheEntry{},
		objects:    map[string]*nodeObject{},
		clients:    map[string]*wsClient{},
		interruptC: make(chan struct{}),
	}
	inst.httpServer = &http.Server{
		Handler:           s.handler(inst),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.inst = inst
	go func() {
		defer close(inst.serveDone)
		_ = inst.httpServer.Serve(ln)
	}()
	go inst.runWorker()
}

// settingsLocked returns the settings object, creating it on first use. s.mu is held.
func (s *Server) settingsLocked() *object {
	if s.settings == nil {
		s.settings = newObject()
	}
	return s.settings
}

// current returns the running process, or nil while down.
func (s *Server) current() *instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inst
}

// notifyLocked wakes everything waiting on s.changed. s.mu is held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wakeWorker nudges the worker to look at the queue again. s.mu is held.
func (s *Server) wakeWorkerLocked() {
	if s.inst != nil {
		select {
		case s.inst.wake <- struct{}{}:
		default:
		}
	}
}

// PauseWorker stops the worker from taking new jobs: queued jobs stay pending (in
// queue_pending) until ResumeWorker. A job already running continues.
func (s *Server) PauseWorker() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = true
}

// ResumeWorker lets the worker take jobs again.
func (s *Server) ResumeWorker() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = false
	s.wakeWorkerLocked()
}

// HoldJob keeps a prompt running: when it runs, the worker stops right after its first
// node's `executing` message (or, for a prompt served entirely from the cache, before its
// terminal message) until ReleaseJob. It may be called before the prompt is submitted.
//
// An interrupt ends the hold, and then takes effect on the held node, as ComfyUI checks for
// interrupts when a node starts.
func (s *Server) HoldJob(promptID string) {
	s.HoldNode(promptID, "")
}

// HoldNode is HoldJob at a given node: the worker stops right after that node's `executing`
// message, before the node's work. Several holds may be set on one prompt; they apply in
// execution order.
func (s *Server) HoldNode(promptID, nodeID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds[holdKey{promptID, nodeID}] = true
	s.notifyLocked()
}

// ReleaseJob removes every hold set on the prompt and lets it continue.
func (s *Server) ReleaseJob(promptID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.holds {
		if k.prompt == promptID {
			delete(s.holds, k)
		}
	}
	// Forget the hold the worker sits in now, so that a WaitHeld after this call waits for
	// the next hold rather than returning the one just released.
	delete(s.heldAt, promptID)
	s.notifyLocked()
}

// ReleaseNode removes the hold set by HoldNode on that node (HoldJob's hold is node "").
func (s *Server) ReleaseNode(promptID, nodeID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.holds, holdKey{promptID, nodeID})
	if h, ok := s.heldAt[promptID]; ok && h.key == nodeID {
		delete(s.heldAt, promptID)
	}
	s.notifyLocked()
}

// ExecutionError describes a run-time failure injected with FailJob. It becomes the
// execution_error message and history entry that ComfyUI produces when a node raises.
type ExecutionError struct {
	// NodeID is the node that fails. Empty (or a node not in the prompt) means the first
	// node that runs; no node of the prompt is then served from the cache.
	NodeID string
	// ExceptionType is the Python exception's qualified name, e.g. "RuntimeError" or
	// "torch.OutOfMemoryError". Default "RuntimeError".
	ExceptionType string
	// ExceptionMessage is the exception text. ComfyUI appends a newline and, for an
	// out-of-memory exception (a type ending in OutOfMemoryError), its tips; the emulator
	// does the same, appending the newline unless the message already ends with one.
	ExceptionMessage string
	// Traceback is the list of formatted frames. Default: frames like ComfyUI's own.
	Traceback []string
}

// FailJob makes a prompt fail at run time with e: the nodes it depends on run, then node
// e.NodeID (its node_type taken from the prompt) raises, exactly as ws_15 recorded. That node
// and the nodes after it are never served from the cache, so the failure happens even for a
// repeated prompt (a node no output depends on never runs, and then never fails). It may be
// called before the prompt is submitted; it applies to one run. An empty promptID fails the
// next prompt to run that has no failure of its own, for prompts queued by the code under
// test with ids it chose.
func (s *Server) FailJob(promptID string, e ExecutionError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[promptID] = e
}

// SubmitOption adds a field to the POST /prompt body that Submit sends.
type SubmitOption func(*object)

// WithClientID sets client_id: the WebSocket client id that receives the prompt's execution
// messages. Without it, ComfyUI sends no execution_* messages at all.
func WithClientID(id string) SubmitOption {
	return func(b *object) { b.set("client_id", id) }
}

// WithPromptID sets a caller-chosen prompt_id.
func WithPromptID(id string) SubmitOption {
	return func(b *object) { b.set("prompt_id", id) }
}

// WithExtraData sets extra_data (for example {"extra_pnginfo": {"workflow": ...}}).
func WithExtraData(extra map[string]any) SubmitOption {
	return func(b *object) {
		v, err := fromGo(extra)
		if err != nil {
			panic(fmt.Sprintf("comfyuitest: WithExtraData: %v", err))
		}
		b.set("extra_data", v)
	}
}

// WithFront sets front: true, which queues the prompt ahead of the others.
func WithFront() SubmitOption {
	return func(b *object) { b.set("front", true) }
}

// Submit queues a prompt (API format: node id → {"class_type", "inputs"}) as POST /prompt
// would, and returns its prompt_id. It fails the test unless the server answers 200.
//
// Submit is test set-up, not traffic under test: it bypasses faults, WithAuth and Requests.
func (s *Server) Submit(t testing.TB, prompt map[string]any, opts ...SubmitOption) string {
	t.Helper()
	p, err := fromGo(prompt)
	if err != nil {
		t.Fatalf("comfyuitest: Submit: encoding prompt: %v", err)
	}
	body := newObject("prompt", p)
	for _, opt := range opts {
		opt(body)
	}
	inst := s.current()
	if inst == nil {
		t.Fatalf("comfyuitest: Submit: the server is down")
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/prompt", bytes.NewReader(encodeJSON(body)))
	inst.postPrompt(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("comfyuitest: Submit: POST /prompt answered %d: %s", rec.Code, rec.Body.String())
	}
	var resp struct {
		PromptID string `json:"prompt_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("comfyuitest: Submit: decoding %q: %v", rec.Body.String(), err)
	}
	return resp.PromptID
}

// WaitJob waits until the prompt's history entry has been written, or until it was deleted
// from the queue. It returns an error if ctx ends first, or if the server went down while the
// prompt was queued or running. The prompt need not be submitted yet.
func (s *Server) WaitJob(ctx context.Context, promptID string) error {
	for {
		s.mu.Lock()
		st, ch := s.jobs[promptID], s.changed
		s.mu.Unlock()
		switch st {
		case jobDone, jobDeleted:
			return nil
		case jobLost:
			return fmt.Errorf("comfyuitest: prompt %s was lost: the server went down", promptID)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("comfyuitest: waiting for prompt %s: %w", promptID, ctx.Err())
		}
	}
}

// WaitHeld waits until the prompt's worker stops at a hold (see HoldJob, HoldNode) and
// returns the node it is held at ("" when a fully cached prompt is held before its end).
func (s *Server) WaitHeld(ctx context.Context, promptID string) (string, error) {
	for {
		s.mu.Lock()
		h, held := s.heldAt[promptID]
		st, ch := s.jobs[promptID], s.changed
		s.mu.Unlock()
		switch {
		case held:
			return h.node, nil
		case st == jobDone || st == jobDeleted || st == jobLost:
			return "", fmt.Errorf("comfyuitest: prompt %s ended without being held", promptID)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", fmt.Errorf("comfyuitest: waiting for prompt %s to be held: %w", promptID, ctx.Err())
		}
	}
}

// RecordedRequest is one request the server received.
type RecordedRequest struct {
	Method string
	// Path is the request path as sent (still percent-encoded), e.g. "/api/history/x".
	Path string
	// Query is the raw query string, without "?".
	Query  string
	Header http.Header
	// Body holds the request body, up to its first MiB.
	Body []byte
}

// String renders the request line the way tests like to compare it: "GET /queue?x=1".
func (r RecordedRequest) String() string {
	if r.Query == "" {
		return r.Method + " " + r.Path
	}
	return r.Method + " " + r.Path + "?" + r.Query
}

// Requests returns the requests received so far, oldest first, including those answered by a
// fault or refused by WithAuth (but not Submit's).
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RecordedRequest(nil), s.requests...)
}

// ResetRequests forgets the requests recorded so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// File returns a file from the emulated input, output or temp folder ("input", "output",
// "temp"), as saved by SaveImage, PreviewImage or an upload.
func (s *Server) File(folder, subfolder, name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files.get(folder, subfolder, name)
	if !ok {
		return nil, false
	}
	return append([]byte(nil), f.data...), true
}

// WebSocketURL returns the URL of the WebSocket for clientID ("" for none).
func (s *Server) WebSocketURL(clientID string) string {
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws"
	if clientID != "" {
		u += "?clientId=" + url.QueryEscape(clientID)
	}
	return u
}

// errStopped aborts work of a process that was stopped by Down.
var errStopped = errors.New("comfyuitest: server stopped")
