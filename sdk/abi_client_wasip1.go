//go:build wasip1

package sdk

import (
	"runtime"
	"unsafe"
)

// The easel_v1 imports that reach the MCP client (docs/abi.md, "The MCP
// client"): client_log, client_sample and client_elicit.

//go:wasmimport easel_v1 client_log
func hostClientLog(msg unsafe.Pointer, msgLen uint32) int32

//go:wasmimport easel_v1 client_sample
func hostClientSample(req unsafe.Pointer, reqLen uint32, buf unsafe.Pointer, bufCap uint32) int32

//go:wasmimport easel_v1 client_elicit
func hostClientElicit(req unsafe.Pointer, reqLen uint32, buf unsafe.Pointer, bufCap uint32) int32

func (h *wasmHost) clientLog(msg []byte) bool {
	sent := hostClientLog(unsafe.Pointer(unsafe.SliceData(msg)), uint32(len(msg)))
	runtime.KeepAlive(msg)
	return sent == 1
}

// clientSample and clientElicit hold the host mutex while the client
// answers, which can take as long as a person takes to reply: other
// goroutines of the handler wait for the host meanwhile.
func (h *wasmHost) clientSample(req []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := hostClientSample(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)),
		unsafe.Pointer(&scratch[0]), uint32(len(scratch)))
	runtime.KeepAlive(req)
	return h.answer(n, "client_sample")
}

func (h *wasmHost) clientElicit(req []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := hostClientElicit(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)),
		unsafe.Pointer(&scratch[0]), uint32(len(scratch)))
	runtime.KeepAlive(req)
	return h.answer(n, "client_elicit")
}
