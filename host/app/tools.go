package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/gobuild"
	"github.com/easel-mcp/easel/host/plugin"
)

// tool is one configured tool as the MCP server sees it. Its description
// can be known before its plugin is built and compiled (from the metadata
// cache, or the tool.json committed beside a bundled plugin's source), so
// that easel answers tools/list at once and loads each plugin on its first
// call; a call waits for its own plugin only.
type tool struct {
	cfg config.Tool
	key string // content hash of the plugin and its configuration

	mu    sync.Mutex
	info  plugin.ToolInfo
	ready chan struct{} // closed once p or err is set
	p     *plugin.Plugin
	err   error

	loader func()    // loads the plugin and settles; nil when loaded at start
	load   sync.Once // runs loader, on the first call

	// A reload retires a tool that it replaces or removes: calls already
	// running finish on it, calls that arrive later through a handler taken
	// before the swap go to next (nil when the tool was removed), and the
	// plugin is closed once calls reaches zero.
	calls   sync.WaitGroup
	retired bool
	next    *tool
}

func (t *tool) Name() string { return t.cfg.Name }

// startLoading starts loading the plugin if nobody has yet.
func (t *tool) startLoading() {
	t.load.Do(func() {
		if t.loader != nil {
			t.loader()
		}
	})
}

func (t *tool) Tool() plugin.ToolInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.info
}

// Call runs the call on the newest version of the tool: t, or the tool
// that replaced it if a reload retired t.
func (t *tool) Call(ctx context.Context, args json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error) {
	cur := t.acquire()
	if cur == nil {
		return nil, &plugin.CallError{Tool: t.cfg.Name, Reason: "the tool was removed from " + filepath.Base(t.cfg.Pos.File) + " while the call was on its way"}
	}
	defer cur.calls.Done()
	return cur.call(ctx, args, progress)
}

// acquire counts a call on the newest version of t, following the
// tools that replaced it, and returns that version; nil if the tool was
// removed.
func (t *tool) acquire() *tool {
	for t != nil {
		t.mu.Lock()
		if !t.retired {
			t.calls.Add(1)
			t.mu.Unlock()
			return t
		}
		next := t.next
		t.mu.Unlock()
		t = next
	}
	return nil
}

// retire marks t as replaced by next (nil: removed); no call starts on it
// afterwards, so drained can wait for the ones running.
func (t *tool) retire(next *tool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.retired, t.next = true, next
}

// loaded is t's plugin, nil until it has loaded.
func (t *tool) loaded() *plugin.Plugin {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p
}

// isRetired reports whether a reload replaced or removed t.
func (t *tool) isRetired() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.retired
}

// drained is closed once the calls that started on t before it was
// retired have ended and its plugin, if anyone started loading it, has
// settled. A tool retired before its first call is never loaded.
func (t *tool) drained() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		t.calls.Wait()
		loading := true
		t.load.Do(func() { loading = false }) // no load may start from now on
		if loading {
			<-t.ready
		}
		close(done)
	}()
	return done
}

// call waits for the plugin to be loaded, then runs it.
func (t *tool) call(ctx context.Context, args json.RawMessage, progress func(plugin.Progress)) (json.RawMessage, error) {
	t.startLoading()
	select {
	case <-t.ready:
	case <-ctx.Done():
		return nil, &plugin.CallError{Tool: t.cfg.Name, Reason: "cancelled while the plugin was still loading", Err: ctx.Err()}
	}
	if t.err != nil {
		return nil, &plugin.CallError{Tool: t.cfg.Name, Reason: "the plugin could not be loaded: " + t.err.Error(), Err: t.err}
	}
	return t.p.Call(ctx, args, progress)
}

// settle records the outcome of loading the plugin and reports whether the
// description changed from the one served so far.
func (t *tool) settle(p *plugin.Plugin, err error) (changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p, t.err = p, err
	if p != nil {
		changed = !reflect.DeepEqual(normalize(t.info), normalize(p.Tool()))
		t.info = p.Tool()
	}
	close(t.ready)
	return changed
}

// normalize makes two descriptions comparable whatever their JSON spacing.
func normalize(info plugin.ToolInfo) any {
	b, _ := json.Marshal(info)
	var v any
	json.Unmarshal(b, &v)
	return v
}

// toolKey hashes what determines a tool's description: its plugin's
// content (for Go source, its source key and the Go version), its name and
// its configuration. sources is shared by the tools of one start-up.
func toolKey(sources *gobuild.SourceCache, t config.Tool) (string, error) {
	h := sha256.New()
	if p, ok := embedded(t, sources.Key); ok {
		h.Write([]byte(p.SHA256))
	} else if t.Kind == config.PluginGoSource {
		k, err := sources.Key(t.Path)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%s", runtime.Version(), k)
	} else {
		f, err := os.Open(t.Path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
	}
	fmt.Fprintf(h, "\x00%s\x00%s", t.Name, t.Config)
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// metaPath is where the description of a tool with this key is cached.
func (a *App) metaPath(t *tool) string {
	return filepath.Join(a.cfg.CacheDir, "meta", t.cfg.Name+"-"+t.key+".json")
}

// knownInfo finds a description that needs no compilation: the cache of an
// earlier run, else the tool.json beside a bundled plugin's source (for an
// unconfigured tool of the same name). The background load checks it.
func (a *App) knownInfo(t *tool) (plugin.ToolInfo, bool) {
	var info plugin.ToolInfo
	if data, err := os.ReadFile(a.metaPath(t)); err == nil && json.Unmarshal(data, &info) == nil && info.Name == t.cfg.Name {
		return info, true
	}
	if string(t.cfg.Config) != "{}" {
		return info, false
	}
	if p, ok := bundled.Lookup(t.cfg.Path); ok && t.cfg.Kind == config.PluginBuiltin && len(p.Tool) > 0 {
		if json.Unmarshal(p.Tool, &info) == nil && info.Name == t.cfg.Name {
			return info, true
		}
	}
	if t.cfg.Kind != config.PluginGoSource {
		return info, false
	}
	data, err := os.ReadFile(filepath.Join(t.cfg.Path, ToolJSON))
	if err == nil && json.Unmarshal(data, &info) == nil && info.Name == t.cfg.Name {
		return info, true
	}
	return info, false
}

// ToolJSON is the file beside a Go plugin's source that holds its tool
// description, so that a fresh install can list tools before building
// them. TestBundledToolJSON keeps the bundled ones current.
const ToolJSON = "tool.json"

// remember caches a loaded tool's description for the next start. Only a
// plain tool's: a plugin with prompts or resources is loaded before
// serving, so that they are listed from the start.
func (a *App) remember(t *tool) {
	if t.p != nil && (!t.p.HasTool() || !t.p.Features().Empty()) {
		return
	}
	data, err := json.MarshalIndent(t.Tool(), "", "  ")
	if err == nil {
		path := a.metaPath(t)
		err = errors.Join(os.MkdirAll(filepath.Dir(path), 0o700), os.WriteFile(path, data, 0o600))
	}
	if err != nil {
		a.logger.Warn("cannot cache a tool description", "tool", t.cfg.Name, "err", err)
	}
}
