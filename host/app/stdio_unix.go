//go:build unix

package app

import (
	"io"
	"os"
	"syscall"

	"github.com/easel-mcp/easel/host/internal/rawio"
)

// pollableStdio returns stdin and stdout read and written through the Go
// runtime's poller when they are pipes or sockets, as they are under an
// MCP client.
//
// os.Stdin and os.Stdout use blocking descriptors: every read that waits
// for the next request parks an operating-system thread in read(2), every
// write of an answer is a system call the runtime must watch, and its
// monitor thread then wakes every 20 µs to take processors back from
// threads in system calls. On the 2-core machine that monitor and the
// thread switches were about a tenth of easel's CPU under load (perf). In
// non-blocking mode both wait in the poller, like a network connection,
// and are read and written with raw system calls (package rawio), which do
// not wake the monitor either. Only easel's ends of the pipes are
// switched, which the client does not share; a terminal or a file is left
// as it is. Nothing else in easel writes to stdout (it carries only MCP
// frames).
func pollableStdio() (io.Reader, io.Writer) {
	return pollable(0, os.Stdin), pollable(1, os.Stdout)
}

// pollable returns a pollable file for descriptor fd, or f, the *os.File
// that has it. (f.Fd() would switch fd back to blocking mode.)
func pollable(fd int, f *os.File) io.ReadWriter {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return f
	}
	if kind := st.Mode & syscall.S_IFMT; kind != syscall.S_IFIFO && kind != syscall.S_IFSOCK {
		return f
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		return f
	}
	nf := os.NewFile(uintptr(fd), f.Name())
	if rf, err := rawio.NewFile(nf); err == nil {
		return rf
	}
	return nf
}
