package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/host/plugin"
)

var buildCommand = manPage{
	name:     "build",
	summary:  "compile plugins to .wasm and pin their SHA-256 in a lock file",
	synopsis: []string{"build [--config FILE] [-o DIR] [--lock FILE] [-v] [PATH...]"},
	description: `
Compiles Go plugin source to WebAssembly modules (GOOS=wasip1 GOARCH=wasm
-buildmode=c-shared -trimpath, the build 'easel serve' does itself), copies
each module to DIR as NAME.wasm (NAME is the plugin folder's name), and
records the SHA-256 digest of every module in a lock file.

Without PATH it builds every Go-source plugin that tools.yaml names, then
loads each one as 'easel serve' would (with the entry's name and config)
to check that it is a working easel plugin; plugins that tools.yaml names
as .wasm files are checked and pinned where they are. With PATH it builds
the plugin folders given; 'DIR/...' means every folder below DIR holding a
Go main package.

stdout gets one line per module in sha256sum(1) format ("DIGEST  FILE"),
so 'cd DIR && sha256sum -c' verifies them. The digest is what a tools.yaml
entry pins with 'sha256:'. On a terminal stderr shows each plugin as it
finishes; elsewhere only failures are printed, unless -v.

The lock file (default DIR/easel.lock) is JSON: the Go version and plugin
ABI of the build, and per module its source folder, digest and size. An
existing lock keeps the entries this run did not rebuild. Builds are
reproducible: the same source and Go version give the same digest.`,
	exitStatus: [3]string{
		"every plugin was built (and, from tools.yaml, loaded)",
		"a plugin failed to build or load; the others were still built and locked",
		"usage error, a PATH that holds no plugin, or an invalid tools.yaml",
	},
	examples: `
easel build                       # every Go plugin of ./tools.yaml into ./dist
easel build -o release plugins/...
easel build ./my_tool && cat dist/easel.lock
cd dist && sha256sum -c <(easel build -o . ../my_tool)`,
}

// lockFile is the JSON written by build.
type lockFile struct {
	// Version is the lock format's version.
	Version int `json:"version"`
	// Go is the toolchain that built the modules: a digest is reproducible
	// only with the same one.
	Go string `json:"go"`
	// ABI is the plugin ABI version of the host that built them.
	ABI int `json:"abi"`
	// Modules are keyed by file name relative to the lock file.
	Modules map[string]lockEntry `json:"modules"`
}

type lockEntry struct {
	Source string `json:"source"` // the plugin folder (or .wasm), relative to the lock file
	SHA256 string `json:"sha256"` // hex digest of the module's bytes, as tools.yaml pins it
	Bytes  int    `json:"bytes"`
}

// DefaultLock is the lock file's name inside the output folder.
const defaultLock = "easel.lock"

func runBuild(ctx context.Context, io stdio, args []string) int {
	fs := newFlags(buildCommand)
	configPath := configFlag(fs)
	outDir := fs.String("o", "dist", "write the modules to `DIR`")
	lockPath := fs.String("lock", "", "write the lock to `FILE` (default DIR/easel.lock)")
	verbose := fs.Bool("v", false, "report every plugin on stderr even when it is not a terminal")
	paths, code, ok := parse(buildCommand, fs, args, io)
	if !ok {
		return code
	}
	if *lockPath == "" {
		*lockPath = filepath.Join(*outDir, defaultLock)
	}
	var tools []config.Tool
	cacheDir := ""
	if len(paths) == 0 {
		cfg, ok := loadConfig(*configPath, io)
		if !ok {
			return exitUsage
		}
		tools, cacheDir = cfg.Tools, cfg.CacheDir
	} else {
		var err error
		if tools, err = pluginFolders(paths); err != nil {
			return usageError(buildCommand, io, err.Error())
		}
	}
	if cacheDir == "" {
		var err error
		if cacheDir, err = defaultCacheDir(); err != nil {
			fmt.Fprintln(io.err, "easel build:", err)
			return exitFailure
		}
	}
	b := &builder{io: io, outDir: *outDir, cacheDir: cacheDir, check: len(paths) == 0, progress: *verbose || isTerminal(io.err)}
	return b.run(ctx, tools, *lockPath)
}

// builder is one run of easel build.
type builder struct {
	io       stdio
	outDir   string
	cacheDir string
	check    bool // load every module as serve would (names and configs are known)
	progress bool
}

func (b *builder) run(ctx context.Context, tools []config.Tool, lockPath string) int {
	if err := os.MkdirAll(b.outDir, 0o755); err != nil {
		fmt.Fprintln(b.io.err, "easel build:", err)
		return exitFailure
	}
	lock := readLock(lockPath)
	lockDir := filepath.Dir(lockPath)
	l, err := newLoader(ctx, b.cacheDir, nil)
	if err != nil {
		fmt.Fprintln(b.io.err, "easel build:", err)
		return exitFailure
	}
	defer l.close()
	// Folders from the command line have no tools.yaml name or config to
	// load them with; configured tools are loaded as serve would.
	step := l.module
	if b.check {
		step = l.load
	}
	n := 0
	results := l.each(ctx, tools, step, func(r loaded) { n++; b.report(n, len(tools), r) })
	code := exitOK
	seen := map[string]bool{}
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintln(b.io.err, r.failure())
			code = exitFailure
			continue
		}
		file, err := b.place(r)
		if err != nil {
			fmt.Fprintf(b.io.err, "easel build: %s: %v\n", r.tool.Name, err)
			code = exitFailure
			continue
		}
		rel := relTo(lockDir, file)
		if !seen[rel] {
			seen[rel] = true
			source := r.tool.Plugin
			if r.tool.Kind != config.PluginBuiltin {
				source = relTo(lockDir, r.tool.Path)
			}
			lock.Modules[rel] = lockEntry{Source: source, SHA256: r.sha256, Bytes: len(r.wasm)}
			fmt.Fprintf(b.io.out, "%s  %s\n", r.sha256, relTo(b.outDir, file))
		}
	}
	if err := writeLock(lockPath, lock); err != nil {
		fmt.Fprintln(b.io.err, "easel build:", err)
		return exitFailure
	}
	if b.progress {
		fmt.Fprintf(b.io.err, "modules: %d in %s, digests in %s\n", len(seen), b.outDir, lockPath)
	}
	return code
}

func (b *builder) report(n, total int, r loaded) {
	if b.progress {
		progressLine(b.io.err, n, total, r)
	}
}

// place copies a built module into the output folder (a configured .wasm
// stays where it is) and returns its path.
func (b *builder) place(r loaded) (string, error) {
	if r.tool.Kind == config.PluginWasm {
		return r.tool.Path, nil
	}
	dst := filepath.Join(b.outDir, filepath.Base(r.tool.Path)+".wasm")
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, r.wasm, 0o644); err != nil {
		return "", err
	}
	return dst, os.Rename(tmp, dst)
}

// pluginFolders turns PATH operands into tools named after their folders.
func pluginFolders(paths []string) ([]config.Tool, error) {
	var tools []config.Tool
	for _, p := range paths {
		dirs := []string{p}
		if root, ok := strings.CutSuffix(p, "/..."); ok {
			var err error
			if dirs, err = mainPackagesBelow(root); err != nil {
				return nil, err
			}
			if len(dirs) == 0 {
				return nil, fmt.Errorf("%s: no Go main package below %s", p, root)
			}
		} else if !isMainPackage(p) {
			return nil, fmt.Errorf("%s is not a folder holding a Go main package (a plugin)", p)
		}
		for _, d := range dirs {
			abs, err := filepath.Abs(d)
			if err != nil {
				return nil, err
			}
			tools = append(tools, config.Tool{Name: filepath.Base(abs), Plugin: d, Path: abs, Kind: config.PluginGoSource,
				Pos: config.Pos{File: d}})
		}
	}
	return tools, nil
}

func mainPackagesBelow(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() && isMainPackage(path) {
			dirs = append(dirs, path)
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs, err
}

// isMainPackage reports whether dir holds a non-test Go file of package
// main.
func isMainPackage(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly)
		if err == nil && parsed.Name.Name == "main" {
			return true
		}
	}
	return false
}

// defaultCacheDir is the cache tools.yaml uses when it names none.
func defaultCacheDir() (string, error) {
	if dir := os.Getenv(config.EnvCacheDir); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder: %w (set %s)", err, config.EnvCacheDir)
	}
	return filepath.Join(dir, config.DefaultCacheSubdir), nil
}

// readLock reads an existing lock to update, or starts a new one. A lock
// from another Go version or ABI starts over: its digests would not be
// reproduced.
func readLock(path string) *lockFile {
	fresh := &lockFile{Version: 1, Go: runtime.Version(), ABI: plugin.ABIVersion, Modules: map[string]lockEntry{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return fresh
	}
	var old lockFile
	if json.Unmarshal(data, &old) != nil || old.Version != fresh.Version || old.Go != fresh.Go || old.ABI != fresh.ABI || old.Modules == nil {
		return fresh
	}
	return &old
}

func writeLock(path string, lock *lockFile) error {
	data, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	return os.Rename(tmp, path)
}

// relTo is path relative to base, with forward slashes, when that stays
// within base's parent; otherwise it is absolute, which reads better than
// a climb of ../../.. to the root.
func relTo(base, path string) string {
	absBase, err1 := filepath.Abs(base)
	absPath, err2 := filepath.Abs(path)
	rel, err3 := filepath.Rel(absBase, absPath)
	if err := errors.Join(err1, err2, err3); err != nil {
		return path
	}
	if rel = filepath.ToSlash(rel); strings.HasPrefix(rel, "../..") {
		return absPath
	}
	return rel
}
