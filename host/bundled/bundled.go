// Package bundled holds easel's bundled plugins (the folders under plugins/)
// compiled to WebAssembly and embedded in the binary, so that an installed
// easel (`go install …/cmd/easel@latest`) serves them without the Go
// toolchain, and a checkout serves them without a 30–60 s first build.
//
// Each module is stored gzip-compressed under wasm/, and manifest.json
// records, per plugin, the [gobuild.SourceKey] of the source it was built
// from, the module's SHA-256 and size, and the tool description (the
// plugin's tool.json), so that tools/list needs neither a build nor a
// compilation. `go generate ./host/bundled` rebuilds what changed;
// TestCurrent fails when a plugin's source no longer matches its module.
//
// [gobuild.SourceKey]: https://pkg.go.dev/github.com/easel-mcp/easel/host/gobuild#SourceKey
package bundled

//go:generate go run ./gen -plugins ../../plugins -out .

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
)

// Scheme prefixes a bundled plugin's name in tools.yaml:
// `plugin: builtin:get_job_status`.
const Scheme = "builtin:"

//go:embed manifest.json wasm
var files embed.FS

// ManifestFile and WasmDir are where the generator writes, relative to this
// package's folder.
const (
	ManifestFile = "manifest.json"
	WasmDir      = "wasm"
)

// Plugin is one bundled plugin, as manifest.json records it.
type Plugin struct {
	// Name is the plugin's folder under plugins/, and the name after
	// "builtin:" in tools.yaml.
	Name string `json:"name"`
	// SourceKey is gobuild.SourceKey of the source the module was built
	// from.
	SourceKey string `json:"source_key"`
	// SHA256 and Size describe the uncompressed module; Wasm checks them.
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	// GoVersion built the module (for the record; it is not part of the key).
	GoVersion string `json:"go_version"`
	// Tool is the tool description (tool.json), when the plugin has a fixed
	// one; generic plugins, whose tool depends on their config, have none.
	Tool json.RawMessage `json:"tool,omitempty"`
}

// Manifest is the content of manifest.json.
type Manifest struct {
	Plugins []Plugin `json:"plugins"` // sorted by name
}

// Path is where p's compressed module lives inside the package folder.
func (p Plugin) Path() string { return WasmDir + "/" + p.Name + ".wasm.gz" }

// manifest is parsed once: the embedded files never change.
var manifest = sync.OnceValues(func() (Manifest, error) {
	var m Manifest
	data, err := files.ReadFile(ManifestFile)
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		return m, fmt.Errorf("bundled plugins: %s: %w", ManifestFile, err)
	}
	return m, nil
})

// List returns the bundled plugins, sorted by name.
func List() ([]Plugin, error) {
	m, err := manifest()
	return m.Plugins, err
}

// Lookup finds a bundled plugin by name.
func Lookup(name string) (Plugin, bool) {
	m, err := manifest()
	if err != nil {
		return Plugin{}, false
	}
	i := sort.Search(len(m.Plugins), func(i int) bool { return m.Plugins[i].Name >= name })
	if i < len(m.Plugins) && m.Plugins[i].Name == name {
		return m.Plugins[i], true
	}
	return Plugin{}, false
}

// Names lists the bundled plugins' names, sorted.
func Names() []string {
	ps, _ := List()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return names
}

// Wasm decompresses p's module and checks it against the manifest.
func (p Plugin) Wasm() ([]byte, error) {
	gz, err := files.ReadFile(p.Path())
	if err != nil {
		return nil, fmt.Errorf("bundled plugin %s: %w", p.Name, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("bundled plugin %s: %w", p.Name, err)
	}
	wasm := make([]byte, 0, p.Size)
	buf := bytes.NewBuffer(wasm)
	if _, err := io.Copy(buf, zr); err != nil {
		return nil, fmt.Errorf("bundled plugin %s: %w", p.Name, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if hex.EncodeToString(sum[:]) != p.SHA256 {
		return nil, fmt.Errorf("bundled plugin %s: module does not match its SHA-256 in %s", p.Name, ManifestFile)
	}
	return buf.Bytes(), nil
}
