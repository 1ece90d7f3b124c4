package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Backend is one of several ComfyUI servers easel spreads jobs over (the
// `backends:` list of tools.yaml). A file with a single `comfyui:` mapping has
// no Backends; Config.BackendList presents it as one backend named
// DefaultBackendName, so the rest of easel has a single code path.
type Backend struct {
	// Name identifies the backend in answers (get_queue, get_system_stats,
	// comfyui:// URIs) and inside the prompt ids easel makes for it, so
	// every replica of easel must give a backend the same name:
	// ^[a-zA-Z0-9_-]{1,32}$, unique in the file.
	Name string
	// ComfyUI is how to reach it: url, auth, timeouts and size cap, with the
	// same keys and defaults as the single `comfyui:` mapping.
	ComfyUI ComfyUI
	// Weight is the backend's share of the work relative to the others: new
	// jobs go to the lowest queue length divided by weight, so a GPU twice
	// as fast gets weight 2. At least 1; default 1.
	Weight int
	// Labels describe the backend (gpu: 24gb, region: eu); a tool's
	// backend_labels picks the backends its new jobs may go to.
	Labels map[string]string
	// Pos is where the entry starts.
	Pos Pos
}

// DefaultBackendName names the one backend of a file that uses `comfyui:`.
const DefaultBackendName = "comfyui"

// BackendList returns the ComfyUI servers to use: the `backends:` list, or the
// single `comfyui:` server as one backend named DefaultBackendName.
func (c *Config) BackendList() []Backend {
	if len(c.Backends) > 0 {
		return c.Backends
	}
	return []Backend{{Name: DefaultBackendName, ComfyUI: c.ComfyUI, Weight: 1}}
}

// Matches reports whether a backend carries every label of want.
func (b *Backend) Matches(want map[string]string) bool {
	for k, v := range want {
		if b.Labels[k] != v {
			return false
		}
	}
	return true
}

// backendList decodes the backends list: names unique, every url checked.
// COMFYUI_URL does not apply to it (it replaces the single comfyui.url).
func (d *decoder) backendList(n *yaml.Node, path string) []Backend {
	var out []Backend
	declared := map[string]Pos{}
	for i, item := range d.sequence(n, path) {
		p := path + "[" + strconv.Itoa(i) + "]"
		b, nameAt := d.backend(item, p)
		if nameAt != nil {
			if first, dup := declared[b.Name]; dup {
				d.errorf(nameAt, p+".name", "duplicate backend name %q (first declared at %s)", b.Name, first)
			} else {
				declared[b.Name] = d.pos(nameAt)
			}
		}
		out = append(out, b)
	}
	if n != nil && len(out) == 0 {
		d.errorf(n, path, "empty list: name at least one ComfyUI server, or use comfyui: for one")
	}
	return out
}

// backend decodes one entry of backends. nameAt is the node of a valid name.
func (d *decoder) backend(n *yaml.Node, path string) (b Backend, nameAt *yaml.Node) {
	b = Backend{Pos: d.pos(n), Weight: 1, ComfyUI: ComfyUI{
		Timeout:          DefaultTimeout,
		ConnectTimeout:   DefaultConnectTimeout,
		MaxResponseBytes: DefaultMaxResponseBytes,
	}}
	present, ok := d.mapping(n, path, fields{
		"name":               func(v *yaml.Node, p string) { nameAt = d.backendName(v, p, &b.Name) },
		"url":                d.str(&b.ComfyUI.URL),
		"auth":               func(v *yaml.Node, p string) { b.ComfyUI.Auth = d.auth(v, p) },
		"timeout":            d.duration(&b.ComfyUI.Timeout),
		"connect_timeout":    d.duration(&b.ComfyUI.ConnectTimeout),
		"max_response_bytes": d.byteSize(&b.ComfyUI.MaxResponseBytes),
		"weight":             d.weight(&b.Weight),
		"labels":             func(v *yaml.Node, p string) { b.Labels = d.labels(v, p) },
	})
	if !ok {
		return b, nil
	}
	d.require(n, path, present, "name", "url")
	if at := present["url"]; at != nil {
		clean, problem := baseURL(b.ComfyUI.URL)
		if problem != "" {
			d.errorf(at, join(path, "url"), "%q %s", redactURL(b.ComfyUI.URL), problem)
		}
		b.ComfyUI.URL = clean
	}
	return b, nameAt
}

// backendName stores a backend name and returns its node when it is valid.
// The name goes into prompt ids ("<name>.<uuid>"), hence no dots.
func (d *decoder) backendName(v *yaml.Node, path string, dst *string) *yaml.Node {
	s, ok := d.scalar(v, path)
	switch {
	case !ok:
		return nil
	case s == "" || len(s) > 32 || !validToolName(s):
		d.errorf(v, path, "%s is not a valid backend name (allowed: letters, digits, _ and -, at most 32)", show(s))
		return nil
	}
	*dst = s
	return v
}

// weight returns a field function that stores a positive integer weight.
func (d *decoder) weight(dst *int) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		s, ok := d.scalar(v, path)
		if !ok {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			d.errorf(v, path, "%s is not a weight (a whole number from 1 to 1000; 2 means twice the share of work)", show(s))
			return
		}
		*dst = n
	}
}

// labels decodes a mapping of label names to values. Values are scalars kept
// as written: `vram: 24` is the label "24".
func (d *decoder) labels(n *yaml.Node, path string) map[string]string {
	out := map[string]string{}
	ok := d.namedValues(n, path, "a mapping of label names to values, e.g. {gpu: 24gb}", validToolName,
		"is not a valid label name (allowed: letters, digits, _ and -)",
		func(name string, v *yaml.Node, p string) {
			if s, ok := d.scalar(v, p); ok {
				out[name] = s
			}
		})
	if !ok {
		return nil
	}
	return out
}

// checkBackendLabels reports tools whose backend_labels no backend carries:
// their jobs could never be queued. The problem is placed at the tool's entry.
func (d *decoder) checkBackendLabels(c *Config) {
	backends := c.BackendList()
	for i, t := range c.Tools {
		if len(t.BackendLabels) == 0 || slices.ContainsFunc(backends, func(b Backend) bool { return b.Matches(t.BackendLabels) }) {
			continue
		}
		d.errs = append(d.errs, &Error{Pos: t.Pos, Path: "tools[" + strconv.Itoa(i) + "].backend_labels",
			Msg: fmt.Sprintf("no backend has the labels %s (backends: %s)", formatLabels(t.BackendLabels), describeBackends(backends))})
	}
}

// formatLabels renders labels as "gpu=24gb, region=eu", sorted.
func formatLabels(l map[string]string) string {
	parts := make([]string, 0, len(l))
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ", ")
}

func describeBackends(bs []Backend) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.Name
		if len(b.Labels) > 0 {
			parts[i] += " {" + formatLabels(b.Labels) + "}"
		}
	}
	return strings.Join(parts, "; ")
}

// checkBackends checks what concerns backends as a whole once the file is
// decoded: comfyui: and backends: exclude each other, and every tool's
// backend_labels must match a backend.
func (d *decoder) checkBackends(c *Config, present map[string]*yaml.Node) {
	if at := present["backends"]; at != nil && len(c.Backends) > 0 {
		if cu := present["comfyui"]; cu != nil {
			d.errorf(cu, "comfyui", "comfyui: and backends: cannot both be set: list every server under backends (each with its own url, auth and timeouts)")
		}
	}
	d.checkBackendLabels(c)
}
