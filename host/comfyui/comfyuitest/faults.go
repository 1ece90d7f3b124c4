package comfyuitest

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// Fault replaces or damages the answer to matching requests, to test how a client copes with
// a proxy error, a slow server or a dropped connection. Faults act in front of WithAuth's
// check, as a network or proxy failure would, and also on the WebSocket upgrade.
type Fault struct {
	// Status, when not 0, answers with this status and Body instead of the real handler.
	Status      int
	Body        string
	ContentType string // default "text/plain; charset=utf-8" when Body is set
	// Delay waits before answering (or before CloseConnection). It ends early if the client
	// goes away or the server goes down.
	Delay time.Duration
	// CloseConnection closes the TCP connection without answering.
	CloseConnection bool
	// Truncate sends the headers, announcing the full Content-Length, then half of the body
	// (of the fault's, or of the real answer), and closes the connection.
	Truncate bool
	// Times limits the fault to the next Times matching requests; 0 means until cleared.
	Times int
}

type faultRule struct {
	method string // "" matches any
	path   string // exact, or a prefix when prefix is set; "" with prefix matches all
	prefix bool
	fault  Fault
	left   int // remaining uses when fault.Times > 0
}

// SetFault applies f to the requests that route names, replacing an earlier fault on the same
// route. route is "METHOD /path", where the path may end in "*" to match a prefix ("GET
// /history/*"), the method may be "*", and "*" alone matches everything. A route matches the
// same path under the /api prefix. When several faults match, the most specific wins: an
// exact path over a prefix, a longer prefix over a shorter, a method over "*".
func (s *Server) SetFault(route string, f Fault) {
	rule := &faultRule{fault: f, left: f.Times}
	route = strings.TrimSpace(route)
	if route == "*" {
		rule.prefix = true
	} else {
		method, path, ok := strings.Cut(route, " ")
		if !ok {
			panic(fmt.Sprintf("comfyuitest: SetFault: route %q is not \"METHOD /path\" or \"*\"", route))
		}
		if method != "*" {
			rule.method = strings.ToUpper(method)
		}
		path = strings.TrimSpace(path)
		if strings.HasSuffix(path, "*") {
			rule.prefix = true
			path = strings.TrimSuffix(path, "*")
		}
		rule.path = path
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.faults {
		if r.method == rule.method && r.path == rule.path && r.prefix == rule.prefix {
			s.faults[i] = rule
			return
		}
	}
	s.faults = append(s.faults, rule)
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// matchFault finds the fault for a request and consumes one use of it. s.mu is held.
func (s *Server) matchFault(method, path string) (Fault, bool) {
	path = stripAPI(path)
	var best *faultRule
	bestScore := -1
	for _, r := range s.faults {
		if r.method != "" && r.method != method {
			continue
		}
		score := 0
		switch {
		case !r.prefix && r.path == path:
			score = 1 << 20
		case r.prefix && strings.HasPrefix(path, r.path):
			score = len(r.path) << 1
		default:
			continue
		}
		if r.method != "" {
			score++
		}
		if score > bestScore {
			best, bestScore = r, score
		}
	}
	if best == nil {
		return Fault{}, false
	}
	if best.fault.Times > 0 {
		best.left--
		if best.left <= 0 {
			for i, r := range s.faults {
				if r == best {
					s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
					break
				}
			}
		}
	}
	return best.fault, true
}

// stripAPI removes the /api prefix under which ComfyUI serves every route again.
func stripAPI(path string) string {
	if rest, ok := strings.CutPrefix(path, "/api/"); ok {
		return "/" + rest
	}
	if path == "/api" {
		return "/"
	}
	return path
}

// handler wraps the routes in what stands in front of them: request recording, faults, the
// emulated auth proxy, and ComfyUI's own middlewares.
func (s *Server) handler(inst *instance) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !inst.enter() {
			closeConnection(w)
			return
		}
		defer inst.exit()

		if s.opts.serviceTime > 0 && r.Header.Get("Upgrade") == "" {
			s.loop.Lock()
			defer s.loop.Unlock()
			busy(s.opts.serviceTime)
		}
		s.record(r)
		s.mu.Lock()
		fault, faulty := s.matchFault(r.Method, r.URL.Path)
		s.mu.Unlock()
		if faulty {
			s.applyFault(inst, w, r, fault)
			return
		}
		inst.serve(w, r)
	})
}

// record appends r to the recorded requests, keeping its body readable for the handler.
func (s *Server) record(r *http.Request) {
	const maxRecorded = 1 << 20
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxRecorded))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, RecordedRequest{
		Method: r.Method,
		Path:   r.URL.EscapedPath(),
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		Body:   body,
	})
}

// serve runs the emulated proxy and ComfyUI's middlewares, then the route.
func (inst *instance) serve(w http.ResponseWriter, r *http.Request) {
	o := inst.s.opts
	if o.authHeader != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(o.authHeader)), []byte(o.authValue)) != 1 {
		writeEmpty(w, http.StatusUnauthorized)
		return
	}
	if foreignOrigin(r) {
		writeEmpty(w, http.StatusForbidden)
		return
	}
	if r.Method == http.MethodOptions {
		writeEmpty(w, http.StatusOK)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadSize)
	inst.route(w, r)
}

func (s *Server) applyFault(inst *instance, w http.ResponseWriter, r *http.Request, f Fault) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-inst.ctx.Done():
			closeConnection(w)
			return
		}
	}
	if f.CloseConnection {
		closeConnection(w)
		return
	}
	if f.Status == 0 && !f.Truncate {
		inst.serve(w, r)
		return
	}
	var status int
	var header http.Header
	var body []byte
	if f.Status != 0 {
		status, body = f.Status, []byte(f.Body)
		header = http.Header{}
		switch {
		case f.ContentType != "":
			header.Set("Content-Type", f.ContentType)
		case f.Body != "":
			header.Set("Content-Type", "text/plain; charset=utf-8")
		default:
			header.Set("Content-Type", "application/octet-stream")
		}
	} else {
		rec := httptest.NewRecorder()
		inst.serve(rec, r)
		status, header, body = rec.Code, rec.Header(), rec.Body.Bytes()
	}
	if !f.Truncate {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	writeTruncated(w, status, header, body)
}

// writeTruncated announces the whole body but sends half of it, then drops the connection.
func writeTruncated(w http.ResponseWriter, status int, header http.Header, body []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	announced, sent := len(body), len(body)/2
	if announced == 0 {
		announced = 1
	}
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	header = header.Clone()
	header.Del("Content-Length")
	header.Del("Transfer-Encoding")
	_ = header.Write(buf)
	fmt.Fprintf(buf, "Content-Length: %d\r\nConnection: close\r\n\r\n", announced)
	_, _ = buf.Write(body[:sent])
	_ = buf.Flush()
}

// closeConnection drops the connection without an answer.
func closeConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // net/http closes the connection quietly
	}
	_ = conn.Close()
}

// busy keeps the CPU busy for d (see WithServiceTime).
func busy(d time.Duration) {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
	}
}
