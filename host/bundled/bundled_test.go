package bundled_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/gobuild"
)

// pluginsDir holds the sources the embedded modules are built from.
const pluginsDir = "../../plugins"

// TestCurrent fails when a bundled plugin's source changed since its
// module was generated, or a plugin was added or removed: the binary would
// otherwise embed a module that does not match the source (and a checkout
// would silently build the source instead of using it).
func TestCurrent(t *testing.T) {
	const fix = "; run: go generate ./host/bundled"
	entries, err := os.ReadDir(pluginsDir)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	for _, e := range entries {
		if dir := filepath.Join(pluginsDir, e.Name()); e.IsDir() && isMain(dir) {
			sources[e.Name()] = true
		}
	}
	list, err := bundled.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if !sources[p.Name] {
			t.Errorf("%s is embedded but plugins/%s is gone%s", p.Name, p.Name, fix)
			continue
		}
		delete(sources, p.Name)
		key, err := gobuild.SourceKey(filepath.Join(pluginsDir, p.Name))
		if err != nil {
			t.Fatal(err)
		}
		if key != p.SourceKey {
			t.Errorf("plugins/%s changed since its embedded module was built%s", p.Name, fix)
		}
	}
	for name := range sources {
		t.Errorf("plugins/%s is not embedded%s", name, fix)
	}
}

func isMain(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil && !bytes.HasSuffix([]byte(f), []byte("_test.go")) && bytes.Contains(data, []byte("\npackage main\n")) {
			return true
		}
	}
	return false
}

// TestWasm decompresses every module and checks it against the manifest.
func TestWasm(t *testing.T) {
	list, err := bundled.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("no bundled plugins")
	}
	for _, p := range list {
		wasm, err := p.Wasm()
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		if len(wasm) != p.Size || !bytes.HasPrefix(wasm, []byte("\x00asm")) {
			t.Errorf("%s: %d bytes starting %q, want a %d-byte wasm module", p.Name, len(wasm), wasm[:min(4, len(wasm))], p.Size)
		}
		if got, ok := bundled.Lookup(p.Name); !ok || got.SHA256 != p.SHA256 {
			t.Errorf("Lookup(%q) = %v, %v", p.Name, got.Name, ok)
		}
	}
	if _, ok := bundled.Lookup("no_such_plugin"); ok {
		t.Error("Lookup found a plugin that is not bundled")
	}
}
