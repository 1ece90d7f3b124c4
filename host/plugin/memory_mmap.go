//go:build (linux || darwin) && (amd64 || arm64)

package plugin

import (
	"fmt"
	"syscall"
)

// pageSize is the unit in which memory is committed.
var pageSize = syscall.Getpagesize()

// reserve maps n bytes of address space without access: it costs no RAM
// and, being inaccessible, no commit charge either.
func reserve(n uint64) ([]byte, error) {
	if n == 0 || n > 1<<32 {
		return nil, fmt.Errorf("reserve %d bytes of linear memory: out of range", n)
	}
	return syscall.Mmap(-1, 0, int(n), syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
}

// commit makes reserved pages readable and writable; the OS backs them with
// zeroed RAM on first touch.
func commit(b []byte) error {
	return syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_WRITE)
}

func unmap(b []byte) { _ = syscall.Munmap(b) }
