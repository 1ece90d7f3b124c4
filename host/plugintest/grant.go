package plugintest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/policy"
)

// entry is what plugintest takes from the tools.yaml entry that serves a
// plugin: the tool's name and its grant, and where the entry is, for the
// test log.
type entry struct {
	name  string
	perms *policy.Permissions
	from  string
}

// declaredEntry finds the tools.yaml entry that serves the plugin in dir:
// in the nearest tools.yaml in dir or a folder above it, up to the module
// root (the folder with go.mod), an entry whose plugin: resolves to dir
// and, when name is not "", whose name is name. The plugin path decides,
// not the folder's name: `easel new --dir plugins/upscale upscale_image`
// serves upscale_image from a folder named upscale. When several entries
// serve dir (one plugin, several configured tools) and no name is asked
// for, the one named like the folder wins, else the first. found is false
// when no entry serves dir, and err is set when a tools.yaml on the way
// cannot be read or is invalid.
func declaredEntry(dir, name string) (e entry, found bool, err error) {
	start := dir
	if strings.EqualFold(filepath.Ext(dir), ".wasm") {
		start = filepath.Dir(dir) // a module file: its entry names the file
	}
	for d := start; ; d = filepath.Dir(d) {
		path := filepath.Join(d, "tools.yaml")
		if _, statErr := os.Stat(path); statErr == nil {
			cfg, err := config.Load(path, config.Env(os.LookupEnv))
			if err != nil {
				return entry{}, false, err
			}
			if t := pickEntry(cfg.Tools, dir, name); t != nil {
				return entry{name: t.Name, perms: t.Permissions, from: t.Pos.String()}, true, nil
			}
		}
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil || !errors.Is(err, fs.ErrNotExist) || filepath.Dir(d) == d {
			return entry{}, false, nil
		}
	}
}

// pickEntry chooses among the tools of one tools.yaml the entry serving
// dir, as declaredEntry describes; nil when there is none.
func pickEntry(tools []config.Tool, dir, name string) *config.Tool {
	var first *config.Tool
	base := folderName(dir)
	for i := range tools {
		t := &tools[i]
		if t.Path != dir {
			continue
		}
		if name != "" && t.Name == name || name == "" && t.Name == base {
			return t
		}
		if name == "" && first == nil {
			first = t
		}
	}
	return first
}

// folderName is the tool name plugintest falls back to when no entry
// serves dir: the folder's name, or a module file's name without .wasm.
func folderName(dir string) string {
	base := filepath.Base(dir)
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".wasm") {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}
