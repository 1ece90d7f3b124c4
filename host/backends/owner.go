package backends

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
)

// Owner finds the backend that holds a job: the one its prompt id names
// ("<backend>.<uuid>", as the pool queues jobs), else the one whose queue
// or history has it. It returns "" with no error when every backend was
// asked and none knows the job, and an error when the job is on none of
// the backends that answered but some could not be asked: then nobody can
// say truthfully that the job does not exist.
func (p *Pool) Owner(ctx context.Context, id string) (string, error) {
	b, err := p.owner(ctx, id)
	if b == nil {
		return "", err
	}
	return b.Name, err
}

func (p *Pool) owner(ctx context.Context, id string) (*backend, error) {
	if p.Single() {
		return p.backends[0], nil
	}
	if name, _, ok := strings.Cut(id, "."); ok {
		if b := p.byName[name]; b != nil {
			return b, nil
		}
	}
	type found struct {
		b   *backend
		has bool
		err error
	}
	results := make(chan found, len(p.backends))
	for _, b := range p.backends {
		go func() {
			has, err := p.knows(ctx, b, id)
			results <- found{b, has, err}
		}()
	}
	var errs []error
	for range p.backends {
		r := <-results
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case r.has:
			return r.b, nil
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("job %s is on none of the ComfyUI backends that answered, and some could not be asked: %w", id, errors.Join(errs...))
	}
	return nil, nil
}

// knows reports whether b has the job in its history or its queue.
func (p *Pool) knows(ctx context.Context, b *backend, id string) (bool, error) {
	var h map[string]json.RawMessage
	if err := getJSON(ctx, b.doer, "/history/"+url.PathEscape(id), &h); err != nil {
		return false, fmt.Errorf("backend %s: %w", b.Name, err)
	}
	if _, ok := h[id]; ok {
		return true, nil
	}
	var q struct {
		Running [][]json.RawMessage `json:"queue_running"`
		Pending [][]json.RawMessage `json:"queue_pending"`
	}
	if err := getJSON(ctx, b.doer, "/queue", &q); err != nil {
		return false, fmt.Errorf("backend %s: %w", b.Name, err)
	}
	for _, it := range append(q.Running, q.Pending...) {
		var got string
		if len(it) > 1 && json.Unmarshal(it[1], &got) == nil && got == id {
			return true, nil
		}
	}
	return false, nil
}

// toOwner sends a request about job id to the backend that owns it. A job
// no backend knows is asked of any backend, whose answer (no such job) is
// then the truth for all of them.
func (p *Pool) toOwner(ctx context.Context, id string, req comfyui.Request) (*comfyui.Response, error) {
	b, err := p.owner(ctx, id)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = p.anyBackend(nil)
	}
	return p.do(ctx, b, req)
}

// WaitJob implements plugin.JobWaiter: it waits on the event stream of the
// backend that owns the job.
func (p *Pool) WaitJob(ctx context.Context, promptID string, timeout time.Duration, progress func(progress, total float64, message string)) (json.RawMessage, error) {
	b, err := p.owner(ctx, promptID)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = p.anyBackend(nil)
	}
	return b.watcher.WaitJob(ctx, promptID, timeout, progress)
}

// ReadFile serves a comfyui:// resource: comfyui://{type}/{subfolder/}{name},
// with ?backend=<name> when several backends are configured (without it,
// the one backend that has the file).
func (p *Pool) ReadFile(ctx context.Context, uri string) ([]byte, string, error) {
	backend := ""
	if u, err := url.Parse(uri); err == nil && u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil || len(q) != 1 || len(q["backend"]) != 1 {
			return nil, "", comfyui.InvalidFileURI(fmt.Sprintf("%q: the only query a comfyui:// URI may have is ?backend=<name>", uri))
		}
		backend = q.Get("backend")
		u.RawQuery = ""
		uri = u.String()
	}
	ref, err := comfyui.ParseFileURI(uri)
	if err != nil {
		return nil, "", err
	}
	if p.Single() && backend == "" {
		return p.backends[0].Client.View(ctx, ref)
	}
	if backend != "" {
		b := p.byName[backend]
		if b == nil {
			return nil, "", comfyui.InvalidFileURI(fmt.Sprintf("%q: no ComfyUI backend is named %q (backends: %s)", uri, backend, strings.Join(p.Names(), ", ")))
		}
		return b.Client.View(ctx, ref)
	}
	q := url.Values{"filename": {ref.Filename}, "type": {ref.Type}}
	if ref.Subfolder != "" {
		q.Set("subfolder", ref.Subfolder)
	}
	resp, err := p.findFile(ctx, comfyui.Request{Method: http.MethodGet, Path: "/view", Query: q})
	if err != nil {
		return nil, "", err
	}
	return p.byName[resp.Backend].Client.View(ctx, ref)
}
