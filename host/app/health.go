package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/easel-mcp/easel/host/comfyui"

	"github.com/easel-mcp/easel/host/httpserver"
)

// Readiness reports, for /readyz, whether this server can do its job: its
// configuration is loaded, no plugin failed to load, and a ComfyUI backend
// answers.
// A plugin that failed to load makes the server not ready: its tool is
// listed but every call fails, which an operator must see. A plugin that
// loads on its first call (its description is known) does not: were it to
// count, a replica behind a readiness probe would never get the call that
// loads it.
func (a *App) Readiness(ctx context.Context) []httpserver.Check {
	return []httpserver.Check{
		{Name: "config", Err: nil}, // an App exists only for a valid configuration
		{Name: "plugins", Err: a.pluginsReady()},
		{Name: "comfyui", Err: a.comfyReady(ctx)},
	}
}

// pluginsReady names the plugins that failed to load and those loading
// before they can serve; a plugin waiting for, or loading for, its first
// call is ready: the call waits for it.
func (a *App) pluginsReady() error {
	var loading []string
	var failed []error
	tools := a.current()
	for _, t := range tools {
		select {
		case <-t.ready:
			if t.err != nil {
				failed = append(failed, fmt.Errorf("%s failed to load (%s): %w", t.cfg.Name, t.cfg.Pos, t.err))
			}
		default:
			if t.loader == nil {
				loading = append(loading, t.cfg.Name)
			}
		}
	}
	if len(loading) > 0 {
		failed = append(failed, fmt.Errorf("%d of %d still loading: %s", len(loading), len(tools), strings.Join(loading, ", ")))
	}
	return joinReasons(failed)
}

// comfyReady is nil when at least one ComfyUI backend answers: its event
// stream is connected, or GET /system_stats succeeds (so a proxy that
// blocks WebSockets does not make a working server look down). Otherwise
// it says what is wrong with each.
func (a *App) comfyReady(ctx context.Context) error {
	var problems []error
	for _, s := range a.pool.Statuses() {
		if s.EventStream {
			return nil
		}
		resp, err := a.pool.For(nil).Do(ctx, comfyui.Request{Path: "/system_stats", Backend: s.Name})
		switch {
		case err != nil && strings.HasPrefix(err.Error(), "backend "+s.Name+":"):
			problems = append(problems, err) // the router named the backend already
		case err != nil:
			problems = append(problems, fmt.Errorf("backend %s: %w", s.Name, err))
		case resp.Status != 200:
			problems = append(problems, fmt.Errorf("backend %s: GET %s answered %d", s.Name, resp.URL, resp.Status))
		default:
			return nil
		}
	}
	return joinReasons(problems)
}

// joinReasons is one error saying each of errs, apart: /readyz writes a
// check's reason on one line, where errors.Join's line breaks would run
// the reasons together.
func joinReasons(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	reasons := make([]string, len(errs))
	for i, err := range errs {
		reasons[i] = err.Error()
	}
	return errors.New(strings.Join(reasons, "; "))
}
