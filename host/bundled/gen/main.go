// Command gen builds the bundled plugins (each folder of Go source under
// -plugins that is a main package) to WebAssembly and writes them, gzipped,
// with manifest.json into -out: the files package bundled embeds. A plugin
// whose source key matches the manifest is not rebuilt, so an unchanged
// plugin keeps its bytes (and git keeps its blob).
//
//	go generate ./host/bundled              # or:
//	go run ./host/bundled/gen -plugins plugins -out host/bundled
//	go run ./host/bundled/gen -plugins plugins -out host/bundled -check
//
// With -check it builds nothing and exits 1 naming the stale plugins.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/gobuild"
)

func main() {
	pluginsDir := flag.String("plugins", "plugins", "the folder of bundled plugin sources")
	out := flag.String("out", ".", "the folder of package bundled")
	check := flag.Bool("check", false, "only report stale plugins; exit 1 if any")
	flag.Parse()
	if err := run(context.Background(), *pluginsDir, *out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "bundled/gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, pluginsDir, out string, check bool) error {
	dirs, err := pluginDirs(pluginsDir)
	if err != nil {
		return err
	}
	old := readManifest(filepath.Join(out, bundled.ManifestFile))
	var m bundled.Manifest
	var stale []string
	for _, dir := range dirs {
		p, err := plugin(dir)
		if err != nil {
			return err
		}
		prev, ok := old[p.Name]
		if ok && prev.SourceKey == p.SourceKey && exists(filepath.Join(out, prev.Path())) {
			prev.Tool = p.Tool // tool.json is part of the source key, so unchanged
			m.Plugins = append(m.Plugins, prev)
			continue
		}
		stale = append(stale, p.Name)
		if check {
			continue
		}
		fmt.Fprintf(os.Stderr, "building %s\n", p.Name)
		if err := build(ctx, dir, out, &p); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		m.Plugins = append(m.Plugins, p)
	}
	if check {
		if len(stale) > 0 || len(old) != len(dirs) {
			return fmt.Errorf("the embedded plugins are stale (%s); run: go generate ./host/bundled", strings.Join(append(stale, missing(old, dirs)...), ", "))
		}
		return nil
	}
	if err := removeOrphans(out, m); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, bundled.ManifestFile), append(data, '\n'), 0o644)
}

// pluginDirs lists the main packages directly under dir.
func pluginDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		d := filepath.Join(dir, e.Name())
		if e.IsDir() && isMain(d) {
			dirs = append(dirs, d)
		}
	}
	return dirs, nil
}

func isMain(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err == nil && bytes.Contains(data, []byte("\npackage main\n")) {
			return true
		}
	}
	return false
}

// plugin describes the source in dir, without building it.
func plugin(dir string) (bundled.Plugin, error) {
	p := bundled.Plugin{Name: filepath.Base(dir)}
	var err error
	if p.SourceKey, err = gobuild.SourceKey(dir); err != nil {
		return p, err
	}
	if data, err := os.ReadFile(filepath.Join(dir, "tool.json")); err == nil {
		var compact bytes.Buffer
		if err := json.Compact(&compact, data); err != nil {
			return p, fmt.Errorf("%s/tool.json: %w", dir, err)
		}
		p.Tool = compact.Bytes()
	}
	return p, nil
}

// build compiles the plugin the way gobuild does, stripped and without a
// build ID, and writes it gzipped (no name, no time: the bytes depend on
// the compiled code only). The build ID hashes every imported package's
// source, so with it any edit to a shared package (plugins/internal/comfy,
// the SDK) changed every importing plugin's bytes, and the repository grew
// by all of them, even where their compiled code stayed the same.
// easel_nopattern leaves regexp out of the SDK (sdk/pattern.go): about a
// tenth of each module's code, and of its compilation on a fresh machine.
// A bundled plugin that needs a pattern tag imports regexp itself.
func build(ctx context.Context, dir, out string, p *bundled.Plugin) error {
	tmp, err := os.MkdirTemp("", "easel-bundled-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wasmPath := filepath.Join(tmp, p.Name+".wasm")
	cmd := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared", "-trimpath", "-tags=easel_nopattern", "-ldflags=-s -w -buildid=", "-o", wasmPath, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(wasm)
	p.SHA256, p.Size, p.GoVersion = hex.EncodeToString(sum[:]), len(wasm), goVersion(ctx)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write(wasm); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	path := filepath.Join(out, p.Path())
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, gz.Bytes(), 0o644)
}

// goVersion is the version of the go command that builds, which may differ
// from the one running this generator.
func goVersion(ctx context.Context) string {
	b, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(b))
}

func readManifest(path string) map[string]bundled.Plugin {
	byName := map[string]bundled.Plugin{}
	data, err := os.ReadFile(path)
	if err != nil {
		return byName
	}
	var m bundled.Manifest
	if json.Unmarshal(data, &m) == nil {
		for _, p := range m.Plugins {
			byName[p.Name] = p
		}
	}
	return byName
}

// missing names manifest entries whose source folder is gone.
func missing(old map[string]bundled.Plugin, dirs []string) []string {
	have := map[string]bool{}
	for _, d := range dirs {
		have[filepath.Base(d)] = true
	}
	var gone []string
	for name := range old {
		if !have[name] {
			gone = append(gone, name+" (removed)")
		}
	}
	sort.Strings(gone)
	return gone
}

// removeOrphans deletes modules no plugin owns any more.
func removeOrphans(out string, m bundled.Manifest) error {
	keep := map[string]bool{}
	for _, p := range m.Plugins {
		keep[filepath.Base(p.Path())] = true
	}
	files, err := filepath.Glob(filepath.Join(out, bundled.WasmDir, "*.wasm.gz"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if !keep[filepath.Base(f)] {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
