package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/gobuild"
	"github.com/fsnotify/fsnotify"
)

// watch starts reloading the tools whenever the configuration file or a
// plugin changes, until ctx ends. File events are only a hint: Reload
// compares content hashes, so an event that changed nothing (an editor's
// backup file, a touch) costs a hash and changes nothing. It watches
// folders, not files, because editors save by writing a new file and
// renaming it over the old one. The folders are watched when watch
// returns, so no edit made after New is missed. sources is the start-up's
// scan, which already knows every Go plugin's packages.
func (a *App) watch(ctx context.Context, debounce time.Duration, sources *gobuild.SourceCache) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch for changes: %w", err)
	}
	set := a.watchSet(sources, a.entries())
	set.apply(w, nil, a)
	a.logger.Info("watching for changes", "file", a.cfg.File, "folders", len(set.dirs))
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		defer w.Close()
		a.follow(ctx, w, set, debounce)
	}()
	return nil
}

// follow reloads after each burst of relevant file events.
func (a *App) follow(ctx context.Context, w *fsnotify.Watcher, set *watchSet, debounce time.Duration) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op != fsnotify.Chmod && set.relevant(ev.Name) {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			a.logger.Warn("file watcher error; changes may be missed", "err", err)
		case <-timer.C:
			a.reloadLogged(ctx)
			next := a.watchSet(a.builder.SourceCache(), a.entriesAfterReload())
			next.apply(w, set, a)
			set = next
		}
	}
}

// reloadLogged runs Reload and logs its outcome.
func (a *App) reloadLogged(ctx context.Context) {
	start := time.Now()
	changed, err := a.Reload(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
	case err != nil:
		a.logger.Error("reload failed; still serving the previous tools", "err", err)
	case changed:
		a.logger.Debug("reload done", "elapsed", time.Since(start).Round(time.Millisecond))
	}
}

// watchSet is what the watcher follows: folders, and in them the files
// whose change may change what is served.
type watchSet struct {
	dirs  map[string]bool // folders watched
	files map[string]bool // files that count: the configuration, .wasm plugins, go.mod, go.sum
	pkgs  map[string]bool // folders any file of which counts: Go-source plugins and their local packages
}

func (s *watchSet) relevant(name string) bool {
	name = filepath.Clean(name)
	return s.files[name] || s.pkgs[filepath.Dir(name)]
}

func (s *watchSet) addFile(path string) {
	s.files[path] = true
	s.dirs[filepath.Dir(path)] = true
}

// entries are the tools.yaml entries of the tools served.
func (a *App) entries() []config.Tool {
	var entries []config.Tool
	for _, t := range a.current() {
		entries = append(entries, t.cfg)
	}
	return entries
}

// entriesAfterReload are the entries of the tools served and of the tools
// the file now declares, so that fixing a plugin whose load failed is seen
// too.
func (a *App) entriesAfterReload() []config.Tool {
	entries := a.entries()
	if cfg, err := a.loadConfig(); err == nil {
		entries = append(entries, cfg.Tools...)
	}
	return entries
}

// watchSet collects the files of the plugins of entries and the
// configuration file.
func (a *App) watchSet(sources *gobuild.SourceCache, entries []config.Tool) *watchSet {
	s := &watchSet{dirs: map[string]bool{}, files: map[string]bool{}, pkgs: map[string]bool{}}
	file, err := filepath.Abs(a.cfg.File)
	if err != nil {
		file = a.cfg.File
	}
	s.addFile(file)
	for _, t := range entries {
		switch t.Kind {
		case config.PluginWasm:
			s.addFile(t.Path)
			continue
		case config.PluginGoSource:
		default:
			continue // embedded in the binary: nothing to watch
		}
		s.pkgs[t.Path], s.dirs[t.Path] = true, true
		root, pkgs, err := sources.Sources(t.Path)
		if err != nil {
			continue // a syntax error: the plugin's own folder is watched, which is where the fix will be
		}
		s.addFile(filepath.Join(root, "go.mod"))
		s.addFile(filepath.Join(root, "go.sum"))
		for _, p := range pkgs {
			s.pkgs[p], s.dirs[p] = true, true
		}
	}
	return s
}

// apply adds the folders of s to w and removes those of prev that s no
// longer has.
func (s *watchSet) apply(w *fsnotify.Watcher, prev *watchSet, a *App) {
	for d := range s.dirs {
		if prev != nil && prev.dirs[d] {
			continue
		}
		if err := w.Add(d); err != nil {
			a.logger.Warn("cannot watch a folder; edits in it are not reloaded", "folder", d, "err", err)
			delete(s.dirs, d) // tried again after the next reload
		}
	}
	if prev == nil {
		return
	}
	for d := range prev.dirs {
		if !s.dirs[d] {
			w.Remove(d)
		}
	}
}
