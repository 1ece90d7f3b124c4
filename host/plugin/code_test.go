package plugin

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// codeState reads what the code holder holds.
func codeState(p *Plugin) (loaded bool, drops int) {
	p.code.mu.Lock()
	defer p.code.mu.Unlock()
	return p.code.compiled != nil, p.code.drops
}

// A plugin whose instances have all closed drops its compiled module after
// the idle time, and the next call compiles it again from the caches.
// Without a module cache there is nothing to compile it again from, and
// the module stays.
func TestUnusedCodeIsDroppedAndCompiledAgain(t *testing.T) {
	f := newFixtureWith(t, RuntimeConfig{idleTimeout: 20 * time.Millisecond, codeIdle: 20 * time.Millisecond})
	p := f.load(t, Spec{})
	echo := func() {
		t.Helper()
		out, err := p.Call(context.Background(), json.RawMessage(`{"mode": "echo", "text": "again"}`), nil)
		if err != nil || !strings.Contains(string(out), "again") {
			t.Fatalf("echo = %s, %v", out, err)
		}
	}
	echo()
	codeKB := executableKB()
	deadline := time.Now().Add(10 * time.Second)
	for loaded, drops := codeState(p); loaded || drops == 0; loaded, drops = codeState(p) {
		if time.Now().After(deadline) {
			t.Fatal("the unused module was not dropped")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if live, _ := p.pool.stats(); live != 0 {
		t.Fatalf("%d instances alive after the idle time", live)
	}
	// The machine code is unmapped by a finalizer once nothing refers to
	// the module: not by a closed instance left in the pool's array, for
	// one (which kept 23 MB mapped here).
	if runtime.GOOS == "linux" {
		for after := executableKB(); after > codeKB/4; after = executableKB() {
			if time.Now().After(deadline) {
				t.Fatalf("executable mappings hold %d KB after the drop, %d KB before: the machine code is still referenced", after, codeKB)
			}
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
	}
	echo()
	if loaded, drops := codeState(p); !loaded || drops != 1 {
		t.Fatalf("after a call: loaded %v, drops %d; want loaded, 1 drop", loaded, drops)
	}
	if !strings.Contains(f.log.String(), "plugin compiled again after being unused") {
		t.Errorf("the recompilation was not logged:\n%s", f.log.String())
	}

	wasm, err := probeWasm()
	if err != nil {
		t.Fatal(err)
	}
	rt, err := NewRuntime(context.Background(), RuntimeConfig{idleTimeout: 10 * time.Millisecond, codeIdle: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	kept, err := rt.Load(context.Background(), Spec{Name: "probe", Wasm: wasm})
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close(context.Background())
	time.Sleep(200 * time.Millisecond)
	if loaded, drops := codeState(kept); !loaded || drops != 0 {
		t.Errorf("without a module cache: loaded %v, drops %d; want the module kept", loaded, drops)
	}
}

// executableKB is the resident size of this process's anonymous executable
// mappings, where wazero puts machine code (Linux; 0 elsewhere).
func executableKB() int {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0
	}
	kb, inCode := 0, false
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4 {
			inCode = f[1] == "r-xp" && len(f) == 5 // no file name: anonymous
			continue
		}
		if inCode && len(f) >= 2 && f[0] == "Rss:" {
			n, _ := strconv.Atoi(f[1])
			kb += n
		}
	}
	return kb
}
