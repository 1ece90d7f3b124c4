//go:build unix

package app

import (
	"io"
	"os"
	"syscall"
)

// pollableStdin returns stdin read through the Go runtime's poller when
// it is a pipe or a socket, as it is under an MCP client.
//
// os.Stdin reads a blocking descriptor: every read that waits parks an
// operating-system thread in the read system call, and the runtime's
// monitor thread wakes every 20 µs to take its processor back. On a small
// machine that monitor and the thread switches were about a tenth of
// easel's CPU under load. In non-blocking mode the read waits in the
// poller like a network connection. Only the read end of the pipe is
// switched, which the client does not share; a terminal or a file is left
// as it is.
func pollableStdin() io.Reader {
	var st syscall.Stat_t
	if err := syscall.Fstat(0, &st); err != nil {
		return os.Stdin
	}
	if kind := st.Mode & syscall.S_IFMT; kind != syscall.S_IFIFO && kind != syscall.S_IFSOCK {
		return os.Stdin
	}
	if err := syscall.SetNonblock(0, true); err != nil {
		return os.Stdin
	}
	return os.NewFile(0, "/dev/stdin")
}
