package bundled_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/config"
)

// TestDefaultConfigMatchesRepository keeps the built-in tools.yaml equal,
// comments aside, to the repository's tools.yaml with plugins/NAME read as
// builtin:NAME, and checks that it loads and names only embedded plugins.
func TestDefaultConfigMatchesRepository(t *testing.T) {
	repo, err := os.ReadFile(filepath.Join("..", "..", "tools.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pluginLine := regexp.MustCompile(`(?m)^(\s+plugin: )plugins/([A-Za-z0-9_-]+)$`)
	want := settings(pluginLine.ReplaceAllString(string(repo), "${1}builtin:${2}"))
	if got := settings(string(bundled.DefaultConfig())); got != want {
		t.Fatalf("host/bundled/tools.yaml differs from the repository's tools.yaml (plugins/NAME → builtin:NAME); make the same change there.\n got:\n%s\nwant:\n%s", got, want)
	}
	cfg, err := config.Parse(bundled.DefaultConfig(), bundled.DefaultConfigName, config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range cfg.Tools {
		if tool.Kind != config.PluginBuiltin {
			t.Errorf("%s: plugin kind %s, want builtin", tool.Name, tool.Kind)
		}
		if _, ok := bundled.Lookup(tool.Path); !ok {
			t.Errorf("%s: builtin:%s is not embedded", tool.Name, tool.Path)
		}
	}
}

// settings drops comments and blank lines.
func settings(yaml string) string {
	var keep []string
	for _, line := range strings.Split(yaml, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
