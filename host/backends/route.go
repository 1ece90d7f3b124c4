package backends

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"

	"github.com/easel-mcp/easel/host/comfyui"
)

// Router is the comfyui.Doer of one tool: it routes each request to the
// backend it concerns. Get one from Pool.For.
type Router struct {
	pool   *Pool
	labels map[string]string // required of backends that get this tool's new jobs
}

// For returns the router for a tool whose new jobs need backends carrying
// labels (nil: any backend).
func (p *Pool) For(labels map[string]string) *Router {
	return &Router{pool: p, labels: labels}
}

// Do implements comfyui.Doer. How a request is routed:
//
//   - Backend "*": every backend, answered as a JSON list (see FanOut).
//   - Backend "<name>": that backend.
//   - Job, a /history/{id} path, or an id in the body of POST /interrupt,
//     /queue or /history (delete): the backend that owns the job.
//   - POST /prompt: the healthy backend with the lowest load among those
//     carrying the tool's labels; the job's prompt id names it.
//   - POST /upload/*, /free, and clearing /queue, /history or a global
//     /interrupt: every backend, so that an uploaded image is there
//     whichever backend runs the job that loads it.
//   - GET /queue, /history and /prompt: every backend, merged into one
//     answer of ComfyUI's shape (see merge for a backend that is down).
//   - GET /view: the one backend that has the file, when every backend
//     could be asked.
//   - anything else (/object_info, /models, /system_stats, ...): the first
//     healthy backend carrying the tool's labels.
//
// With a single backend every request but a fan-out goes to it as it is.
func (r *Router) Do(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	p := r.pool
	switch {
	case req.Backend == "*" && req.Method != http.MethodGet && req.Method != "":
		return nil, fmt.Errorf("request refused: only GET requests go to every backend at once, not %s %s", req.Method, req.Path)
	case req.Backend == "*":
		return p.fanOut(ctx, req)
	case req.Backend != "" && p.byName[req.Backend] == nil:
		// Even with one backend: a name that is not there is a mistake
		// (a stale or invented one), and the answer must not pretend
		// that backend was asked.
		return nil, fmt.Errorf("no ComfyUI backend is named %q (backends: %s)", req.Backend, strings.Join(p.Names(), ", "))
	case p.Single():
		return p.backends[0].doer.Do(ctx, req)
	}
	switch route, id := classify(req); {
	case req.Backend != "":
		b := p.byName[req.Backend]
		switch {
		case route == routeSubmit && !matches(b.Labels, r.labels):
			return nil, fmt.Errorf("request refused: backend %s lacks the labels %s this tool's jobs need", b.Name, formatLabels(r.labels))
		case route == routeSubmit:
			return p.submitTo(ctx, []*backend{b}, req)
		}
		return p.do(ctx, b, req)
	case req.Job != "":
		return p.toOwner(ctx, req.Job, req)
	case route == routeJob:
		return p.toOwner(ctx, id, req)
	case route == routeSubmit:
		return p.submit(ctx, r.labels, req)
	case route == routeBroadcast:
		return p.broadcast(ctx, req)
	case route == routeMerge:
		return p.merge(ctx, req)
	case route == routeFile:
		return p.findFile(ctx, req)
	default:
		return p.do(ctx, p.anyBackend(r.labels), req)
	}
}

// Routes of requests without a routing hint.
const (
	routeAny = iota
	routeJob
	routeSubmit
	routeBroadcast
	routeMerge
	routeFile
)

// classify says where a request without a hint goes, and for a request
// about one job, which.
func classify(req comfyui.Request) (route int, job string) {
	path := strings.TrimPrefix(req.Path, "/api")
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	switch {
	case method == http.MethodGet && strings.HasPrefix(path, "/history/"):
		id, err := url.PathUnescape(strings.TrimPrefix(path, "/history/"))
		if err == nil && id != "" {
			return routeJob, id
		}
	case method == http.MethodPost && path == "/prompt":
		return routeSubmit, ""
	case method == http.MethodGet && (path == "/queue" || path == "/history" || path == "/prompt"):
		return routeMerge, ""
	case method == http.MethodGet && path == "/view":
		return routeFile, ""
	case method == http.MethodPost && (path == "/interrupt" || path == "/queue" || path == "/history"):
		if id := bodyJob(req.Body); id != "" {
			return routeJob, id
		}
		return routeBroadcast, ""
	case method == http.MethodPost && (strings.HasPrefix(path, "/upload/") || path == "/free"):
		return routeBroadcast, ""
	}
	return routeAny, ""
}

// bodyJob finds the one prompt id a POST body is about: {"prompt_id"} of
// /interrupt, or a single {"delete": [id]} of /queue and /history. A body
// about several jobs, or none, is broadcast.
func bodyJob(body []byte) string {
	var b struct {
		PromptID any   `json:"prompt_id"`
		Delete   []any `json:"delete"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	if s, ok := b.PromptID.(string); ok && s != "" {
		return s
	}
	if len(b.Delete) == 1 {
		if s, ok := b.Delete[0].(string); ok {
			return s
		}
	}
	return ""
}

// do sends req to b, and takes a failure to reach it as a sign of ill
// health. With several backends its error names b, since the caller may not
// know which backend the request went to.
func (p *Pool) do(ctx context.Context, b *backend, req comfyui.Request) (*comfyui.Response, error) {
	resp, err := p.send(ctx, b, req)
	if err != nil && !p.Single() {
		return nil, namedErr(b, err)
	}
	return resp, err
}

// send is do without naming b in the error, for answers already filed
// under b's name (a fan-out's), which would otherwise name it twice.
func (p *Pool) send(ctx context.Context, b *backend, req comfyui.Request) (*comfyui.Response, error) {
	resp, err := b.doer.Do(ctx, req)
	if err != nil {
		if comfyui.KindOf(err) == comfyui.Unreachable {
			b.setHealth(p.logger, false, err.Error())
			b.kickProbe()
		}
		return nil, err
	}
	if !p.Single() {
		resp.Backend = b.Name
	}
	return resp, nil
}

// namedErr says which backend err came from.
func namedErr(b *backend, err error) error {
	return fmt.Errorf("backend %s: %w", b.Name, err)
}

// anyBackend is where a request about no job in particular goes: the first
// healthy backend carrying labels, else the first carrying them, else the
// first.
func (p *Pool) anyBackend(labels map[string]string) *backend {
	var fallback *backend
	for _, b := range p.backends {
		if !matches(b.Labels, labels) {
			continue
		}
		if b.status().Healthy {
			return b
		}
		if fallback == nil {
			fallback = b
		}
	}
	if fallback == nil {
		fallback = p.backends[0]
	}
	return fallback
}

// submit queues a job (POST /prompt) on the least loaded backend, with a
// prompt id that names it. A backend that cannot be connected to is marked
// unhealthy and the next one is tried: the job never reached it.
func (p *Pool) submit(ctx context.Context, labels map[string]string, req comfyui.Request) (*comfyui.Response, error) {
	cands, err := p.pick(labels)
	if err != nil {
		return nil, err
	}
	return p.submitTo(ctx, cands, req)
}

// submitTo queues a job on the first of cands that can be connected to.
func (p *Pool) submitTo(ctx context.Context, cands []*backend, req comfyui.Request) (*comfyui.Response, error) {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(req.Body, &body); err != nil || body == nil {
		// Not a JSON object: let ComfyUI give its own answer.
		return p.do(ctx, cands[0], req)
	}
	_, ownID := body["prompt_id"]
	var errs []error
	for _, b := range cands {
		if !ownID {
			id, _ := json.Marshal(b.Name + "." + rand.Text())
			body["prompt_id"] = id
			req.Body, _ = json.Marshal(body)
		}
		resp, err := p.do(ctx, b, req)
		if err == nil {
			if resp.Status == http.StatusOK {
				p.noteQueued(ctx, b)
			}
			p.logger.Debug("job queued", "backend", b.Name, "status", resp.Status, "backends", p.Statuses())
			return resp, nil
		}
		errs = append(errs, err)
		if !neverConnected(err) {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// neverConnected reports a failure to open a connection at all, after which
// retrying a request elsewhere cannot run it twice.
func neverConnected(err error) bool {
	var op *net.OpError
	return (errors.As(err, &op) && op.Op == "dial") || errors.Is(err, syscall.ECONNREFUSED)
}

// answer is one backend's reply to a request sent to several. err does
// not name the backend; failure does.
type answer struct {
	b    *backend
	resp *comfyui.Response
	err  error
}

// failure is a's error, naming its backend.
func (a answer) failure() error { return namedErr(a.b, a.err) }

// each sends req to every backend at once and returns their answers in
// configuration order.
func (p *Pool) each(ctx context.Context, req comfyui.Request) []answer {
	out := make([]answer, len(p.backends))
	var wg sync.WaitGroup
	for i, b := range p.backends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := p.send(ctx, b, req)
			out[i] = answer{b, resp, err}
		}()
	}
	wg.Wait()
	return out
}

// broadcast sends req to every backend. It answers with the first
// backend's response when every backend accepted it, and otherwise with
// the first failure, so that a caller is never told an upload or a clear
// happened everywhere when it did not.
func (p *Pool) broadcast(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	answers := p.each(ctx, req)
	for _, a := range answers {
		if a.err != nil {
			return nil, a.failure()
		}
		if a.resp.Status < 200 || a.resp.Status > 299 {
			return a.resp, nil
		}
	}
	return answers[0].resp, nil
}

// merge answers GET /queue, /history and /prompt for every backend at once,
// in ComfyUI's shape: queues and histories concatenated, queue lengths
// added. For /queue and /history a backend that fails fails the whole
// answer, since a merged view without it would silently leave its jobs out.
// GET /prompt is the queue length a tool reads after queuing a job, on a
// backend that answered: the backends that cannot be reached are left out
// of the count rather than failing it, as long as one answered.
func (p *Pool) merge(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	path := strings.TrimPrefix(req.Path, "/api")
	answers, refusal, err := answered(p.each(ctx, req), path == "/prompt")
	if refusal != nil || err != nil {
		return refusal, err
	}
	var body []byte
	switch path {
	case "/queue":
		body, err = mergeQueues(answers)
	case "/prompt":
		body, err = mergeQueueLengths(answers)
	default:
		body, err = mergeHistories(answers)
	}
	if err != nil {
		return nil, err
	}
	first := answers[0].resp
	return &comfyui.Response{Status: http.StatusOK, ContentType: "application/json", Header: first.Header, Body: body, URL: first.URL}, nil
}

// answered checks the answers to a request to be merged, in configuration
// order: the first that is not 200 OK is the refusal to pass on, and a
// backend that could not be asked is an error, unless skipUnreached, when
// it is left out (and an error only if no backend answered).
func answered(answers []answer, skipUnreached bool) ([]answer, *comfyui.Response, error) {
	var ok []answer
	var errs []error
	for _, a := range answers {
		switch {
		case a.err != nil && skipUnreached:
			errs = append(errs, a.failure())
		case a.err != nil:
			return nil, nil, a.failure()
		case a.resp.Status != http.StatusOK:
			return nil, a.resp, nil
		default:
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		return nil, nil, fmt.Errorf("no ComfyUI backend could be asked: %w", errors.Join(errs...))
	}
	return ok, nil, nil
}

// mergeQueues concatenates the backends' GET /queue answers.
func mergeQueues(answers []answer) ([]byte, error) {
	var queue struct {
		Running []json.RawMessage `json:"queue_running"`
		Pending []json.RawMessage `json:"queue_pending"`
	}
	for _, a := range answers {
		var q struct {
			Running []json.RawMessage `json:"queue_running"`
			Pending []json.RawMessage `json:"queue_pending"`
		}
		if err := json.Unmarshal(a.resp.Body, &q); err != nil {
			return nil, notComfyUI(a, err)
		}
		queue.Running = append(queue.Running, q.Running...)
		queue.Pending = append(queue.Pending, q.Pending...)
	}
	queue.Running, queue.Pending = nonNil(queue.Running), nonNil(queue.Pending)
	return json.Marshal(queue)
}

// mergeQueueLengths adds up the backends' GET /prompt queue lengths.
func mergeQueueLengths(answers []answer) ([]byte, error) {
	type promptInfo struct {
		ExecInfo struct {
			QueueRemaining int `json:"queue_remaining"`
		} `json:"exec_info"`
	}
	var sum promptInfo
	for _, a := range answers {
		var q promptInfo
		if err := json.Unmarshal(a.resp.Body, &q); err != nil {
			return nil, notComfyUI(a, err)
		}
		sum.ExecInfo.QueueRemaining += q.ExecInfo.QueueRemaining
	}
	return json.Marshal(sum)
}

// mergeHistories joins the backends' GET /history objects.
func mergeHistories(answers []answer) ([]byte, error) {
	var history bytes.Buffer
	for _, a := range answers {
		if err := appendObject(&history, a.resp.Body); err != nil {
			return nil, notComfyUI(a, err)
		}
	}
	return append(append([]byte{'{'}, history.Bytes()...), '}'), nil
}

// notComfyUI is the error for an answer that cannot be merged.
func notComfyUI(a answer, err error) error {
	return fmt.Errorf("backend %s: the answer of GET %s is not ComfyUI's: %v", a.b.Name, a.resp.URL, err)
}

func nonNil(s []json.RawMessage) []json.RawMessage {
	if s == nil {
		return []json.RawMessage{}
	}
	return s
}

// appendObject appends the members of a JSON object to buf, keeping their
// order (history is in completion order).
func appendObject(buf *bytes.Buffer, obj []byte) error {
	var check map[string]json.RawMessage
	if err := json.Unmarshal(obj, &check); err != nil {
		return err
	}
	inner := bytes.TrimSpace(obj)
	inner = bytes.TrimSpace(inner[1 : len(inner)-1])
	if len(inner) == 0 {
		return nil
	}
	if buf.Len() > 0 {
		buf.WriteByte(',')
	}
	buf.Write(inner)
	return nil
}

// findFile answers GET /view without a backend: the file's backend if
// exactly one has it and every backend was asked. Every backend writes
// ComfyUI_00001_.png, so a name found on several is an error asking which
// one, never a guess; and so is a name found on one while another could
// not be asked, since the one that was not asked may hold the file meant.
func (p *Pool) findFile(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	answers := p.each(ctx, req)
	var found []answer
	var firstMiss *comfyui.Response
	var errs []error
	for _, a := range answers {
		switch {
		case a.err != nil:
			errs = append(errs, a.failure())
		case a.resp.Status == http.StatusOK:
			found = append(found, a)
		case firstMiss == nil:
			firstMiss = a.resp
		}
	}
	name := req.Query.Get("filename")
	switch {
	case len(found) == 1 && len(errs) == 0:
		return found[0].resp, nil
	case len(found) == 1:
		return nil, fmt.Errorf("the file %q is on ComfyUI backend %s but may be on others too: %s; some could not be asked: %w",
			name, found[0].b.Name, sayWhichBackend, errors.Join(errs...))
	case len(found) > 1:
		return nil, fmt.Errorf("the file %q is on several ComfyUI backends (%s): %s", name, backendNames(found), sayWhichBackend)
	case len(errs) > 0:
		return nil, fmt.Errorf("the file %q is on none of the backends that answered, and some could not be asked: %w", name, errors.Join(errs...))
	}
	return firstMiss, nil
}

// sayWhichBackend tells how to name a file's backend.
const sayWhichBackend = "say which backend (the backend argument, or ?backend= in a comfyui:// URI, as the URIs the tools return carry it)"

func backendNames(answers []answer) string {
	names := make([]string, len(answers))
	for i, a := range answers {
		names[i] = a.b.Name
	}
	return strings.Join(names, ", ")
}

// FanOut is one backend's part of the answer to a request with Backend
// "*": the backend's state and its own answer.
type FanOut struct {
	Status
	// HTTPStatus is the backend's answer status; 0 when it could not be
	// asked, and then Error says why.
	HTTPStatus  int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	URL         string `json:"url,omitempty"`
	// Body is the answer when it is JSON, Text when it is not (an error
	// page, a proxy's login form), so that the plugin can say what came.
	Body  json.RawMessage `json:"body,omitempty"`
	Text  string          `json:"text,omitempty"`
	Error string          `json:"error,omitempty"`
}

// fanOut sends req to every backend and answers with a JSON list of
// FanOut, so that a plugin can show each backend's answer under its name.
func (p *Pool) fanOut(ctx context.Context, req comfyui.Request) (*comfyui.Response, error) {
	answers := p.each(ctx, req)
	list := make([]FanOut, len(answers))
	for i, a := range answers {
		f := FanOut{Status: a.b.status()}
		switch {
		case a.err != nil:
			f.Error = a.err.Error()
		case json.Valid(a.resp.Body):
			f.HTTPStatus, f.ContentType, f.URL, f.Body = a.resp.Status, a.resp.ContentType, a.resp.URL, a.resp.Body
		default:
			f.HTTPStatus, f.ContentType, f.URL, f.Text = a.resp.Status, a.resp.ContentType, a.resp.URL, string(a.resp.Body)
		}
		list[i] = f
	}
	body, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	return &comfyui.Response{Status: http.StatusOK, ContentType: "application/json", Body: body, URL: "every backend: " + req.Path}, nil
}

func getJSON(ctx context.Context, d comfyui.Doer, path string, v any) error {
	resp, err := d.Do(ctx, comfyui.Request{Method: http.MethodGet, Path: path})
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return fmt.Errorf("ComfyUI answered %d to GET %s", resp.Status, resp.URL)
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("the server at %s did not answer like ComfyUI: %v", resp.URL, err)
	}
	return nil
}
