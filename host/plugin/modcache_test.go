package plugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/internal/benchtest"
)

func TestModuleCacheRejectsDamagedEntries(t *testing.T) {
	module := []byte("\x00asm\x01\x00\x00\x00 a module of sorts")
	tests := []struct {
		name   string
		damage func(entry []byte) []byte
	}{
		{"truncated", func(e []byte) []byte { return e[:len(e)-3] }},
		{"header only", func(e []byte) []byte { return e[:moduleHeader] }},
		{"empty", func([]byte) []byte { return nil }},
		{"byte flipped", func(e []byte) []byte { e[len(e)-5] ^= 1; return e }},
		{"longer", func(e []byte) []byte { return append(e, 0) }},
		{"other format", func(e []byte) []byte { e[len(moduleMagic)-1] = '0'; return e }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := moduleCache{dir: t.TempDir()}
			if err := c.put("k", module); err != nil {
				t.Fatal(err)
			}
			if got, ok := c.get("k"); !ok || string(got) != string(module) {
				t.Fatalf("get after put = %q, %v; want the module", got, ok)
			}
			entry, _ := os.ReadFile(c.path("k"))
			os.WriteFile(c.path("k"), tt.damage(entry), 0o600)
			if got, ok := c.get("k"); ok {
				t.Fatalf("get of a %s entry = %q, want a miss", tt.name, got)
			}
		})
	}
}

// spec is a load of the probe through Module and Digest, as the host loads
// a bundled plugin, counting how often the module is opened.
func probeSpec(t testing.TB, opened *int) Spec {
	t.Helper()
	wasm, err := probeWasm()
	if err != nil {
		t.Fatalf("build probe plugin: %v", err)
	}
	return Spec{Name: "probe", Digest: digestOf(wasm), Module: func() ([]byte, error) {
		*opened++
		return wasm, nil
	}}
}

func TestLoadCachesTheInstrumentedModule(t *testing.T) {
	ctx := context.Background()
	rt := newFixture(t).rt // compiled code shared with the other tests
	rt.modules.dir = t.TempDir()
	opened := 0
	spec := probeSpec(t, &opened)
	load := func() {
		t.Helper()
		p, err := rt.Load(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(ctx)
		if r, err := call(t, p, `{"mode": "echo", "text": "hi"}`); err != nil || r.StructuredContent.Text != "hi" {
			t.Fatalf("call = %+v, %v", r, err)
		}
	}

	load()
	if opened != 1 {
		t.Fatalf("first load opened the module %d times, want 1", opened)
	}
	entries, _ := filepath.Glob(filepath.Join(rt.modules.dir, "*.wasm"))
	if len(entries) != 1 {
		t.Fatalf("cache holds %q after the first load, want one entry", entries)
	}

	load()
	if opened != 1 {
		t.Fatalf("second load opened the module again (%d opens): the instrumented module was not taken from the cache", opened)
	}

	// A damaged entry is made again, and the plugin still works.
	os.Truncate(entries[0], 1000)
	load()
	if opened != 2 {
		t.Fatalf("load with a truncated entry opened the module %d times in all, want 2", opened)
	}
	if _, ok := rt.modules.get(strings.TrimSuffix(filepath.Base(entries[0]), ".wasm")); !ok {
		t.Fatal("the truncated entry was not rewritten")
	}

	// Another memory cap is another rewrite, so another entry.
	opts := instrumentOptions(DefaultMaxMemoryBytes)
	if capped := instrumentOptions(64 << 20); moduleKey(spec.Digest, opts) == moduleKey(spec.Digest, capped) {
		t.Fatal("modules instrumented with different memory caps share a cache key")
	}
}

func TestLoadChecksTheGivenDigest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	opened := 0
	spec := probeSpec(t, &opened)

	pinned := spec
	pinned.SHA256 = strings.Repeat("0", 64)
	if _, err := f.rt.Load(ctx, pinned); err == nil || !strings.Contains(err.Error(), "pinned to") {
		t.Fatalf("load of a module pinned to another digest: %v, want it refused", err)
	}
	if opened != 0 {
		t.Fatal("the pin was checked after opening the module, want before")
	}

	wrong := spec
	wrong.Digest = strings.Repeat("1", 64)
	if _, err := f.rt.Load(ctx, wrong); err == nil || !strings.Contains(err.Error(), "not the "+wrong.Digest) {
		t.Fatalf("load of a module that does not match its digest: %v, want it refused", err)
	}

	failing := spec
	failing.Digest = strings.Repeat("2", 64)
	failing.Module = func() ([]byte, error) { return nil, errors.New("decompression failed") }
	if _, err := f.rt.Load(ctx, failing); err == nil || !strings.Contains(err.Error(), "decompression failed") {
		t.Fatalf("load of a module that cannot be opened: %v, want its error", err)
	}
}

// BenchmarkLoad is a load of the probe plugin on warm caches (compiled code
// and instrumented module cached) against the same load with only wazero's
// compilation cache (the baseline: the module rewritten on every load, as
// before the instrumented modules were cached).
//
//	go test ./host/plugin -run xxx -bench Load -benchmem
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	rt, err := NewRuntime(ctx, RuntimeConfig{CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	opened := 0
	spec := probeSpec(b, &opened)
	load := func() {
		p, err := rt.Load(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}
		p.Close(ctx)
	}
	cached := rt.modules
	rt.modules = moduleCache{}
	base := benchtest.Measure(2*time.Second, load)
	rt.modules = cached
	load() // fills the cache
	b.ReportAllocs()
	for b.Loop() {
		load()
	}
	benchtest.Report(b, base, "uncached")
}
