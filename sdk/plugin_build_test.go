package sdk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// goCommand is the go command's path, or skips t: in -short runs, and
// where there is none.
func goCommand(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	return goTool
}

// TestPluginBuildsForWasm builds testdata/plugin the way plugins are built
// and checks the module's exports and imports against docs/abi.md. The
// compiler checks //go:wasmexport signatures only in such a build, and the
// host refuses a module whose exports have other types.
func TestPluginBuildsForWasm(t *testing.T) {
	goTool := goCommand(t)
	out := filepath.Join(t.TempDir(), "plugin.wasm")
	cmd := exec.Command(goTool, "build", "-buildmode=c-shared", "-o", out, "./testdata/plugin")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := parseWasm(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plugin.wasm: %d bytes", len(data))

	wantExports := map[string]string{
		"memory":         "memory",
		"_initialize":    "() -> ()",
		"easel_alloc":    "(i32) -> (i32)",
		"easel_free":     "(i32) -> ()",
		"easel_describe": "() -> (i64)",
		"easel_call":     "(i32 i32) -> (i64)",
	}
	for name, want := range wantExports {
		if got := mod.exports[name]; got != want {
			t.Errorf("export %s: %q, want %q", name, got, want)
		}
	}
	if _, ok := mod.exports["_start"]; ok {
		t.Error("the module exports _start: it is a command, not a reactor")
	}
	// The linker drops imports a plugin never calls; this one calls them
	// all.
	wantImports := map[string]string{
		"take":            "(i32 i32) -> (i32)",
		"config":          "(i32 i32) -> (i32)",
		"log":             "(i32 i32 i32) -> ()",
		"progress":        "(i32 i32) -> ()",
		"comfyui_request": "(i32 i32 i32 i32) -> (i32)",
	}
	if !reflect.DeepEqual(mod.imports["easel_v1"], wantImports) {
		t.Errorf("easel_v1 imports\n got: %v\nwant: %v", mod.imports["easel_v1"], wantImports)
	}
	for module := range mod.imports {
		if module != "easel_v1" && module != "wasi_snapshot_preview1" {
			t.Errorf("the module imports from %q", module)
		}
	}
}

// wasmModule is what TestPluginBuildsForWasm reads from a module: function
// signatures of exports and imports as "(i32 i32) -> (i64)".
type wasmModule struct {
	exports map[string]string            // name -> signature, or "memory"
	imports map[string]map[string]string // module -> name -> signature
}

// parseWasm reads the type, import, function and export sections of a
// WebAssembly binary.
func parseWasm(data []byte) (*wasmModule, error) {
	if len(data) < 8 || !bytes.Equal(data[:4], []byte("\x00asm")) {
		return nil, fmt.Errorf("not a WebAssembly module")
	}
	r := bytes.NewReader(data[8:])
	u32 := func(r *bytes.Reader) uint32 { v, _ := binary.ReadUvarint(r); return uint32(v) }
	name := func(r *bytes.Reader) string {
		b := make([]byte, u32(r))
		r.Read(b)
		return string(b)
	}
	valType := map[byte]string{0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64"}
	var types []string
	var funcTypes []uint32 // type index of every function, imports first
	m := &wasmModule{exports: map[string]string{}, imports: map[string]map[string]string{}}
	for r.Len() > 0 {
		id, _ := r.ReadByte()
		sec := make([]byte, u32(r))
		if _, err := r.Read(sec); err != nil {
			return nil, err
		}
		s := bytes.NewReader(sec)
		switch id {
		case 1: // types
			for range u32(s) {
				s.ReadByte() // 0x60
				var parts [2][]string
				for i := range parts {
					for range u32(s) {
						b, _ := s.ReadByte()
						parts[i] = append(parts[i], valType[b])
					}
				}
				types = append(types, "("+strings.Join(parts[0], " ")+") -> ("+strings.Join(parts[1], " ")+")")
			}
		case 2: // imports
			for range u32(s) {
				module, field := name(s), name(s)
				kind, _ := s.ReadByte()
				switch kind {
				case 0:
					ti := u32(s)
					funcTypes = append(funcTypes, ti)
					if m.imports[module] == nil {
						m.imports[module] = map[string]string{}
					}
					m.imports[module][field] = types[ti]
				case 1: // table
					s.ReadByte()
					if flags := u32(s); flags&1 != 0 {
						u32(s)
					}
					u32(s)
				case 2: // memory
					if flags := u32(s); flags&1 != 0 {
						u32(s)
					}
					u32(s)
				case 3: // global
					s.ReadByte()
					s.ReadByte()
				}
			}
		case 3: // functions
			for range u32(s) {
				funcTypes = append(funcTypes, u32(s))
			}
		case 7: // exports
			for range u32(s) {
				field := name(s)
				kind, _ := s.ReadByte()
				idx := u32(s)
				switch kind {
				case 0:
					m.exports[field] = types[funcTypes[idx]]
				case 2:
					m.exports[field] = "memory"
				}
			}
		}
	}
	return m, nil
}

// TestNoPatternLeavesRegexpOut: built with -tags easel_nopattern, as the
// bundled plugins are, the SDK does not depend on regexp, which is what
// the tag is for (pattern.go).
func TestNoPatternLeavesRegexpOut(t *testing.T) {
	goTool := goCommand(t)
	deps := func(tags string) []string {
		cmd := exec.Command(goTool, "list", "-deps", "-tags", tags, ".")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -tags %q: %v", tags, err)
		}
		return strings.Fields(string(out))
	}
	has := func(list []string, pkg string) bool { return slices.Contains(list, pkg) }
	if !has(deps(""), "regexp") {
		t.Fatal("the default build no longer depends on regexp: pattern tags would not work")
	}
	if list := deps("easel_nopattern"); has(list, "regexp") {
		t.Error("with -tags easel_nopattern the SDK still depends on regexp")
	}
}
