package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Env looks up an environment variable, with the signature of os.LookupEnv: pass
// os.LookupEnv in production. Parse never reads the process environment itself, so
// a test states every variable the configuration sees (see MapEnv). A nil Env is an
// empty environment.
type Env func(name string) (value string, ok bool)

// MapEnv returns an Env that serves the variables in m, for tests and examples.
func MapEnv(m map[string]string) Env {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// lookup is e(name), with a nil Env meaning no variables at all.
func (e Env) lookup(name string) (string, bool) {
	if e == nil {
		return "", false
	}
	return e(name)
}

// nonEmpty returns the variable's value when it is set to something. The overrides
// (COMFYUI_URL, EASEL_CACHE_DIR) treat an empty variable as unset, as a shell's
// `VAR= easel` is usually meant to clear it.
func (e Env) nonEmpty(name string) (string, bool) {
	v, ok := e.lookup(name)
	return v, ok && v != ""
}

// expand replaces ${NAME} and ${NAME:-default} in s with values from env, and $$ with
// a literal $. A $ followed by anything else is kept as is, so a Windows path or a
// price needs no escaping. Substituted values are not expanded again: a secret that
// happens to contain ${...} is used verbatim.
func expand(s string, env Env) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$$"):
			b.WriteByte('$')
			s = s[2:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q (write $$ for a literal $)", s)
			}
			ref := s[:end+1]
			v, err := lookupRef(ref, env)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			s = s[end+1:]
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
}

// lookupRef resolves one reference, ref being the whole "${...}".
func lookupRef(ref string, env Env) (string, error) {
	name, def, hasDef := strings.Cut(ref[2:len(ref)-1], ":-")
	if !validVarName(name) {
		return "", fmt.Errorf("%s: %q is not a variable name (letters, digits and _, not starting with a digit; a fallback is written ${NAME:-default})", ref, name)
	}
	if hasDef && strings.Contains(def, "${") {
		return "", fmt.Errorf("%s: a default cannot contain another ${...}", ref)
	}
	v, ok := env.lookup(name)
	switch {
	case hasDef && v == "":
		return def, nil // like the shell, :- also covers a variable set to ""
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
	}
	return v, nil
}

// validVarName reports whether name is a portable environment variable name.
func validVarName(name string) bool {
	if name == "" || ('0' <= name[0] && name[0] <= '9') {
		return false
	}
	for _, c := range []byte(name) {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// substitute expands every scalar value under n in place, before any value is
// checked, so `timeout: ${T:-30s}` is checked as a duration. Mapping keys are left
// alone: they name configuration, they do not carry it. Alias nodes are skipped,
// since their target is expanded where it is defined (once, so $$ is not unescaped
// twice).
//
// An unquoted scalar is typed again after substitution, so in a tool's config
// `steps: ${STEPS:-20}` is the number 20, as if 20 had been written; quote it to keep a
// string.
func (d *decoder) substitute(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			if n.Kind == yaml.SequenceNode {
				d.substitute(c, fmt.Sprintf("%s[%d]", path, i))
			} else {
				d.substitute(c, path)
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.substitute(n.Content[i+1], join(path, n.Content[i].Value))
		}
	case yaml.ScalarNode:
		v, err := expand(n.Value, d.env)
		if err != nil {
			d.errorf(n, path, "%v", err)
			d.unexpanded[n] = true
			return
		}
		if v == n.Value {
			return
		}
		n.Value = v
		if n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = ""
			n.Tag = n.ShortTag() // re-resolve: "20" is now an !!int
		}
	}
}
