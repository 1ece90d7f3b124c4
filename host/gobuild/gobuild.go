// Package gobuild turns a folder of Go plugin source into a WebAssembly
// module, so that tools.yaml can name a plugin's source and
// `go run ./cmd/easel serve` works on a fresh clone without a build step.
//
// A build runs the Go toolchain with GOOS=wasip1 GOARCH=wasm
// -buildmode=c-shared (a WASI reactor, see docs/abi.md). Its output is cached
// under the cache folder by a content hash of everything that can change it:
// the Go version, go.mod and go.sum, and the source of every package of the
// plugin's own module that the plugin imports, directly or not. A second start
// with unchanged source therefore costs one hash, not a build.
package gobuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// Builder builds Go plugins into a cache folder. It is safe for concurrent
// use; concurrent builds of one plugin write the same file atomically.
type Builder struct {
	// CacheDir receives the built modules.
	CacheDir string
	// GoCommand is the go binary; empty means "go" from PATH.
	GoCommand string
}

// Build returns the path of the wasm module built from the Go package in dir,
// building it only when no module with the same content hash is cached.
func (b *Builder) Build(ctx context.Context, dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	key, err := b.Key(dir)
	if err != nil {
		return "", fmt.Errorf("build plugin %s: %w", dir, err)
	}
	out := filepath.Join(b.CacheDir, "plugins", filepath.Base(dir)+"-"+key[:16]+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := b.compile(ctx, dir, out); err != nil {
		return "", fmt.Errorf("build plugin %s: %w", dir, err)
	}
	return out, nil
}

func (b *Builder) goCommand() (string, error) {
	name := b.GoCommand
	if name == "" {
		name = "go"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("the plugin is Go source and building it needs the Go toolchain (%s not found in PATH); install Go or point tools.yaml at a built .wasm", name)
	}
	return path, nil
}

func (b *Builder) compile(ctx context.Context, dir, out string) error {
	goBin, err := b.goCommand()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".build-*.wasm")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.CommandContext(ctx, goBin, "build", "-buildmode=c-shared", "-trimpath", "-o", tmp.Name(), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("go build failed:\n%s", msg)
	}
	return os.Rename(tmp.Name(), out)
}

// Key is the content hash that names the build of the plugin in dir: its
// [SourceKey] and the Go version that builds it.
func (b *Builder) Key(dir string) (string, error) {
	src, err := b.SourceCache().Key(dir)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte("easel-gobuild-v2\x00" + runtime.Version() + "\x00wasip1/wasm\x00" + src))
	return hex.EncodeToString(h[:]), nil
}

// SourceKey is the content hash of the plugin source in dir, whatever the
// toolchain: go.mod, go.sum and every package of the plugin's module that it
// imports. The bundled plugins embedded in the binary carry the SourceKey
// they were built from, so that easel can tell whether a plugins/ folder
// still holds exactly that source.
func SourceKey(dir string) (string, error) {
	return new(SourceCache).Key(dir)
}

// SourceCache computes SourceKeys, reading each package once: the bundled
// plugins share the SDK and plugins/internal, which a start-up would
// otherwise parse and hash fifteen times. It assumes the files do not
// change while it is in use; make a new one for each scan. The zero value
// is ready to use, and it is safe for concurrent use.
//
// With Dir set it also remembers keys across processes (see
// [SourceCache.Dir]), so that a start with unchanged source stats the files
// instead of reading, parsing and hashing them.
type SourceCache struct {
	// Dir, when not empty, is a folder where Key records each key it
	// computes together with the size, modification time and (on Unix)
	// inode and change time of every file it depends on. A later Key of
	// the same folder returns the recorded key if no file's stamp
	// changed, no file was added to or removed from a package folder and
	// no nearer go.mod appeared; otherwise it hashes the source again. A
	// record is only written when every file is older than
	// [racyWindow], so that two writes within one timestamp tick cannot
	// hide an edit.
	Dir string

	mu       sync.Mutex
	imports  map[string][]string // package folder → its imports
	contents map[string][]byte   // package folder → what hashPackage hashes
	stamps   map[string][]stamp  // package folder → its files' stamps
	found    map[string]*record  // plugin folder → its key, packages and stamps
	now      func() time.Time    // when hashing starts; tests move it past racyWindow
}

// Key is [SourceKey] of dir.
func (c *SourceCache) Key(dir string) (string, error) {
	rec, err := c.resolve(dir)
	if err != nil {
		return "", err
	}
	return rec.Key, nil
}

// Sources lists the folders whose content [SourceCache.Key] hashes, for a
// caller that watches a plugin for edits: the module root (whose go.mod
// and go.sum count) and the folder of every package of the same module the
// plugin imports, dir included.
func (c *SourceCache) Sources(dir string) (root string, packages []string, err error) {
	rec, err := c.resolve(dir)
	if err != nil {
		return "", nil, err
	}
	return rec.Root, rec.Packages, nil
}

// hash computes dir's key from the files' content, and the record that
// lets a later SourceCache skip doing it again.
func (c *SourceCache) hash(dir string) (*record, error) {
	root, modPath, err := findModule(dir)
	if err != nil {
		return nil, err
	}
	rec := &record{Version: sourceKeyVersion, Dir: dir, Root: root, Absent: goModsBetween(dir, root)}
	h := sha256.New()
	fmt.Fprint(h, "easel-gobuild-source-v1\x00")
	for _, f := range []string{"go.mod", "go.sum"} {
		path := filepath.Join(root, f)
		rec.Files = append(rec.Files, statFile(path)) // before hashing: see record
		if err := hashFile(h, root, path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if rec.Packages, err = localPackages(dir, root, modPath, c.packageImports); err != nil {
		return nil, err
	}
	for _, d := range rec.Packages {
		stamps, err := c.packageStamps(d)
		if err != nil {
			return nil, err
		}
		rec.Files = append(rec.Files, stamps...)
		content, err := c.packageContent(root, d)
		if err != nil {
			return nil, err
		}
		h.Write(content)
	}
	rec.Key = hex.EncodeToString(h.Sum(nil))
	return rec, nil
}

// SourceCache returns a new SourceCache that remembers keys in the
// builder's cache folder.
func (b *Builder) SourceCache() *SourceCache {
	return &SourceCache{Dir: b.CacheDir}
}

func (c *SourceCache) packageImports(d string) ([]string, error) {
	return memo(&c.mu, &c.imports, d, func() ([]string, error) { return packageImports(d) })
}

func (c *SourceCache) packageContent(root, d string) ([]byte, error) {
	return memo(&c.mu, &c.contents, d, func() ([]byte, error) {
		var buf bytes.Buffer
		err := hashPackage(&buf, root, d)
		return buf.Bytes(), err
	})
}

// memo returns (*m)[key], computing and storing it on the first call. Two
// callers may compute the same key at once; both get a correct value.
func memo[V any](mu *sync.Mutex, m *map[string]V, key string, compute func() (V, error)) (V, error) {
	mu.Lock()
	v, ok := (*m)[key]
	mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	mu.Lock()
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[key] = v
	mu.Unlock()
	return v, nil
}

// findModule walks up from dir to the go.mod that owns it.
func findModule(dir string) (root, modPath string, err error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
					return d, strings.Trim(f[1], `"`), nil
				}
			}
			return "", "", fmt.Errorf("%s/go.mod has no module line", d)
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("%s is not inside a Go module (no go.mod above it)", dir)
		}
	}
}

// localPackages returns dir and the folders of every package of the same
// module it imports transitively, sorted.
func localPackages(dir, root, modPath string, packageImports func(string) ([]string, error)) ([]string, error) {
	seen := map[string]bool{}
	var walk func(d string) error
	walk = func(d string) error {
		if seen[d] {
			return nil
		}
		seen[d] = true
		imports, err := packageImports(d)
		if err != nil {
			return err
		}
		for _, imp := range imports {
			if imp == modPath || strings.HasPrefix(imp, modPath+"/") {
				rel := strings.TrimPrefix(strings.TrimPrefix(imp, modPath), "/")
				if err := walk(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		return nil, err
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs, nil
}

// packageImports lists the imports of the non-test Go files in d.
func packageImports(d string) ([]string, error) {
	files, err := goFiles(d)
	if err != nil {
		return nil, err
	}
	var imports []string
	fset := token.NewFileSet()
	for _, f := range files {
		parsed, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		for _, imp := range parsed.Imports {
			imports = append(imports, strings.Trim(imp.Path.Value, `"`))
		}
	}
	return imports, nil
}

func goFiles(d string) ([]string, error) {
	entries, err := os.ReadDir(d)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			files = append(files, filepath.Join(d, name))
		}
	}
	return files, nil
}

// hashPackage adds the embeddable content of a package folder: its Go files
// and any other regular file beside them (go:embed may use those).
func hashPackage(h io.Writer, root, d string) error {
	entries, err := os.ReadDir(d)
	if err != nil {
		return err
	}
	for _, e := range entries { // ReadDir is sorted by name
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), "_test.go") {
			if err := hashFile(h, root, filepath.Join(d, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func hashFile(h io.Writer, root, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, path)
	fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(data))
	h.Write(data)
	return nil
}
