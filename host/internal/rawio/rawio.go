package rawio

import (
	"errors"
	"net"
	"os"
	"syscall"
)

var errUnsupported = errors.New("rawio: not supported on this system")

// File is a pollable *os.File in non-blocking mode whose Read and Write
// use raw system calls. Other methods are the *os.File's.
type File struct {
	*os.File
	rc syscall.RawConn
}

// NewFile wraps f, which must be in non-blocking mode and known to the
// poller (os.NewFile of a descriptor set non-blocking, a pipe from os.Pipe).
func NewFile(f *os.File) (*File, error) {
	if !Supported {
		return nil, errUnsupported
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &File{File: f, rc: rc}, nil
}

// Read reads up to len(b) bytes, waiting in the poller until some arrive;
// at the end of input it returns io.EOF.
func (f *File) Read(b []byte) (int, error) { return read(f.rc, b) }

// Write writes all of b, waiting in the poller while the descriptor is full.
func (f *File) Write(b []byte) (int, error) { return write(f.rc, b) }

// Conn is a TCP connection whose Read and Write use raw system calls.
// Deadlines, Close and the rest are the *net.TCPConn's, and deadlines end
// a waiting Read or Write as they do there.
type Conn struct {
	*net.TCPConn
	rc syscall.RawConn
}

// NewConn wraps c.
func NewConn(c *net.TCPConn) (*Conn, error) {
	if !Supported {
		return nil, errUnsupported
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &Conn{TCPConn: c, rc: rc}, nil
}

// Read reads like net.Conn's Read.
func (c *Conn) Read(b []byte) (int, error) { return read(c.rc, b) }

// Write writes like net.Conn's Write.
func (c *Conn) Write(b []byte) (int, error) { return write(c.rc, b) }

// PeerClosed reports whether the peer has closed the connection or sent
// something unasked, without waiting: a kept-alive HTTP connection in
// either state must not carry another request.
func (c *Conn) PeerClosed() bool { return peerClosed(c.rc) }
