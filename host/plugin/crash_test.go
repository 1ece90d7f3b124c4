package plugin

import (
	"strings"
	"testing"
)

// goPanic is what a Go plugin writes to stderr when a handler panics.
const goPanic = `panic: deliberate panic
second line of the message

goroutine 1 [running]:
main.handle(0x3400c0, {{0x30e330, 0x5}, {0x0, 0x0}, 0x0})
	example.com/p/main.go:43 +0xfd
github.com/easel-mcp/easel/sdk.Tool[...].compile.func2({0x2d4c0, 0x34ab70})
	github.com/easel-mcp/easel/sdk/tool.go:188 +0x2b

goroutine 2 [idle]:
other(...)
	x.go:1
`

// goOOM is the start of what the Go runtime writes when memory.grow fails.
const goOOM = `runtime: out of memory: cannot allocate 1048576-byte block (61702144 in use)
fatal error: out of memory

goroutine 1 gp=0x3021c0 m=0 mp=0x265c20 [running]:
runtime.throw({0x572eb, 0xd})
	runtime/panic.go:1229 +0x3 fp=0x377890 sp=0x377868 pc=0x15660003
runtime.makeslice(0x1fb00, 0x100000, 0x100000)
	runtime/slice.go:117 +0x12 fp=0x3779a8 sp=0x377980 pc=0x15870012
main.handle(0x3400c0, {{0x30e32c, 0x4}, {0x0, 0x0}, 0x0})
	example.com/p/main.go:89 +0x104 fp=0x377c30 sp=0x3779a8 pc=0x1c960104 … goroutine 6 [finalizer wait]:
`

func TestReadCrash(t *testing.T) {
	manyFrames := "panic: deep\n\ngoroutine 1 [running]:\n" + strings.Repeat("f()\n\tf.go:1\n", 20)
	tests := []struct {
		name   string
		stderr string
		ok     bool
		want   crash
	}{
		{"panic", goPanic, true, crash{message: "deliberate panic\nsecond line of the message",
			trace: "goroutine 1 [running]:\nmain.handle(0x3400c0, {{0x30e330, 0x5}, {0x0, 0x0}, 0x0})\n\texample.com/p/main.go:43 +0xfd\n" +
				"github.com/easel-mcp/easel/sdk.Tool[...].compile.func2({0x2d4c0, 0x34ab70})\n\tgithub.com/easel-mcp/easel/sdk/tool.go:188 +0x2b"}},
		{"panic after the plugin's own output", "a log line\n" + goPanic, true, crash{message: "deliberate panic\nsecond line of the message",
			trace: "goroutine 1 [running]:\nmain.handle(0x3400c0, {{0x30e330, 0x5}, {0x0, 0x0}, 0x0})\n\texample.com/p/main.go:43 +0xfd\n" +
				"github.com/easel-mcp/easel/sdk.Tool[...].compile.func2({0x2d4c0, 0x34ab70})\n\tgithub.com/easel-mcp/easel/sdk/tool.go:188 +0x2b"}},
		{"out of memory: runtime frames and frame pointers left out", goOOM, true, crash{oom: true,
			message: "cannot allocate 1048576-byte block (61702144 in use)",
			trace:   "goroutine 1 [running]:\nmain.handle(0x3400c0, {{0x30e32c, 0x4}, {0x0, 0x0}, 0x0})\n\texample.com/p/main.go:89 +0x104\n…"}},
		{"other fatal error", "fatal error: all goroutines are asleep - deadlock!\n", true, crash{fatal: true, message: "all goroutines are asleep - deadlock!"}},
		{"trace capped", manyFrames, true, crash{message: "deep",
			trace: "goroutine 1 [running]:\n" + strings.Repeat("f()\n\tf.go:1\n", maxTraceFrames) + "…"}},
		{"not a crash", "some log output\n", false, crash{}},
		{"panic: mid-line is not a panic", "said panic: no\n", false, crash{}},
		{"nothing", "", false, crash{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := readCrash(tt.stderr)
			if ok != tt.ok || got != tt.want {
				t.Errorf("readCrash = %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCrashMessage(t *testing.T) {
	p := &Plugin{name: "x", maxMemory: 64 << 20}
	tests := []struct {
		stderr string
		want   string
	}{
		{goPanic, "plugin x panicked: deliberate panic\nsecond line of the message\ngoroutine 1 [running]:\nmain.handle("},
		{goOOM, "plugin x ran out of memory: an instance may use 64MiB (tools.yaml limits.memory); the Go runtime said: cannot allocate 1048576-byte block (61702144 in use)\ngoroutine 1 [running]:\nmain.handle("},
		{"fatal error: out of memory\n", "plugin x ran out of memory: an instance may use 64MiB (tools.yaml limits.memory)"},
		{"fatal error: deadlock\n", "plugin x crashed: fatal error: deadlock"},
	}
	for _, tt := range tests {
		c, ok := readCrash(tt.stderr)
		if !ok {
			t.Fatalf("readCrash(%.30q) found no crash", tt.stderr)
		}
		err := &CallError{Tool: p.name, Reason: p.crashReason(c), Stderr: c.trace, crashed: true}
		if got := err.Error(); !strings.HasPrefix(got, tt.want) || len(got) > 1200 {
			t.Errorf("message\n got: %s\nwant prefix: %s", got, tt.want)
		}
	}
}

func TestShortWasmTrace(t *testing.T) {
	long := "wasm error: unreachable\nwasm stack trace:\n" + strings.Repeat("\t."+strings.Repeat("mangled_", 40)+"(i32) i32\n", 30)
	got := shortWasmTrace(long)
	lines := strings.Split(got, "\n")
	if lines[0] != "wasm error: unreachable" || len(lines) != maxWasmFrames+3 || lines[len(lines)-1] != "\t…" {
		t.Errorf("shortWasmTrace kept %d lines:\n%s", len(lines), got)
	}
	for _, l := range lines {
		if len(l) > maxTraceLine+len("…") {
			t.Errorf("line of %d bytes kept: %.40s…", len(l), l)
		}
	}
	if short := "wasm error: unreachable\nwasm stack trace:\n\t.f()"; shortWasmTrace(short) != short {
		t.Errorf("a short trace was changed: %q", shortWasmTrace(short))
	}
}

func TestSizeText(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{256 << 20, "256MiB"},
		{4 << 30, "4GiB"},
		{64 << 10, "64KiB"},
		{1536 << 10, "1536KiB"},
		{1000, "1000 bytes"},
	}
	for _, tt := range tests {
		if got := sizeText(tt.n); got != tt.want {
			t.Errorf("sizeText(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
