package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/policy"
	"gopkg.in/yaml.v3"
)

// This file is the schema: one function per mapping of tools.yaml, each with a
// table of the keys that mapping accepts, then the checks on values that only make
// sense here. To add a setting, add its field to the Go type and one line to the
// table, reusing a field function of decoder.go (str, duration, byteSize, json); a
// new kind of value (a list of grants, say) gets its own function here, built on
// d.mapping and d.sequence like tools and tool below.

// config decodes the top-level mapping.
func (d *decoder) config(root *yaml.Node) *Config {
	c := &Config{
		File:  d.file,
		Watch: true,
		ComfyUI: ComfyUI{
			URL:              DefaultURL,
			Timeout:          DefaultTimeout,
			ConnectTimeout:   DefaultConnectTimeout,
			MaxResponseBytes: DefaultMaxResponseBytes,
		},
	}
	var urlAt *yaml.Node
	present, _ := d.mapping(root, "", fields{
		"comfyui":   func(v *yaml.Node, p string) { urlAt = d.comfyui(v, p, &c.ComfyUI) },
		"cache_dir": d.str(&c.CacheDir),
		"watch":     d.boolean(&c.Watch),
		"tools":     func(v *yaml.Node, p string) { c.Tools = d.tools(v, p) },
		"backends":  func(v *yaml.Node, p string) { c.Backends = d.backendList(v, p) },
		"http":      func(v *yaml.Node, p string) { c.HTTP = d.http(v, p) }, // http.go
	})
	d.checkURL(&c.ComfyUI.URL, urlAt)
	d.checkBackends(c, present)
	c.CacheDir = d.cacheDir(c.CacheDir, present["cache_dir"])
	return c
}

// comfyui decodes the comfyui mapping into c, which holds the defaults, and returns
// the node of comfyui.url if the file sets it: the URL is checked once the
// COMFYUI_URL override is known.
func (d *decoder) comfyui(n *yaml.Node, path string, c *ComfyUI) (urlAt *yaml.Node) {
	present, _ := d.mapping(n, path, fields{
		"url":                d.str(&c.URL),
		"auth":               func(v *yaml.Node, p string) { c.Auth = d.auth(v, p) },
		"timeout":            d.duration(&c.Timeout),
		"connect_timeout":    d.duration(&c.ConnectTimeout),
		"max_response_bytes": d.byteSize(&c.MaxResponseBytes),
	})
	return present["url"]
}

// auth decodes comfyui.auth and reads the token from the environment.
func (d *decoder) auth(n *yaml.Node, path string) *Auth {
	a := &Auth{Header: DefaultAuthHeader, Scheme: DefaultAuthScheme}
	present, ok := d.mapping(n, path, fields{
		"header":    d.str(&a.Header),
		"scheme":    d.str(&a.Scheme),
		"token_env": d.str(&a.TokenEnv),
	})
	if !ok {
		return a
	}
	if at := present["header"]; at != nil && !isToken(a.Header) {
		d.errorf(at, join(path, "header"), "%q is not an HTTP header name", a.Header)
	}
	if at := present["scheme"]; at != nil && a.Scheme != "" && !isToken(a.Scheme) {
		d.errorf(at, join(path, "scheme"), `%q is not an auth scheme (one word such as Bearer; "" sends the token alone)`, a.Scheme)
	}
	at, has := present["token_env"]
	switch {
	case !has:
		d.errorf(n, path, "missing token_env: the environment variable that holds the token (the token itself never goes in the file)")
	case at == nil:
		// misspelt; reported as an unknown key
	case !validVarName(a.TokenEnv):
		d.errorf(at, join(path, "token_env"), "%q is not an environment variable name", a.TokenEnv)
	default:
		a.Token = d.token(at, join(path, "token_env"), a.TokenEnv)
	}
	return a
}

// tools decodes the tools list and checks that names are unique.
func (d *decoder) tools(n *yaml.Node, path string) []Tool {
	var tools []Tool
	declared := map[string]Pos{}
	for i, item := range d.sequence(n, path) {
		p := path + "[" + strconv.Itoa(i) + "]"
		t, nameAt := d.tool(item, p)
		if nameAt != nil {
			if first, dup := declared[t.Name]; dup {
				d.errorf(nameAt, p+".name", "duplicate tool name %q (first declared at %s)", t.Name, first)
			} else {
				declared[t.Name] = d.pos(nameAt)
			}
		}
		tools = append(tools, t)
	}
	return tools
}

// tool decodes one entry of tools. nameAt is the node of a valid name, nil when the
// name is missing or invalid (and so already reported).
func (d *decoder) tool(n *yaml.Node, path string) (t Tool, nameAt *yaml.Node) {
	t = Tool{Pos: d.pos(n), Config: json.RawMessage("{}"), Permissions: &policy.Permissions{}}
	if isNull(deref(n)) {
		d.errorf(n, path, "empty entry (expected name: and plugin:)")
		return t, nil
	}
	present, ok := d.mapping(n, path, fields{
		"name": func(v *yaml.Node, p string) {
			if d.toolName(v, p, &t.Name) {
				nameAt = v
			}
		},
		"plugin":         func(v *yaml.Node, p string) { t.Plugin, t.Path, t.Kind = d.plugin(v, p) },
		"config":         func(v *yaml.Node, p string) { t.Config = d.json(v, p) },
		"files":          func(v *yaml.Node, p string) { t.Files = d.files(v, p) },
		"permissions":    func(v *yaml.Node, p string) { t.Permissions = d.permissions(v, p) },
		"sha256":         d.sha256(&t.SHA256),
		"backend_labels": func(v *yaml.Node, p string) { t.BackendLabels = d.labels(v, p) },
		"limits":         func(v *yaml.Node, p string) { t.Limits = d.limits(v, p) },
	})
	if ok {
		d.require(n, path, present, "name", "plugin")
	}
	return t, nameAt
}

// files decodes a tool's named files: name → path of a regular file,
// resolved like plugin paths. The plugin reads them by name only.
func (d *decoder) files(n *yaml.Node, path string) map[string]string {
	files := map[string]string{}
	ok := d.namedValues(n, path, "a mapping of file names to paths", validFileName,
		"is not a valid file name (allowed: letters, digits, _ . and -, at most 64)",
		func(name string, v *yaml.Node, p string) {
			rel, ok := d.scalar(v, p)
			if !ok {
				return
			}
			abs := rel
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(d.dir, abs)
			}
			fi, err := os.Stat(abs)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				d.wrapf(v, p, err, "%s does not exist", show(rel))
			case err != nil:
				d.wrapf(v, p, err, "cannot read %s: %v", show(rel), causeOf(err))
			case !fi.Mode().IsRegular():
				d.errorf(v, p, "%s is not a regular file", show(rel))
			default:
				files[name] = filepath.Clean(abs)
			}
		})
	if !ok {
		return nil
	}
	return files
}

// namedValues walks a mapping whose keys are names the operator chooses
// (files, labels): it reports a non-mapping as wanting want, duplicate keys,
// and names valid rejects (with "NAME invalid"), and calls each for every
// other entry with the value and its path. ok is false for null or a
// non-mapping, when there is nothing to walk.
func (d *decoder) namedValues(n *yaml.Node, path, want string, valid func(string) bool, invalid string,
	each func(name string, v *yaml.Node, p string)) (ok bool) {
	m := deref(n)
	if isNull(m) {
		return false
	}
	if m.Kind != yaml.MappingNode {
		d.typeError(n, path, want)
		return false
	}
	keyAt := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		name, good := d.key(k, path, keyAt)
		if !good {
			continue
		}
		if !valid(name) {
			d.errorf(k, path, "%s %s", show(name), invalid)
			continue
		}
		each(name, v, join(path, name))
	}
	return true
}

func validFileName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// toolName stores a tool name in dst and reports whether it is valid.
func (d *decoder) toolName(v *yaml.Node, path string, dst *string) bool {
	s, ok := d.scalar(v, path)
	switch {
	case !ok:
		return false
	case s == "":
		d.errorf(v, path, "tool name is empty")
		return false
	case !validToolName(s):
		d.errorf(v, path, "%q is not a valid tool name (allowed: letters, digits, _ and -, at most 64)", s)
		return false
	}
	*dst = s
	return true
}

// plugin resolves a plugin path against the configuration file's folder and says
// what it is. Messages show the path as written, which is what the operator looks
// for in the file, not its absolute form.
func (d *decoder) plugin(v *yaml.Node, path string) (plugin, abs string, kind PluginKind) {
	plugin, ok := d.scalar(v, path)
	if !ok {
		return "", "", 0
	}
	if plugin == "" {
		d.errorf(v, path, "plugin path is empty")
		return "", "", 0
	}
	if name, ok := strings.CutPrefix(plugin, bundled.Scheme); ok {
		if _, found := bundled.Lookup(name); !found {
			d.errorf(v, path, "%s is not a bundled plugin (bundled: %s)", show(plugin), strings.Join(bundled.Names(), ", "))
			return plugin, "", 0
		}
		return plugin, name, PluginBuiltin
	}
	abs = plugin
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(d.dir, abs)
	}
	abs, err := filepath.Abs(abs)
	if err != nil {
		d.wrapf(v, path, err, "cannot make %s absolute: %v", show(plugin), err)
		return plugin, "", 0
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.wrapf(v, path, err, "%s does not exist", show(plugin))
		return plugin, abs, 0
	case err != nil:
		d.wrapf(v, path, err, "cannot read %s: %v", show(plugin), causeOf(err))
		return plugin, abs, 0
	case fi.IsDir():
		switch has, err := hasGoFiles(abs); {
		case err != nil:
			d.wrapf(v, path, err, "cannot read %s: %v", show(plugin), causeOf(err))
		case !has:
			d.errorf(v, path, "%s is a folder without .go files (expected a .wasm file or a folder of Go source)", show(plugin))
		default:
			return plugin, abs, PluginGoSource
		}
		return plugin, abs, 0
	case fi.Mode().IsRegular() && strings.EqualFold(filepath.Ext(abs), ".wasm"):
		return plugin, abs, PluginWasm
	}
	d.errorf(v, path, "%s is neither a .wasm file nor a folder of Go source", show(plugin))
	return plugin, abs, 0
}

// token reads the auth token from the environment variable name.
func (d *decoder) token(at *yaml.Node, path, name string) string {
	tok, set := d.env.lookup(name)
	switch {
	case !set:
		d.errorf(at, path, "environment variable %s is not set (it must hold the ComfyUI token)", name)
	case tok == "":
		d.errorf(at, path, "environment variable %s is empty (it must hold the ComfyUI token)", name)
	case strings.ContainsFunc(tok, isControl):
		d.errorf(at, path, "environment variable %s contains a control character such as a line break, which cannot go in an HTTP header", name)
	}
	return tok
}

// checkURL applies the COMFYUI_URL override to *u and checks the result; at is
// where the file sets comfyui.url, if it does.
func (d *decoder) checkURL(u *string, at *yaml.Node) {
	from := ""
	if v, ok := d.env.nonEmpty(EnvComfyUIURL); ok {
		*u, from = v, " (from "+EnvComfyUIURL+")"
	}
	clean, problem := baseURL(*u)
	if problem != "" {
		d.errorf(at, "comfyui.url", "%q%s %s", redactURL(*u), from, problem)
		return
	}
	*u = clean
}

// cacheDir applies the EASEL_CACHE_DIR override and the default to the cache_dir
// value s, and makes it absolute. A relative EASEL_CACHE_DIR is relative to the
// working directory, like any path given on a command line; a relative cache_dir is
// relative to the configuration file's folder, like plugin paths.
func (d *decoder) cacheDir(s string, at *yaml.Node) string {
	switch v, ok := d.env.nonEmpty(EnvCacheDir); {
	case ok:
		s = v
	case s != "":
		if !filepath.IsAbs(s) {
			s = filepath.Join(d.dir, s)
		}
	default:
		base, err := os.UserCacheDir()
		if err != nil {
			d.wrapf(at, "cache_dir", err, "no default cache folder (%v): set cache_dir or %s", err, EnvCacheDir)
			return ""
		}
		s = filepath.Join(base, DefaultCacheSubdir)
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		d.wrapf(at, "cache_dir", err, "cannot make %s absolute: %v", show(s), err)
		return s
	}
	return abs
}
