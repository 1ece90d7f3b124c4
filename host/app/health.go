package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/easel-mcp/easel/host/httpserver"
)

// Readiness reports, for /readyz, whether this server can do its job: its
// configuration is loaded, every plugin is loaded, and a ComfyUI backend is
// healthy.
// A plugin that failed to load makes the server not ready: its tool is
// listed but every call fails, which an operator must see.
func (a *App) Readiness(context.Context) []httpserver.Check {
	return []httpserver.Check{
		{Name: "config", Err: nil}, // an App exists only for a valid configuration
		{Name: "plugins", Err: a.pluginsReady()},
		{Name: "comfyui", Err: a.comfyReady()},
	}
}

// pluginsReady names the plugins still loading and those that failed.
func (a *App) pluginsReady() error {
	var loading []string
	var failed []error
	for _, t := range a.tools {
		select {
		case <-t.ready:
			if t.err != nil {
				failed = append(failed, fmt.Errorf("%s failed to load (%s): %w", t.cfg.Name, t.cfg.Pos, t.err))
			}
		default:
			loading = append(loading, t.cfg.Name)
		}
	}
	if len(loading) > 0 {
		failed = append(failed, fmt.Errorf("%d of %d still loading: %s", len(loading), len(a.tools), strings.Join(loading, ", ")))
	}
	return errors.Join(failed...)
}

// comfyReady is nil when at least one ComfyUI backend is healthy (new
// jobs go to healthy ones); otherwise it says what is wrong with each. It
// reads the backend pool's last probe, so a readiness probe sends nothing
// to ComfyUI.
func (a *App) comfyReady() error {
	var problems []error
	for _, s := range a.pool.Statuses() {
		if s.Healthy {
			return nil
		}
		problem := s.Problem
		if problem == "" {
			problem = "not checked yet"
		}
		problems = append(problems, fmt.Errorf("backend %s: %s", s.Name, problem))
	}
	return errors.Join(problems...)
}
