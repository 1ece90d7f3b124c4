package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// pipe returns both ends of a pipe, wrapped.
func pipe(t *testing.T) (*File, *File) {
	t.Helper()
	r, w, err := os.Pipe() // non-blocking and pollable
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	rf, err := NewFile(r)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := NewFile(w)
	if err != nil {
		t.Fatal(err)
	}
	return rf, wf
}

func TestFileRoundTrip(t *testing.T) {
	r, w := pipe(t)
	// More than a pipe holds (64 KiB on Linux): Write must wait for the
	// reader, in the poller, and deliver every byte in order.
	want := bytes.Repeat([]byte("0123456789abcdef"), 64<<10)
	go func() {
		if n, err := w.Write(want); n != len(want) || err != nil {
			t.Errorf("Write = %d, %v; want %d, nil", n, err, len(want))
		}
		w.Close()
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(want))
	}
	if n, err := r.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("Read after the end = %d, %v; want 0, EOF", n, err)
	}
}

func TestFileReadWaitsAndDeadline(t *testing.T) {
	r, w := pipe(t)
	go func() {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("late"))
	}()
	buf := make([]byte, 16)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("Read = %q, %v; want \"late\"", buf[:n], err)
	}
	r.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := r.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}

// tcpPair returns a wrapped client connection and the server's end.
func tcpPair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv := <-accepted
	rc, err := NewConn(c.(*net.TCPConn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); srv.Close() })
	return rc, srv
}

func TestConn(t *testing.T) {
	c, srv := tcpPair(t)
	if c.PeerClosed() {
		t.Fatal("PeerClosed on an open, quiet connection")
	}
	go srv.Write([]byte("hello"))
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	if _, err := c.Write([]byte("world")); err != nil {
		t.Fatal(err)
	}
	if n, err := io.ReadFull(srv, buf[:5]); err != nil || string(buf[:n]) != "world" {
		t.Fatalf("server read %q, %v", buf[:n], err)
	}

	c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	c.SetReadDeadline(time.Time{})

	srv.Write([]byte("x"))
	waitFor(t, c.PeerClosed, "PeerClosed with unread data")
}

func TestConnPeerClosed(t *testing.T) {
	c, srv := tcpPair(t)
	srv.Close()
	waitFor(t, c.PeerClosed, "PeerClosed after the peer closed")
	if _, err := c.Read(make([]byte, 4)); err != io.EOF {
		t.Errorf("Read after the peer closed: %v, want EOF", err)
	}
}

func TestConnCloseEndsRead(t *testing.T) {
	c, _ := tcpPair(t)
	go func() {
		time.Sleep(10 * time.Millisecond)
		c.Close()
	}()
	if _, err := c.Read(make([]byte, 4)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read on a connection closed meanwhile: %v, want net.ErrClosed", err)
	}
}

// waitFor polls cond for up to a second: what the peer did takes a moment
// to arrive.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Errorf("%s: still false after a second", what)
}
