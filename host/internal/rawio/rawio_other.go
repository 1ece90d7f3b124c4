//go:build !linux

package rawio

import "syscall"

// Supported says whether NewFile and NewConn work on this system. Only
// Linux is wrapped: elsewhere (macOS routes system calls through libc)
// they fail, and their callers keep the plain file or connection.
const Supported = false

func read(syscall.RawConn, []byte) (int, error)  { return 0, errUnsupported }
func write(syscall.RawConn, []byte) (int, error) { return 0, errUnsupported }
func peerClosed(syscall.RawConn) bool            { return true }
