//go:build wasip1

package sdk

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"unsafe"
)

// The guest's collector runs at GOGC=25: an instance's linear memory
// never shrinks, so the heap's high-water mark is what the instance costs
// for as long as it lives, and a plugin's live heap is small. A plugin
// that prefers another pace sets it in an init function of its own, which
// runs after this one.
func init() { debug.SetGCPercent(25) }

// This file is the ABI glue: the easel_v1 imports and the easel_* exports
// of docs/abi.md, and nothing else. Everything it calls is plain Go that
// the tests exercise natively through a fake host.

// guest is the module state the ABI forces on a plugin: the exports are
// plain functions, so what must outlive one export call lives here.
var guest struct {
	// inst serves the registered tool; made on the first describe or call,
	// after every init function (and so Register) has run.
	inst *instance
	// live pins the buffers easel_alloc handed to the host until the host
	// passes them to easel_call or easel_free: an address held by the host
	// is not a reference the garbage collector sees.
	live map[uint32][]byte
	// out pins the last output of easel_describe or easel_call until the
	// next export call, as the ABI promises the host.
	out []byte
}

// scratch receives host answers that fit (the common case: one host call,
// no allocation). A package-level array never moves and is never freed.
var scratch [16 << 10]byte

// maxAlloc bounds easel_alloc: larger requests answer 0 rather than
// failing inside the Go runtime, which cannot recover from running out of
// memory.
const maxAlloc = 1 << 30

//go:wasmimport easel_v1 take
func hostTake(buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport easel_v1 config
func hostConfig(buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport easel_v1 log
func hostLog(level int32, msg unsafe.Pointer, msgLen uint32)

//go:wasmimport easel_v1 progress
func hostProgress(msg unsafe.Pointer, msgLen uint32)

//go:wasmimport easel_v1 file
func hostFile(name unsafe.Pointer, nameLen uint32, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport easel_v1 image_thumbnail
func hostImageThumbnail(req unsafe.Pointer, reqLen uint32, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport easel_v1 comfyui_request
func hostComfyUIRequest(req unsafe.Pointer, reqLen uint32, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport easel_v1 http_request
func hostHTTPRequest(req unsafe.Pointer, reqLen uint32, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmexport easel_alloc
func easelAlloc(size uint32) uint32 {
	guest.out = nil
	if size > maxAlloc {
		return 0
	}
	buf := make([]byte, max(size, 1))
	ptr := uint32(uintptr(unsafe.Pointer(&buf[0])))
	if guest.live == nil {
		guest.live = map[uint32][]byte{}
	}
	guest.live[ptr] = buf
	return ptr
}

//go:wasmexport easel_free
func easelFree(ptr uint32) {
	guest.out = nil
	delete(guest.live, ptr)
}

//go:wasmexport easel_describe
func easelDescribe() uint64 {
	guest.out = nil
	return pin(theInstance().describe())
}

//go:wasmexport easel_call
func easelCall(ptr, n uint32) uint64 {
	guest.out = nil
	buf, ok := guest.live[ptr]
	if !ok {
		panic(fmt.Sprintf("sdk: easel_call got buffer %#x, which easel_alloc did not hand out or which was already used", ptr))
	}
	delete(guest.live, ptr)
	if int(n) > len(buf) {
		panic(fmt.Sprintf("sdk: easel_call got length %d for a buffer of %d bytes", n, len(buf)))
	}
	return pin(theInstance().call(buf[:n]))
}

func theInstance() *instance {
	if guest.inst == nil {
		guest.inst = newInstanceWith(&wasmHost{}, registered, &features)
	}
	return guest.inst
}

// pin keeps out alive until the next export call and packs its location as
// (ptr << 32) | len.
func pin(out []byte) uint64 {
	guest.out = out
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(out))))<<32 | uint64(len(out))
}

// wasmHost is the host interface over the easel_v1 imports.
//
// The mutex matters only when a handler's goroutines use the host at the
// same time: the scratch buffer and the host's stash are shared, and a
// goroutine switch between a host call and its take must not let another
// request overwrite either.
type wasmHost struct {
	mu sync.Mutex
}

// answer collects the answer of a write-or-stash host function that
// returned n: from scratch when it fit, otherwise by take into a buffer of
// the right size. The result never aliases scratch.
func (h *wasmHost) answer(n int32, fn string) []byte {
	if n < 0 {
		panic(fmt.Sprintf("sdk: host function %s returned %d", fn, n))
	}
	if int(n) <= len(scratch) {
		return append([]byte(nil), scratch[:n]...)
	}
	buf := make([]byte, n)
	if got := hostTake(unsafe.Pointer(&buf[0]), uint32(n)); got != n {
		panic(fmt.Sprintf("sdk: take after %s returned %d for a %d-byte answer", fn, got, n))
	}
	return buf
}

func (h *wasmHost) config() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.answer(hostConfig(unsafe.Pointer(&scratch[0]), uint32(len(scratch))), "config")
}

func (h *wasmHost) log(level int32, msg string) {
	hostLog(level, unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
	runtime.KeepAlive(msg)
}

func (h *wasmHost) progress(msg []byte) {
	hostProgress(unsafe.Pointer(unsafe.SliceData(msg)), uint32(len(msg)))
	runtime.KeepAlive(msg)
}

func (h *wasmHost) comfyuiRequest(req []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := hostComfyUIRequest(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)),
		unsafe.Pointer(&scratch[0]), uint32(len(scratch)))
	runtime.KeepAlive(req)
	return h.answer(n, "comfyui_request")
}

func (h *wasmHost) file(name string) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := hostFile(unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)),
		unsafe.Pointer(&scratch[0]), uint32(len(scratch)))
	runtime.KeepAlive(name)
	return h.answer(n, "file")
}

func (h *wasmHost) imageThumbnail(req []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := hostImageThumbnail(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)),
		unsafe.Pointer(&scratch[0]), uint32(len(scratch)))
	runtime.KeepAlive(req)
	return h.answer(n, "image_thumbnail")
}

func (h *wasmHost) httpRequest(req []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := hostHTTPRequest(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)),
		unsafe.Pointer(&scratch[0]), uint32(len(scratch)))
	runtime.KeepAlive(req)
	return h.answer(n, "http_request")
}
