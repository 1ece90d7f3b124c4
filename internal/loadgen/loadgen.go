// Package loadgen drives an MCP server over streamable HTTP with many
// concurrent sessions and tool calls, and measures the server process, for
// easel's load and soak tests.
//
// It speaks raw JSON-RPC over HTTP rather than through an MCP client
// library so that a thousand concurrent calls cost the test little: one
// goroutine and one pooled connection each.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Session is one initialized MCP session.
type Session struct {
	url  string
	id   string
	http *http.Client
	next atomic.Int64
}

// NewHTTPClient returns a client that keeps up to conns connections to one
// server alive.
func NewHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.MaxConnsPerHost = conns, conns, 0
	return &http.Client{Transport: t, Timeout: 10 * time.Minute}
}

// Open initializes a session at url (the /mcp endpoint).
func Open(ctx context.Context, hc *http.Client, url string) (*Session, error) {
	s := &Session{url: url, http: hc}
	init := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"easel-loadgen","version":"1"}}}`
	if _, err := s.post(ctx, []byte(init)); err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if s.id == "" {
		return nil, errors.New("initialize: no Mcp-Session-Id")
	}
	if _, err := s.post(ctx, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)); err != nil {
		return nil, fmt.Errorf("initialized: %w", err)
	}
	return s, nil
}

// Result is a tools/call answer.
type Result struct {
	IsError bool
	Text    string
}

// Call runs one tools/call. A JSON-RPC error or a transport failure is an
// error; a tool error is a Result with IsError.
func (s *Session) Call(ctx context.Context, tool string, args any) (Result, error) {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": s.next.Add(1), "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args}})
	if err != nil {
		return Result{}, err
	}
	raw, err := s.post(ctx, body)
	if err != nil {
		return Result{}, err
	}
	var msg struct {
		Result *struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &msg); err != nil {
		return Result{}, fmt.Errorf("answer %.200q: %w", raw, err)
	}
	if msg.Error != nil {
		return Result{}, fmt.Errorf("JSON-RPC error %d: %s", msg.Error.Code, msg.Error.Message)
	}
	if msg.Result == nil {
		return Result{}, fmt.Errorf("answer without result: %.200q", raw)
	}
	var parts []string
	for _, c := range msg.Result.Content {
		parts = append(parts, c.Text)
	}
	return Result{IsError: msg.Result.IsError, Text: strings.Join(parts, "\n")}, nil
}

// Close ends the session.
func (s *Session) Close(ctx context.Context) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.url, nil)
	if err != nil {
		return
	}
	req.Header.Set("Mcp-Session-Id", s.id)
	if resp, err := s.http.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// post sends one message and returns the JSON-RPC response in the answer
// (a JSON body, or the last data line of an event stream), nil for none.
func (s *Session) post(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if id := resp.Header.Get("Mcp-Session-Id"); id != "" && s.id == "" {
		s.id = id
	}
	if resp.StatusCode == http.StatusAccepted {
		io.Copy(io.Discard, resp.Body)
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return io.ReadAll(resp.Body)
	}
	var last []byte
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		if d, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok && (bytes.Contains(d, []byte(`"result"`)) || bytes.Contains(d, []byte(`"error"`))) {
			last = append(last[:0], d...)
		}
	}
	return last, sc.Err()
}

// Stats summarizes a batch of calls.
type Stats struct {
	Calls, Errors int
	Elapsed       time.Duration
	P50, P99, Max time.Duration
	FirstError    string
}

// CallsPerSecond is the throughput of the batch.
func (s Stats) CallsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Calls) / s.Elapsed.Seconds()
}

func (s Stats) String() string {
	return fmt.Sprintf("%d calls, %d errors in %s: %.0f calls/s, p50 %s, p99 %s, max %s",
		s.Calls, s.Errors, s.Elapsed.Round(time.Millisecond), s.CallsPerSecond(),
		s.P50.Round(100*time.Microsecond), s.P99.Round(100*time.Microsecond), s.Max.Round(100*time.Microsecond))
}

// Call is one call to make; Check, if set, judges a result (an error fails
// the call, as a tool error does when Check is nil).
type Call struct {
	Tool  string
	Args  any
	Check func(Result) error
}

// Concurrent makes every call at once, spread round-robin over sessions,
// and waits for all of them.
func Concurrent(ctx context.Context, sessions []*Session, calls []Call) Stats {
	lat := make([]time.Duration, len(calls))
	errs := make([]error, len(calls))
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			res, err := sessions[i%len(sessions)].Call(ctx, c.Tool, c.Args)
			lat[i] = time.Since(t0)
			switch {
			case err != nil:
			case c.Check != nil:
				err = c.Check(res)
			case res.IsError:
				err = fmt.Errorf("%s: tool error: %.300s", c.Tool, res.Text)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	st := Stats{Calls: len(calls), Elapsed: time.Since(start)}
	for _, err := range errs {
		if err != nil {
			if st.Errors == 0 {
				st.FirstError = err.Error()
			}
			st.Errors++
		}
	}
	st.P50, st.P99, st.Max = percentiles(lat)
	return st
}

// Merge adds b to a, taking the latencies' percentiles as the worse of the two.
func Merge(a, b Stats) Stats {
	a.Calls += b.Calls
	a.Errors += b.Errors
	a.Elapsed += b.Elapsed
	a.P50, a.P99, a.Max = max(a.P50, b.P50), max(a.P99, b.P99), max(a.Max, b.Max)
	if a.FirstError == "" {
		a.FirstError = b.FirstError
	}
	return a
}

func percentiles(d []time.Duration) (p50, p99, maxD time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(int(q*float64(len(s))), len(s)-1)] }
	return at(0.50), at(0.99), s[len(s)-1]
}
