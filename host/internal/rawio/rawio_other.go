//go:build !linux

package rawio

import "syscall"

// Only Linux is wrapped: elsewhere (macOS routes system calls through
// libc) NewFile and NewConn fail, and their callers keep the plain file or
// connection.
const supported = false

func read(syscall.RawConn, []byte) (int, error)  { return 0, errUnsupported }
func write(syscall.RawConn, []byte) (int, error) { return 0, errUnsupported }
func peerClosed(syscall.RawConn) bool            { return true }
