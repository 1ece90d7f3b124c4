package app

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"time"

	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/mcpserver"
)

// Reload reads the configuration file again and serves what it now says,
// without a restart. Tools whose entry and plugin content are unchanged
// are kept as they are (loaded, with their instances); the others are
// built, compiled and described before anything changes. Then the new set
// replaces the old one in one step, clients get one
// notifications/tools/list_changed, and the replaced plugins are closed
// once the calls running on them have finished.
//
// If the file is invalid or any changed plugin cannot be loaded, nothing
// changes and the error says why (file:line for the configuration): the
// last good set keeps serving. Reload reports changed=false when the file
// and plugins are as served. Changes outside tools (comfyui, cache_dir,
// watch) need a restart; Reload logs a warning for them and applies the
// tools anyway.
func (a *App) Reload(ctx context.Context) (changed bool, err error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg, err := a.loadConfig()
	if err != nil {
		return false, err
	}
	if fields := restartFields(a.cfg, cfg); len(fields) > 0 {
		a.logger.Warn("configuration changes that need a restart are not applied", "file", a.cfg.File, "keys", fields)
	}
	old := a.current()
	next, fresh, err := a.plan(old, cfg.Tools)
	if err != nil {
		return false, err
	}
	if len(fresh) == 0 && slices.Equal(old, next) {
		return false, nil
	}
	if err := a.loadAll(ctx, fresh); err != nil {
		for _, t := range fresh {
			if t.p != nil {
				t.p.Close(context.WithoutCancel(ctx))
			}
		}
		return false, err
	}
	if err := a.swap(next); err != nil {
		for _, t := range fresh {
			t.p.Close(context.WithoutCancel(ctx))
		}
		return false, err
	}
	a.retireAll(old, next)
	a.logger.Info("tools reloaded", "file", a.cfg.File, "tools", len(next), "changes", describeChanges(old, next))
	return true, nil
}

// loadConfig reads the configuration file again, with the tool selection
// the App was started with.
func (a *App) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(a.cfg.File, a.env)
	if err != nil {
		return nil, err
	}
	if err := cfg.SelectTools(a.selection); err != nil {
		return nil, err
	}
	return cfg, nil
}

// plan matches the entries of a new configuration with the tools served:
// next is the new set in file order, reusing every tool whose entry and
// plugin content are unchanged; fresh are the tools to load.
func (a *App) plan(old []*tool, entries []config.Tool) (next, fresh []*tool, err error) {
	byName := map[string]*tool{}
	for _, t := range old {
		byName[t.cfg.Name] = t
	}
	sources := a.builder.SourceCache()
	for _, ct := range entries {
		key, err := toolKey(sources, ct)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: tool %s: %w", ct.Pos, ct.Name, err)
		}
		if t := byName[ct.Name]; t != nil && t.key == key && sameEntry(t.cfg, ct) {
			next = append(next, t)
			continue
		}
		t := &tool{cfg: ct, key: key, ready: make(chan struct{})}
		next = append(next, t)
		fresh = append(fresh, t)
	}
	return next, fresh, nil
}

// sameEntry reports whether two tools.yaml entries configure the same
// tool, wherever they stand in the file.
func sameEntry(a, b config.Tool) bool {
	a.Pos, b.Pos = config.Pos{}, config.Pos{}
	return reflect.DeepEqual(a, b)
}

// restartFields names the settings outside tools that differ between two
// configurations: they shape the whole server and need a restart.
func restartFields(old, cur *config.Config) []string {
	var fields []string
	if !reflect.DeepEqual(old.ComfyUI, cur.ComfyUI) {
		fields = append(fields, "comfyui")
	}
	if !sameBackends(old.Backends, cur.Backends) {
		fields = append(fields, "backends")
	}
	if old.CacheDir != cur.CacheDir {
		fields = append(fields, "cache_dir")
	}
	if old.Watch != cur.Watch {
		fields = append(fields, "watch")
	}
	o, c := *old, *cur
	o.Tools, c.Tools, o.ComfyUI, c.ComfyUI = nil, nil, config.ComfyUI{}, config.ComfyUI{}
	o.Backends, c.Backends = nil, nil
	o.CacheDir, c.CacheDir, o.Watch, c.Watch = "", "", false, false
	if len(fields) == 0 && !reflect.DeepEqual(o, c) {
		fields = append(fields, "settings outside tools")
	}
	return fields
}

// sameBackends compares backends lists ignoring where they are written.
func sameBackends(a, b []config.Backend) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.Pos, y.Pos = config.Pos{}, config.Pos{}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// current is the set of tools served now, in configuration order.
func (a *App) current() []*tool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tools
}

// swap makes next the served set, in the MCP server too.
func (a *App) swap(next []*tool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var tools []mcpserver.Tool
	var providers []mcpserver.Provider
	for _, t := range next {
		if t.Tool().Name != "" { // not a plugin of prompts and resources only
			tools = append(tools, t)
		}
		if p := t.loaded(); p != nil && !p.Features().Empty() {
			providers = append(providers, p)
		}
	}
	if err := a.mcp.SetProviders(providers); err != nil {
		return err
	}
	if err := a.mcp.SetTools(tools); err != nil {
		return err
	}
	a.tools = next
	return nil
}

// updateTool re-registers t after its description changed, unless a
// reload has replaced it meanwhile (the MCP server then serves its
// successor, which must stay).
func (a *App) updateTool(t *tool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.isRetired() {
		return nil
	}
	return a.mcp.UpdateTool(t)
}

// retireAll retires the tools of old that next does not keep, pointing
// each at its successor of the same name, and closes each plugin once its
// calls have finished.
func (a *App) retireAll(old, next []*tool) {
	byName := map[string]*tool{}
	for _, t := range next {
		byName[t.cfg.Name] = t
	}
	for _, t := range old {
		succ := byName[t.cfg.Name]
		if succ == t {
			continue
		}
		t.retire(succ)
		a.bg.Add(1)
		go func() {
			defer a.bg.Done()
			select {
			case <-t.drained():
			case <-a.bgctx.Done():
				return // Close releases the runtime, and every plugin with it
			}
			if t.p != nil {
				t.p.Close(context.Background())
			}
		}()
	}
}

// describeChanges summarises a reload for the log: +added, -removed,
// ~changed.
func describeChanges(old, next []*tool) []string {
	was := map[string]*tool{}
	for _, t := range old {
		was[t.cfg.Name] = t
	}
	var out []string
	for _, t := range next {
		switch o, ok := was[t.cfg.Name]; {
		case !ok:
			out = append(out, "+"+t.cfg.Name)
		case o != t:
			out = append(out, "~"+t.cfg.Name)
		}
		delete(was, t.cfg.Name)
	}
	for _, t := range old {
		if _, gone := was[t.cfg.Name]; gone {
			out = append(out, "-"+t.cfg.Name)
		}
	}
	return out
}

// defaultDebounce is how long the watcher waits after the last file event
// before reloading: editors and `go build` write a file in several steps,
// and a save of several files should be one reload.
const defaultDebounce = 300 * time.Millisecond

// envOrDefault is the environment the configuration is reloaded with.
func envOrDefault(env config.Env) config.Env {
	if env == nil {
		return os.LookupEnv
	}
	return env
}
