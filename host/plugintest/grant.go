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

// declaredPermissions finds the grant a tools.yaml declares for the plugin
// in dir under the tool name: the nearest tools.yaml in dir or a folder
// above it, up to the module root (the folder with go.mod), whose entry of
// that name points at dir. It says where the grant came from, for the test
// log. found is false when no such entry exists, and err is set when a
// tools.yaml on the way cannot be read.
func declaredPermissions(dir, name string) (perms *policy.Permissions, from string, found bool, err error) {
	start := dir
	if strings.EqualFold(filepath.Ext(dir), ".wasm") {
		start = filepath.Dir(dir) // a module file: its entry names the file
	}
	for d := start; ; d = filepath.Dir(d) {
		path := filepath.Join(d, "tools.yaml")
		if _, statErr := os.Stat(path); statErr == nil {
			cfg, err := config.Load(path, config.Env(os.LookupEnv))
			if err != nil {
				return nil, path, false, err
			}
			for _, t := range cfg.Tools {
				if t.Name == name && t.Path == dir {
					return t.Permissions, t.Pos.String(), true, nil
				}
			}
		}
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil || !errors.Is(err, fs.ErrNotExist) || filepath.Dir(d) == d {
			return nil, "", false, nil
		}
	}
}
