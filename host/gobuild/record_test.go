package gobuild

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// writeModule lays out a module with a plugin importing one local package:
// root/go.mod, root/plugin/main.go, root/lib/lib.go.
func writeModule(t *testing.T) (root, plugin string) {
	t.Helper()
	root = t.TempDir()
	files := map[string]string{
		"go.mod":           "module example.com/m\n\ngo 1.24\n",
		"plugin/main.go":   "package main\n\nimport _ \"example.com/m/lib\"\n\nfunc main() {}\n",
		"plugin/tool.json": `{"name": "x"}`,
		"lib/lib.go":       "package lib\n",
		"lib/lib_test.go":  "package lib\n",
		"unused/unused.go": "package unused\n",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(root, name), content)
	}
	return root, filepath.Join(root, "plugin")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// later is a SourceCache whose hashing happens well after the files were
// written, so that it records its keys.
func later(dir string) *SourceCache {
	return &SourceCache{Dir: dir, now: func() time.Time { return time.Now().Add(time.Minute) }}
}

// forge replaces the key of every record in cache with want, so that a
// test can tell a key taken from a record from a computed one.
func forge(t *testing.T, cache, want string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(cache, "sources", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no record was written")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var rec record
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		rec.Key = want
		data, _ = json.Marshal(rec)
		writeFile(t, p, string(data))
	}
}

const forged = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"

func TestSourceCacheRecordsKeys(t *testing.T) {
	root, plugin := writeModule(t)
	want, err := SourceKey(plugin)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	c := later(cache)
	got, err := c.Key(plugin)
	if err != nil || got != want {
		t.Fatalf("Key with a record folder = %q, %v; want SourceKey's %q", got, err, want)
	}
	gotRoot, pkgs, err := c.Sources(plugin)
	if err != nil || gotRoot != root || strings.Join(pkgs, ",") != filepath.Join(root, "lib")+","+plugin {
		t.Fatalf("Sources = %q, %q, %v; want the root, lib and plugin", gotRoot, pkgs, err)
	}

	// A record whose files are unchanged is believed: its key comes back
	// without the source being hashed.
	forge(t, cache, forged)
	if got, err := later(cache).Key(plugin); err != nil || got != forged {
		t.Fatalf("Key with unchanged files = %q, %v; want the recorded key", got, err)
	}
}

func TestSourceCacheNoticesChanges(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(t *testing.T, root string)
		linuxOnly bool // needs the inode and change time
	}{
		{"file grows", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "lib", "lib.go"), "package lib\n\nconst X = 1\n")
		}, false},
		{"same size, new time", func(t *testing.T, root string) {
			path := filepath.Join(root, "lib", "lib.go")
			writeFile(t, path, "package bil\n")
			future := time.Now().Add(time.Hour)
			os.Chtimes(path, future, future)
		}, false},
		{"file replaced by rename, old time kept", func(t *testing.T, root string) {
			path := filepath.Join(root, "lib", "lib.go")
			fi, _ := os.Stat(path)
			writeFile(t, path+".new", "package bil\n")
			os.Chtimes(path+".new", fi.ModTime(), fi.ModTime())
			if err := os.Rename(path+".new", path); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"file added", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "plugin", "more.go"), "package main\n")
		}, false},
		{"file removed", func(t *testing.T, root string) {
			os.Remove(filepath.Join(root, "plugin", "tool.json"))
		}, false},
		{"go.sum appears", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "go.sum"), "")
		}, false},
		{"nearer go.mod appears", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "plugin", "go.mod"), "module example.com/p\n")
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.linuxOnly && runtime.GOOS != "linux" {
				t.Skip("stamps have no inode or change time on", runtime.GOOS)
			}
			root, plugin := writeModule(t)
			cache := t.TempDir()
			if _, err := later(cache).Key(plugin); err != nil {
				t.Fatal(err)
			}
			forge(t, cache, forged)
			tt.edit(t, root)
			want, err := SourceKey(plugin)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := later(cache).Key(plugin); err != nil || got != want {
				t.Fatalf("Key after the edit = %q, %v; want the recomputed %q", got, err, want)
			}
		})
	}
}

func TestSourceCacheIgnoresUnrelatedChanges(t *testing.T) {
	root, plugin := writeModule(t)
	cache := t.TempDir()
	if _, err := later(cache).Key(plugin); err != nil {
		t.Fatal(err)
	}
	forge(t, cache, forged)
	writeFile(t, filepath.Join(root, "unused", "unused.go"), "package unused\n\nconst Y = 2\n")
	writeFile(t, filepath.Join(root, "lib", "lib_test.go"), "package lib\n\nconst Z = 3\n")
	if got, err := later(cache).Key(plugin); err != nil || got != forged {
		t.Fatalf("Key after editing files it does not hash = %q, %v; want the recorded key", got, err)
	}
}

func TestSourceCacheDistrustsBadRecords(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(data []byte) []byte
	}{
		{"truncated", func(data []byte) []byte { return data[:len(data)/2] }},
		{"empty", func([]byte) []byte { return nil }},
		{"other version", func(data []byte) []byte {
			return []byte(strings.Replace(string(data), `"v":1`, `"v":999`, 1))
		}},
		{"short key", func(data []byte) []byte {
			return []byte(strings.Replace(string(data), forged, "f0f0", 1))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, plugin := writeModule(t)
			want, err := SourceKey(plugin)
			if err != nil {
				t.Fatal(err)
			}
			cache := t.TempDir()
			if _, err := later(cache).Key(plugin); err != nil {
				t.Fatal(err)
			}
			forge(t, cache, forged)
			paths, _ := filepath.Glob(filepath.Join(cache, "sources", "*.json"))
			for _, p := range paths {
				data, _ := os.ReadFile(p)
				writeFile(t, p, string(tt.corrupt(data)))
			}
			if got, err := later(cache).Key(plugin); err != nil || got != want {
				t.Fatalf("Key with a %s record = %q, %v; want the recomputed %q", tt.name, got, err, want)
			}
		})
	}
}

func TestSourceCacheDoesNotRecordRecentFiles(t *testing.T) {
	_, plugin := writeModule(t)
	cache := t.TempDir()
	// The files were written just now: within one timestamp tick of a
	// further edit, so their stamps prove nothing yet.
	if _, err := (&SourceCache{Dir: cache}).Key(plugin); err != nil {
		t.Fatal(err)
	}
	if paths, _ := filepath.Glob(filepath.Join(cache, "sources", "*")); len(paths) != 0 {
		t.Fatalf("records written for files changed within %s: %q", racyWindow, paths)
	}
}
