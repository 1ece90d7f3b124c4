package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Call is what a handler can do besides computing: reach ComfyUI, read the
// tool's configuration, log and report progress. Each goes through the
// host, which owns the ComfyUI address, credentials and timeouts, so a
// plugin never sees them.
//
// A Call is valid only during the handler invocation it was passed to.
// Its methods may be used from goroutines the handler starts, but those
// goroutines must finish before the handler returns: a WebAssembly
// instance runs nothing between calls.
type Call struct {
	resume *Resume // set when this run resumes after AwaitJob
	inst   *instance
	tool   string
	comfy  ComfyUI // made with the Call, in the same allocation
	logger *slog.Logger
}

// Tool returns the name the tool is being called under: Tool.Name, or for
// a generic plugin the name tools.yaml declares for it.
func (c *Call) Tool() string { return c.tool }

// Config decodes the tool's `config:` mapping from tools.yaml into v, which
// must be a non-nil pointer, typically to a struct. The mapping is fetched
// from the host once per instance; decoding follows the same rules and
// tags as arguments (see SchemaFor): defaults apply, required keys must be
// present, keys v does not have are errors so that a typo in tools.yaml
// is reported rather than ignored, and numbers in interface values arrive
// as json.Number. An absent mapping decodes as {}.
//
// The error says the tool is misconfigured and names the key; returning it
// from the handler shows it to the agent, who can tell the user.
func (c *Call) Config(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("sdk: Config needs a non-nil pointer, got %T", v)
	}
	if err := c.inst.loadConfig(); err != nil {
		return err
	}
	n, err := c.inst.configNode(rv.Type().Elem())
	if err != nil {
		return fmt.Errorf("sdk: Config: %w", err)
	}
	tree, err := decodeJSON(c.inst.cfgRaw)
	if err != nil {
		return fmt.Errorf("sdk: the host's config is not valid JSON: %v", err)
	}
	if err := decodeObject(n, tree, rv.Elem(), configWording); err != nil {
		return fmt.Errorf("tool %s is misconfigured in tools.yaml: %w", c.Tool(), err)
	}
	return nil
}

// Progress reports how far the call has got, for a long job such as
// waiting on a ComfyUI queue: progress out of total (total <= 0 when the
// total is unknown), with an optional message. The client sees it only if
// it asked for progress; otherwise the host drops it, so calling it is
// always safe. progress should not decrease within a call. Non-finite
// values are ignored.
func (c *Call) Progress(progress, total float64, message string) {
	if math.IsNaN(progress) || math.IsInf(progress, 0) || math.IsNaN(total) || math.IsInf(total, 0) {
		return
	}
	b := strconv.AppendFloat([]byte(`{"progress":`), progress, 'g', -1, 64)
	if total > 0 {
		b = append(b, `,"total":`...)
		b = strconv.AppendFloat(b, total, 'g', -1, 64)
	}
	if message != "" {
		b = append(b, `,"message":`...)
		b = appendJSONString(b, message)
	}
	c.inst.host.progress(append(b, '}'))
}

// ComfyUI returns the client for the ComfyUI server the host is
// configured with.
func (c *Call) ComfyUI() *ComfyUI { return &c.comfy }

// Logger returns a logger that writes to the host log, tagged there with
// the tool's name. Levels map to the host's debug, info, warn and error;
// attributes are appended to the message as key=value. Use it for what an
// operator needs to see, not for what the agent should read: that belongs
// in the result.
func (c *Call) Logger() *slog.Logger { return c.logger }

// logHandler is a slog.Handler that formats a record as one line,
// "message key=value ...", and passes it to the host's log function, which
// adds the time, level and tool name itself.
type logHandler struct {
	host   host
	attrs  string // pre-formatted attributes from WithAttrs, each " key=value"
	prefix string // group prefix for keys, "g1.g2."
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	var level int32
	switch {
	case r.Level < slog.LevelInfo:
		level = 0
	case r.Level < slog.LevelWarn:
		level = 1
	case r.Level < slog.LevelError:
		level = 2
	default:
		level = 3
	}
	h.host.log(level, b.String())
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		appendAttr(&b, h.prefix, a)
	}
	return &logHandler{host: h.host, attrs: b.String(), prefix: h.prefix}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &logHandler{host: h.host, attrs: h.attrs, prefix: h.prefix + name + "."}
}

func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			appendAttr(b, prefix, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	var s string
	if a.Value.Kind() == slog.KindTime {
		s = a.Value.Time().Format(time.RFC3339Nano)
	} else {
		s = a.Value.String()
	}
	if needsQuote(s) {
		s = strconv.Quote(s)
	}
	b.WriteString(s)
}

// needsQuote reports whether a value must be quoted to read back as one
// value: empty, or with a space, '=', '"' or an unprintable rune.
func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r == ' ' || r == '=' || r == '"' || !strconv.IsPrint(r) {
			return true
		}
	}
	return false
}

// File returns the bytes of a file that tools.yaml grants this tool under
// name (the entry's `files:` mapping). It is the only file access a plugin
// has; a name that is not granted is an error, not a path lookup.
func (c *Call) File(name string) ([]byte, error) {
	var h struct {
		Error string `json:"error"`
	}
	body, err := decodeFrame(c.inst.host.file(name), &h)
	if err != nil {
		return nil, fmt.Errorf("sdk: the host's answer for file %q is malformed: %v", name, err)
	}
	if h.Error != "" {
		return nil, errors.New(h.Error)
	}
	return body, nil
}
