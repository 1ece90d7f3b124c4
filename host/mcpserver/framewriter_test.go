package mcpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// gatedWriter records each Write; the first one waits for release, as a
// pipe that is full until the client reads.
type gatedWriter struct {
	entered chan struct{} // closed when the first Write has started
	release chan struct{}
	err     error // returned by every Write

	mu     sync.Mutex
	writes [][]byte
}

func newGatedWriter() *gatedWriter {
	return &gatedWriter{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	g.writes = append(g.writes, bytes.Clone(p))
	first := len(g.writes) == 1
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.release
	}
	if g.err != nil {
		return 0, g.err
	}
	return len(p), nil
}

func (g *gatedWriter) snapshot() [][]byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([][]byte(nil), g.writes...)
}

func newTestFrameWriter(w io.Writer) *frameWriter {
	return newFrameWriter(w, slog.New(slog.DiscardHandler))
}

// Messages sent while a write is under way leave together in the next
// write, whole, one per line, each sender's in its order.
func TestFrameWriterCoalesces(t *testing.T) {
	g := newGatedWriter()
	f := newTestFrameWriter(g)
	first := make(chan bool)
	go func() { first <- f.send([]byte(`{"first":true}`)) }()
	<-g.entered

	const senders, each = 8, 5
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				if !f.send(fmt.Appendf(nil, `{"s":%d,"i":%d}`, s, i)) {
					t.Errorf("send %d/%d reported failure", s, i)
				}
			}
		})
	}
	wg.Wait() // they only appended: the first write still holds the pipe
	close(g.release)
	if !<-first {
		t.Fatal("the first send reported failure")
	}

	writes := g.snapshot()
	if len(writes) != 2 {
		t.Fatalf("%d writes, want 2: the first message, then the %d sent meanwhile together", len(writes), senders*each)
	}
	if got := string(writes[0]); got != "{\"first\":true}\n" {
		t.Fatalf("first write %q", got)
	}
	lines := strings.Split(strings.TrimSuffix(string(writes[1]), "\n"), "\n")
	if len(lines) != senders*each {
		t.Fatalf("second write has %d lines, want %d: %q", len(lines), senders*each, writes[1])
	}
	next := make([]int, senders)
	for _, line := range lines {
		var s, i int
		if _, err := fmt.Sscanf(line, `{"s":%d,"i":%d}`, &s, &i); err != nil {
			t.Fatalf("line %q is not one whole message: %v", line, err)
		}
		if i != next[s] {
			t.Fatalf("sender %d: message %d before %d", s, i, next[s])
		}
		next[s]++
	}
}

// A sender that finds a full backlog behind a stuck write waits for it, as
// a writer to a full pipe would, instead of buffering without end.
func TestFrameWriterHoldsSendersBack(t *testing.T) {
	g := newGatedWriter()
	f := newTestFrameWriter(g)
	first := make(chan bool)
	go func() { first <- f.send([]byte(`{}`)) }()
	<-g.entered
	big := bytes.Repeat([]byte("x"), maxPending)
	if !f.send(big) { // appended: the backlog was empty
		t.Fatal("send reported failure")
	}
	held := make(chan bool)
	go func() { held <- f.send([]byte(`{"late":true}`)) }()
	select {
	case <-held:
		t.Fatal("a send went through with a full backlog behind a stuck write")
	case <-time.After(50 * time.Millisecond):
	}
	close(g.release)
	if !<-held || !<-first {
		t.Fatal("a send reported failure")
	}
	// The first sender returns once it has written everything.
	var got []string
	for _, w := range g.snapshot() {
		got = append(got, string(w[:min(len(w), 14)]))
	}
	want := []string{"{}\n", "xxxxxxxxxxxxxx", "{\"late\":true}\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("writes begin %q, want %q", got, want)
	}
}

// After a failed write every send reports false, and what was pending is
// dropped: the client is gone.
func TestFrameWriterFails(t *testing.T) {
	g := newGatedWriter()
	g.err = errors.New("broken pipe")
	f := newTestFrameWriter(g)
	first := make(chan bool)
	go func() { first <- f.send([]byte(`{"a":1}`)) }()
	<-g.entered
	f.send([]byte(`{"b":2}`)) // pending behind the failing write
	close(g.release)
	if <-first {
		t.Fatal("the send whose write failed reported success")
	}
	if f.send([]byte(`{"c":3}`)) {
		t.Fatal("a send after the failure reported success")
	}
	if n := len(g.snapshot()); n != 1 {
		t.Fatalf("%d writes after the failure, want only the failed one", n)
	}
}
