package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/easel-mcp/easel/host/policy"
)

// Defaults for the values tools.yaml may leave out. They are exported so that
// documentation, flags and tests quote the same numbers the loader uses.
const (
	DefaultURL              = "http://127.0.0.1:8188" // ComfyUI's own default listen address
	DefaultTimeout          = 30 * time.Second        // per request; long jobs are polled, not awaited
	DefaultConnectTimeout   = 5 * time.Second         // fail fast when ComfyUI is down
	DefaultMaxResponseBytes = 64 << 20                // 64MiB: a few full-size images
	DefaultAuthHeader       = "Authorization"
	DefaultAuthScheme       = "Bearer"
	DefaultCacheSubdir      = "easel" // under os.UserCacheDir()
)

// Environment variables that override the file. An empty value counts as unset.
const (
	EnvComfyUIURL = "COMFYUI_URL"     // replaces comfyui.url: point one tools.yaml at another server
	EnvCacheDir   = "EASEL_CACHE_DIR" // replaces cache_dir
)

// Config is a loaded and validated tools.yaml. Every value is final: defaults are
// filled in, environment variables substituted and overrides applied, paths made
// absolute, so the rest of easel never looks at the environment or the file again.
type Config struct {
	File     string // the path it was loaded from, as given, for messages
	ComfyUI  ComfyUI
	CacheDir string // absolute; holds compiled modules and plugins built from Go source
	// Watch says whether `easel serve` reloads the tools when this file or a
	// plugin changes (the watch: key; true unless set to false).
	Watch bool
	Tools []Tool // in file order, names unique
	// Backends are the ComfyUI servers of a `backends:` list; empty when the
	// file uses the single `comfyui:` mapping. Use BackendList for both.
	Backends []Backend
	HTTP     HTTP // settings of serve --http
}

// ComfyUI is how easel reaches the ComfyUI server that plugins make requests to.
type ComfyUI struct {
	// URL is the server's base URL: absolute, http or https, without a trailing
	// slash, so API paths such as "/prompt" are appended as they are. It may carry a
	// path prefix for a server behind a reverse proxy.
	URL string
	// Auth is nil when requests go out without credentials.
	Auth *Auth
	// Timeout bounds one request, including reading the response.
	Timeout time.Duration
	// ConnectTimeout bounds dialing, so a server that is down fails fast even when
	// Timeout is long.
	ConnectTimeout time.Duration
	// MaxResponseBytes caps a response body, so a plugin cannot make the host buffer
	// an unbounded download.
	MaxResponseBytes int64
}

// Auth is the credential easel adds to every request to a ComfyUI behind an
// authenticating proxy. The secret never appears in tools.yaml: the file names the
// environment variable that holds it, and Parse reads it.
//
// # Notes
//
//   - String, GoString and LogValue redact Token, so printing a Config, logging it
//     with slog or formatting it with %#v cannot leak the secret; Token is also
//     excluded from JSON.
type Auth struct {
	Header   string // the request header, "Authorization" by default
	Scheme   string // put before the token with a space, "Bearer" by default; "" sends the token alone
	TokenEnv string // the environment variable the token was read from
	Token    string `json:"-"` // the secret; never print it
}

// HeaderValue is the value of the Header to send: "<Scheme> <Token>", or the Token
// alone when Scheme is empty.
func (a *Auth) HeaderValue() string {
	if a.Scheme == "" {
		return a.Token
	}
	return a.Scheme + " " + a.Token
}

// redacted is what the printers show instead of the token.
const redacted = "[REDACTED]"

// String describes the credential without its secret, e.g.
// "Authorization: Bearer [REDACTED] (from $COMFYUI_TOKEN)".
func (a Auth) String() string {
	v := redacted
	if a.Scheme != "" {
		v = a.Scheme + " " + v
	}
	return fmt.Sprintf("%s: %s (from $%s)", a.Header, v, a.TokenEnv)
}

// GoString keeps %#v from printing the token.
func (a Auth) GoString() string {
	return fmt.Sprintf("config.Auth{Header:%q, Scheme:%q, TokenEnv:%q, Token:%q}", a.Header, a.Scheme, a.TokenEnv, redacted)
}

// LogValue keeps slog from printing the token.
func (a Auth) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("header", a.Header),
		slog.String("scheme", a.Scheme),
		slog.String("token_env", a.TokenEnv),
		slog.String("token", redacted),
	)
}

// PluginKind says how a tool's plugin becomes a WebAssembly module. The zero value
// is no kind, so a Tool that did not come from Parse is recognisably incomplete.
type PluginKind int

const (
	// PluginWasm is a compiled .wasm file, loaded as is.
	PluginWasm PluginKind = iota + 1
	// PluginGoSource is a folder of Go source (package main) that easel builds into a
	// .wasm file, so a tool can be edited without a separate build step.
	PluginGoSource
	// PluginBuiltin is a bundled plugin embedded in the binary, named as
	// builtin:NAME; Path holds NAME. It needs neither the plugins/ source
	// nor the Go toolchain.
	PluginBuiltin
)

// String returns "wasm" or "go-source".
func (k PluginKind) String() string {
	switch k {
	case PluginWasm:
		return "wasm"
	case PluginGoSource:
		return "go-source"
	case PluginBuiltin:
		return "builtin"
	}
	return fmt.Sprintf("PluginKind(%d)", int(k))
}

// Tool is one MCP tool: a name and the plugin that implements it.
type Tool struct {
	// Name is the MCP tool name: ^[a-zA-Z0-9_-]{1,64}$, unique in the file. The
	// plugin must describe itself under this name.
	Name string
	// Plugin is the plugin path as written, for messages.
	Plugin string
	// Path is Plugin resolved against the configuration file's folder, absolute;
	// for a builtin: plugin, the bundled plugin's name.
	Path string
	// Kind says whether Path is a .wasm file or a folder of Go source.
	Kind PluginKind
	// Config is the entry's config mapping as compact JSON, handed to the plugin; {}
	// when absent. Keys keep their file order; YAML numbers, booleans and nulls keep
	// their type, everything else is a string.
	Config json.RawMessage
	// Files are the files the plugin may read, by name (the `files:` mapping):
	// absolute paths of regular files, checked at load. A plugin gets no other
	// filesystem access; this is how a generic workflow plugin reads its
	// workflow without being able to read anything else.
	Files map[string]string
	// Permissions are what the plugin may do besides computing (the
	// `permissions:` mapping): ComfyUI routes, job waiting, outbound hosts,
	// client features. Never nil after Parse; an entry without the key gets
	// nothing, so a plugin that needs ComfyUI fails until it is granted.
	Permissions *policy.Permissions
	// SHA256 pins the plugin's WebAssembly module: lower-case hex, "" when
	// not pinned. For a Go-source plugin it pins the built module, which
	// depends on the Go toolchain; pin .wasm files for releases.
	SHA256 string
	// BackendLabels are the labels a backend must carry for this tool's new
	// jobs to go to it (the entry's `backend_labels:` mapping); nil means any
	// backend.
	BackendLabels map[string]string
	// Limits bound the plugin's time, memory, output, ComfyUI responses and
	// concurrency (the `limits:` mapping); zero fields mean the defaults.
	Limits Limits
	// Pos is where the entry starts, for problems found after loading.
	Pos Pos
}

// Load reads and parses the configuration file at path; see Parse. Relative plugin
// paths are resolved against the file's folder, not the working directory, so
// easel can be started from anywhere.
//
// A configuration file that does not exist yields a *NotFoundError, so a
// caller can tell it from a file the configuration names that does not
// exist (a plugin folder, a workflow): both wrap fs.ErrNotExist, and only
// the first may mean "use a default configuration".
func Load(path string, env Env) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load configuration: %w", &NotFoundError{Path: path, Err: err})
	}
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	return Parse(data, path, env)
}

// NotFoundError is Load's error for a configuration file that does not
// exist.
type NotFoundError struct {
	Path string
	Err  error // the error reading it, wrapping fs.ErrNotExist
}

func (e *NotFoundError) Error() string { return e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

// IsNotFound reports whether err says the configuration file itself does
// not exist (not a file it names).
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// Parse decodes and validates a tools.yaml document. file names the document in
// messages and positions, and its folder is where relative paths start ("" means
// the working directory). env supplies ${VAR} substitutions, the token and the
// overrides; Parse does not read the process environment, except through
// os.UserCacheDir for the default cache folder.
//
// An invalid document yields a nil Config and an Errors listing every problem
// found, one per line, in file order.
func Parse(data []byte, file string, env Env) (*Config, error) {
	d := newDecoder(file, env)
	cfg := d.document(data)
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	return cfg, nil
}
