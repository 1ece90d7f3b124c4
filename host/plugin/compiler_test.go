package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// compileChildEnv makes the test binary a Compiler's process: it compiles
// the module on stdin into the cache folder the variable names.
const compileChildEnv = "EASEL_PLUGIN_TEST_COMPILE_TO"

func compileChild(dir string) int {
	wasm, err := io.ReadAll(os.Stdin)
	if err == nil {
		err = CompileToCache(context.Background(), dir, wasm)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// loadAllocs loads the probe plugin on a fresh runtime with cfg and
// returns the bytes this process allocated meanwhile.
func loadAllocs(t *testing.T, cfg RuntimeConfig) (*Plugin, uint64) {
	t.Helper()
	wasm, err := probeWasm()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt, err := NewRuntime(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := rt.Load(ctx, Spec{Name: "probe", Wasm: wasm, Permissions: nil})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	return p, after.TotalAlloc - before.TotalAlloc
}

// With a Compiler, a module the cache does not hold is compiled by another
// process: this one only loads the result, allocating a fraction of what
// compiling costs, and a later start does not run the Compiler again. A
// Compiler that fails costs nothing but the time: the Runtime compiles.
func TestCompileInAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(compileChildEnv, dir)
	runs := 0
	child := CompileCommand(os.Args[0], "-test.run=^$")
	counting := func(ctx context.Context, wasm []byte) error {
		runs++
		return child(ctx, wasm)
	}
	p, withChild := loadAllocs(t, RuntimeConfig{CacheDir: dir, Compiler: counting})
	if runs != 1 {
		t.Fatalf("the Compiler ran %d times, want once", runs)
	}
	out, err := p.Call(context.Background(), json.RawMessage(`{"mode": "echo", "text": "hi"}`), nil)
	if err != nil || !strings.Contains(string(out), "hi") {
		t.Fatalf("echo after loading from the child's compilation = %s, %v", out, err)
	}
	_, here := loadAllocs(t, RuntimeConfig{CacheDir: t.TempDir()})
	t.Logf("allocated by the load: %d MB compiling here, %d MB with the Compiler", here>>20, withChild>>20)
	if withChild > here/2 { // measured: 50 MB against 159 MB
		t.Errorf("the load allocated %d MB with the Compiler and %d MB compiling here: the child's compilation was not used", withChild>>20, here>>20)
	}

	loadAllocs(t, RuntimeConfig{CacheDir: dir, Compiler: counting})
	if runs != 1 {
		t.Errorf("the Compiler ran again for a module the cache holds (%d runs)", runs)
	}

	f := newFixtureWith(t, RuntimeConfig{Compiler: CompileCommand(os.Args[0] + "-missing")})
	f.rt.marks.dir = t.TempDir() // nothing marked: the Compiler is asked
	f.load(t, Spec{})
	if !strings.Contains(f.log.String(), "compiling the plugin in a separate process failed") {
		t.Errorf("a failing Compiler was not logged:\n%s", f.log.String())
	}
}
