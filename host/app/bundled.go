package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/gobuild"
)

// embedded finds the module embedded in the binary for t: the bundled plugin
// a builtin: entry names, or the one built from exactly the source of a Go
// folder (same gobuild.SourceKey), so that the repository's own tools.yaml
// (plugin: plugins/x) needs no Go build while the source is unchanged. An
// edited plugin no longer matches and is built from its source. sourceKey
// is gobuild.SourceKey or a SourceCache's Key.
func embedded(t config.Tool, sourceKey func(dir string) (string, error)) (bundled.Plugin, bool) {
	switch t.Kind {
	case config.PluginBuiltin:
		return bundled.Lookup(t.Path)
	case config.PluginGoSource:
		p, ok := bundled.Lookup(filepath.Base(t.Path))
		if !ok {
			return p, false
		}
		key, err := sourceKey(t.Path)
		return p, err == nil && key == p.SourceKey
	}
	return bundled.Plugin{}, false
}

// module is a plugin's module as plugin.Spec takes it: its bytes, or for
// an embedded module a way to get them and their digest, so that a load
// whose instrumented module is cached does not decompress it.
type module struct {
	wasm   []byte
	open   func() ([]byte, error)
	digest string
}

// pluginModule finds t's module: embedded, built from Go source (cached),
// or read from a .wasm file.
func (a *App) pluginModule(ctx context.Context, t config.Tool) (module, error) {
	if p, ok := embedded(t, a.builder.SourceCache().Key); ok {
		return module{open: p.Wasm, digest: p.SHA256}, nil
	}
	start := time.Now()
	wasm, from, err := PluginModule(ctx, a.builder, t)
	if err == nil {
		a.logger.Debug("plugin module ready", "tool", t.Name, "from", from, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	return module{wasm: wasm}, err
}

// PluginModule returns the module serve loads for t, and where it came
// from: the one embedded in the binary (for builtin:NAME, or a bundled
// plugin's unchanged source), the build of its Go source (cached by
// builder), or the .wasm file. Commands that inspect plugins without
// serving them (easel build, tools, doctor) use it so that the digest they
// report is the one serve checks against a sha256: pin.
func PluginModule(ctx context.Context, builder *gobuild.Builder, t config.Tool) (wasm []byte, from string, err error) {
	if p, ok := embedded(t, builder.SourceCache().Key); ok {
		wasm, err := p.Wasm()
		return wasm, bundled.Scheme + p.Name, err
	}
	if t.Kind == config.PluginBuiltin {
		return nil, "", fmt.Errorf("%s%s is not bundled in this binary", bundled.Scheme, t.Path)
	}
	path := t.Path
	if t.Kind == config.PluginGoSource {
		built, err := builder.Build(ctx, t.Path)
		if err != nil {
			return nil, "", err
		}
		path = built
	}
	wasm, err = os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read plugin: %w", err)
	}
	return wasm, path, nil
}
