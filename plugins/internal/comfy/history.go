package comfy

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/easel-mcp/easel/sdk"
	"github.com/easel-mcp/easel/sdk/jsonread"
)

// HistoryEntry is one value of GET /history or /history/{id}.
type HistoryEntry struct {
	Prompt  QueueItem                  `json:"prompt"`
	Outputs map[string]json.RawMessage `json:"outputs"`
	Status  *HistoryStatus             `json:"status"`
}

// HistoryStatus is the entry's status and the execution_* messages
// ComfyUI recorded for the job, in order.
type HistoryStatus struct {
	StatusStr string
	Completed bool
	Messages  []NamedMessage
}

// NamedMessage is one [name, data] pair of a history entry's messages.
type NamedMessage struct {
	Name string
	Message
}

// Message is the union of the execution_* message fields this package reads.
type Message struct {
	Timestamp        int64    `json:"timestamp"`
	Nodes            []string `json:"nodes"`
	NodeID           string   `json:"node_id"`
	NodeType         string   `json:"node_type"`
	Executed         []string `json:"executed"`
	ExceptionType    string   `json:"exception_type"`
	ExceptionMessage string   `json:"exception_message"`
	Traceback        []string `json:"traceback"`
}

// History is the answer of GET /history or /history/{id}: entries by
// prompt id. A plugin polling a job decodes one on every call, so it is
// read in one pass without reflection (see UnmarshalJSON).
type History map[string]*HistoryEntry

// UnmarshalJSON decodes a history answer in one pass (package
// jsonread). In a WebAssembly guest this is several times faster than
// encoding/json's reflection, which a get_job_status call would otherwise
// spend most of its time in. What is not JSON, and entries, prompts,
// outputs or statuses of another JSON type than ComfyUI's, are errors;
// scalars of the wrong type are read as their zero value, as ComfyUI's
// own front end reads them.
func (h *History) UnmarshalJSON(b []byte) error { return h.unmarshal(b, true) }

// JobHistory is GET /history/{id} read for what a job's status needs:
// each entry's Status. Its prompt and outputs are checked like History's
// but not kept (Prompt and Outputs stay zero). get_job_status reads one on
// every poll, and a prompt carries the whole workflow and, in its
// extra_data, often the front end's graph too: copying them out cost the
// plugin 10–65 µs of its 130–200 µs per call (BenchmarkPluginOverhead).
type JobHistory map[string]*HistoryEntry

// UnmarshalJSON decodes a history answer like History.UnmarshalJSON, with
// the entries' prompts and outputs skipped.
func (h *JobHistory) UnmarshalJSON(b []byte) error { return (*History)(h).unmarshal(b, false) }

// UnmarshalsWholeValue tells sdk.ComfyUI.DoJSON that UnmarshalJSON checks
// the whole answer itself (it reads to the end with jsonread), so the SDK
// need not scan it first.
func (*History) UnmarshalsWholeValue() {}

// UnmarshalsWholeValue: see History's.
func (*JobHistory) UnmarshalsWholeValue() {}

// GetHistoryEntry fetches job id's history entry without its prompt,
// which the host skips (sdk.Request.Select and Omit): the workflow, and
// for a job queued from the web UI its graph too. Missing in the response
// means ComfyUI has no entry for the job; the entry is then nil.
func GetHistoryEntry(api *sdk.ComfyUI, id string) (*HistoryEntry, *sdk.Response, error) {
	entry := &HistoryEntry{}
	resp, err := api.DoJSON(sdk.Request{Method: "GET", Path: sdk.Path("history", id), Select: jsonread.Pointer(id), Omit: []string{"/prompt"}}, entry)
	if err != nil || resp.Missing {
		return nil, resp, err
	}
	return entry, resp, nil
}

// EntryStatus is one history entry's status on its own, as a request
// that selects it gets it (sdk.Request.Select with jsonread.Pointer(id,
// "status")): the host then reads the entry's prompt and outputs natively,
// and the plugin only the status. Status is nil for a null status.
type EntryStatus struct{ Status *HistoryStatus }

// UnmarshalJSON reads a status object, or null.
func (s *EntryStatus) UnmarshalJSON(b []byte) error {
	r := jsonread.New(b)
	s.Status = nil
	if !r.Null() {
		if k := r.Kind(); k != jsonread.Object {
			return fmt.Errorf("status is a JSON %s, not an object", kindName(k))
		}
		s.Status = readHistoryStatus(r)
	}
	return r.End()
}

// UnmarshalsWholeValue: see History's.
func (*EntryStatus) UnmarshalsWholeValue() {}

// unmarshal reads a history answer; full keeps prompts and outputs.
func (h *History) unmarshal(b []byte, full bool) error {
	r := jsonread.New(b)
	if k := r.Kind(); k != jsonread.Object {
		return fmt.Errorf("history is a JSON %s, not an object", kindName(k))
	}
	*h = History{}
	var err error
	r.Object(func(id string) {
		e := &HistoryEntry{}
		if err == nil {
			if err = e.read(r, full); err != nil {
				err = fmt.Errorf("history entry %s: %w", id, err)
			}
		}
		(*h)[id] = e
	})
	if rerr := r.End(); rerr != nil {
		return rerr
	}
	return err
}

// UnmarshalJSON decodes one entry like History.UnmarshalJSON does.
func (e *HistoryEntry) UnmarshalJSON(b []byte) error {
	*e = HistoryEntry{}
	r := jsonread.New(b)
	err := e.read(r, true)
	if rerr := r.End(); rerr != nil {
		return rerr
	}
	return err
}

// read reads an entry at r, its prompt and outputs only if full; a shape
// error leaves the rest unread.
func (e *HistoryEntry) read(r *jsonread.Reader, full bool) error {
	if k := r.Kind(); k != jsonread.Object {
		return fmt.Errorf("a history entry is a JSON %s, not an object", kindName(k))
	}
	var err error
	r.ObjectBytes(func(key []byte) {
		if err != nil || r.Null() {
			return
		}
		switch string(key) {
		case "prompt":
			if !full {
				err = skipQueueItem(r)
				return
			}
			err = e.Prompt.read(r)
		case "outputs":
			if k := r.Kind(); k != jsonread.Object {
				err = fmt.Errorf("outputs is a JSON %s, not an object", kindName(k))
				return
			}
			if !full {
				r.Skip()
				return
			}
			e.Outputs = map[string]json.RawMessage{}
			r.Object(func(node string) { e.Outputs[node] = slices.Clone(r.Raw()) })
		case "status":
			if k := r.Kind(); k != jsonread.Object {
				err = fmt.Errorf("status is a JSON %s, not an object", kindName(k))
				return
			}
			e.Status = readHistoryStatus(r)
		}
	})
	return err
}

func readHistoryStatus(r *jsonread.Reader) *HistoryStatus {
	st := &HistoryStatus{}
	r.ObjectBytes(func(key []byte) {
		switch string(key) {
		case "status_str":
			st.StatusStr = readString(r)
		case "completed":
			st.Completed = r.Kind() == jsonread.Bool && r.Bool()
		case "messages":
			if r.Kind() != jsonread.Array {
				return
			}
			// A finished job has three to five messages: growing from
			// nil would copy them twice.
			st.Messages = make([]NamedMessage, 0, 8)
			r.Array(func(int) {
				if m, ok := readNamedMessage(r); ok {
					st.Messages = append(st.Messages, m)
				}
			})
		}
	})
	return st
}

// readNamedMessage reads a [name, data] pair; other shapes are skipped.
func readNamedMessage(r *jsonread.Reader) (NamedMessage, bool) {
	var m NamedMessage
	var named, withData bool
	if r.Kind() != jsonread.Array {
		return m, false
	}
	r.Array(func(i int) {
		switch {
		case i == 0 && r.Kind() == jsonread.String:
			m.Name, named = messageName(r.StringBytes()), true
		case i == 1 && r.Kind() == jsonread.Object:
			m.Message, withData = readMessage(r), true
		}
	})
	return m, named && withData
}

func readMessage(r *jsonread.Reader) Message {
	var m Message
	r.ObjectBytes(func(key []byte) {
		switch string(key) {
		case "timestamp":
			m.Timestamp = readInt(r)
		case "nodes":
			m.Nodes = readStrings(r)
		case "node_id":
			m.NodeID = readString(r)
		case "node_type":
			m.NodeType = readString(r)
		case "executed":
			m.Executed = readStrings(r)
		case "exception_type":
			m.ExceptionType = readString(r)
		case "exception_message":
			m.ExceptionMessage = readString(r)
		case "traceback":
			m.Traceback = readStrings(r)
		}
	})
	return m
}

// messageName is b as a string, without a copy for the names ComfyUI
// records in a history entry.
func messageName(b []byte) string {
	switch string(b) {
	case "execution_start":
		return "execution_start"
	case "execution_cached":
		return "execution_cached"
	case "execution_success":
		return "execution_success"
	case "execution_error":
		return "execution_error"
	case "execution_interrupted":
		return "execution_interrupted"
	}
	return string(b)
}

// readString reads a string; another kind of value is left to be
// skipped and reads as "".
func readString(r *jsonread.Reader) string {
	if r.Kind() != jsonread.String {
		return ""
	}
	return r.String()
}

// readInt reads a number as an int64 (a fraction is dropped); another
// kind of value reads as 0.
func readInt(r *jsonread.Reader) int64 {
	if r.Kind() != jsonread.Number {
		return 0
	}
	n := r.NumberBytes()
	if i, ok := parseInt(n); ok {
		return i
	}
	f, _ := strconv.ParseFloat(string(n), 64)
	return int64(f)
}

// parseInt parses a JSON integer of at most 18 digits (every timestamp)
// without making a string of it; ok is false for anything else, which
// strconv then reads.
func parseInt(b []byte) (n int64, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// readStrings reads an array of strings; other items are skipped.
func readStrings(r *jsonread.Reader) []string {
	if r.Kind() != jsonread.Array {
		return nil
	}
	var out []string
	r.Array(func(int) {
		if r.Kind() == jsonread.String {
			out = append(out, r.String())
		}
	})
	return out
}

// kindName names a JSON value's type for error messages.
func kindName(k jsonread.Kind) string {
	switch k {
	case jsonread.Object:
		return "object"
	case jsonread.Array:
		return "array"
	case jsonread.String:
		return "string"
	case jsonread.Number:
		return "number"
	case jsonread.Bool:
		return "boolean"
	case jsonread.Null:
		return "null"
	}
	return "value that is not JSON"
}

// Outcome values, decided from the messages.
const (
	OutcomeSuccess     = "success"
	OutcomeError       = "error"
	OutcomeInterrupted = "interrupted"
)

// Summary is what a history entry says about how a job ended.
type Summary struct {
	Outcome        string
	StatusStr      string
	Interrupted    bool
	Error          *Message // the execution_error, if any
	InterruptedAt  *Message // the execution_interrupted, if any
	StartTimestamp int64
	EndTimestamp   int64
	CachedNodes    []string
}

// Summarize decides the outcome from the messages: any execution_error means
// failed (even when status_str says success, as after a dependency cycle),
// any execution_interrupted means interrupted, execution_success means
// success; status_str is only the fallback.
func (e *HistoryEntry) Summarize() Summary {
	s := Summary{CachedNodes: []string{}}
	if e.Status == nil {
		s.Outcome = OutcomeSuccess // only prompts that never went through the worker lack a status
		return s
	}
	s.StatusStr = e.Status.StatusStr
	var success bool
	for i := range e.Status.Messages {
		m := &e.Status.Messages[i]
		data := &m.Message // not a copy: it would escape on every message
		switch m.Name {
		case "execution_start":
			s.StartTimestamp = data.Timestamp
		case "execution_cached":
			s.CachedNodes = append(s.CachedNodes, data.Nodes...)
		case "execution_success":
			success = true
			s.EndTimestamp = data.Timestamp
		case "execution_error":
			s.Error = data
			s.EndTimestamp = data.Timestamp
		case "execution_interrupted":
			s.Interrupted = true
			s.InterruptedAt = data
			s.EndTimestamp = data.Timestamp
		}
	}
	switch {
	case s.Error != nil:
		s.Outcome = OutcomeError
	case s.Interrupted:
		s.Outcome = OutcomeInterrupted
	case success || s.StatusStr == "success":
		s.Outcome = OutcomeSuccess
	default:
		s.Outcome = OutcomeError
	}
	return s
}

// DurationMS is the time from execution_start to the terminal message, the
// only duration ComfyUI 0.3.64 records; 0 when unknown.
func (s Summary) DurationMS() int64 {
	if s.StartTimestamp > 0 && s.EndTimestamp >= s.StartTimestamp {
		return s.EndTimestamp - s.StartTimestamp
	}
	return 0
}

// File is one output file of a node: images, video, audio and the like.
type File struct {
	NodeID    string `json:"node_id"`
	Kind      string `json:"kind" description:"The output key: images, gifs, video, audio, ..."`
	Filename  string `json:"filename"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type" description:"output, temp or input"`
	URI       string `json:"uri,omitempty" description:"comfyui:// resource URI of the file"`
	// Backend is set when easel spreads jobs over several ComfyUI servers.
	Backend string `json:"backend,omitempty" description:"The ComfyUI server holding the file, when easel has several; pass it to get_image"`
}

// NodeOutputs are the files and texts of one node's UI output.
type NodeOutputs struct {
	Files []File
	Texts []string
}

// ParseOutputs reads every node's UI data: lists of {filename, subfolder,
// type} under any key become Files, "text" lists become Texts; other shapes
// (3D results, custom data) are skipped. Nodes are returned in id order.
func (e *HistoryEntry) ParseOutputs() (files []File, texts map[string][]string) {
	texts = map[string][]string{}
	ids := make([]string, 0, len(e.Outputs))
	for id := range e.Outputs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return NodeIDLess(ids[i], ids[j]) })
	for _, id := range ids {
		var ui map[string]json.RawMessage
		if json.Unmarshal(e.Outputs[id], &ui) != nil {
			continue
		}
		keys := make([]string, 0, len(ui))
		for k := range ui {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			if key == "text" {
				var ts []string
				if json.Unmarshal(ui[key], &ts) == nil {
					texts[id] = append(texts[id], ts...)
				}
				continue
			}
			var items []File
			if json.Unmarshal(ui[key], &items) != nil {
				continue
			}
			for _, f := range items {
				if f.Filename == "" {
					continue
				}
				f.NodeID, f.Kind = id, key
				files = append(files, f)
			}
		}
	}
	return files, texts
}

// NodeIDLess orders node ids numerically when both are numbers ("2" < "10"),
// else as strings.
func NodeIDLess(a, b string) bool {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return len(a) < len(b)
	}
	return a < b
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// TailString keeps the last max bytes of s, cut at a rune boundary and
// marked with a leading "…"; it reports whether it cut.
func TailString(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	cut := len(s) - max
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return "…" + s[cut:], true
}

// JoinTraceback joins ComfyUI's traceback lines (each already ends in \n),
// without the lines of only ^ and ~ under the code that Python 3.11 and
// later add: they point at columns, which cost an agent hundreds of tokens
// and tell it nothing the line above does not.
func JoinTraceback(lines []string) string {
	var b strings.Builder
	for _, entry := range lines {
		for line := range strings.SplitAfterSeq(entry, "\n") {
			if !isCaretLine(line) {
				b.WriteString(line)
			}
		}
	}
	return b.String()
}

// isCaretLine reports whether line is one of Python's column markers:
// spaces, then ^ and ~ only.
func isCaretLine(line string) bool {
	marks := strings.TrimSpace(line)
	return marks != "" && strings.Trim(marks, "^~") == ""
}
