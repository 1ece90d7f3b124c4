package config

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/easel-mcp/easel/host/policy"
	"gopkg.in/yaml.v3"
)

// permissions decodes a tool's permissions mapping: what the plugin may do
// beyond computing. Everything is denied unless listed; see package policy.
func (d *decoder) permissions(n *yaml.Node, path string) *policy.Permissions {
	p := &policy.Permissions{}
	d.mapping(n, path, fields{
		"comfyui":     func(v *yaml.Node, at string) { p.ComfyUI = grants(d, v, at, policy.ParseRoute) },
		"http":        func(v *yaml.Node, at string) { p.HTTP = grants(d, v, at, policy.ParseEndpoint) },
		"jobs":        d.boolean(&p.Jobs),
		"sampling":    d.boolean(&p.Sampling),
		"elicitation": d.boolean(&p.Elicitation),
	})
	return p
}

// grants decodes a list of grants with parse, reporting each bad item at its
// own line.
func grants[T any](d *decoder, n *yaml.Node, path string, parse func(string) (T, error)) []T {
	var out []T
	for i, item := range d.sequence(n, path) {
		p := path + "[" + strconv.Itoa(i) + "]"
		s, ok := d.scalar(item, p)
		if !ok {
			continue
		}
		g, err := parse(s)
		if err != nil {
			d.wrapf(item, p, err, "%v", err)
			continue
		}
		out = append(out, g)
	}
	return out
}

// sha256 returns a field function that stores a pinned SHA-256 digest: 64
// hex digits, optionally prefixed "sha256:", stored lower case without it.
func (d *decoder) sha256(dst *string) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		s, ok := d.scalar(v, path)
		if !ok {
			return
		}
		h := strings.ToLower(strings.TrimPrefix(s, "sha256:"))
		if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
			d.errorf(v, path, "%q is not a SHA-256 digest (64 hex digits; `easel build` prints it)", s)
			return
		}
		*dst = h
	}
}
