package config

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/easel-mcp/easel/host/httpguard"
	"gopkg.in/yaml.v3"
)

// HTTP configures `easel serve --http` (the http: mapping). Every field is
// optional; the zero value is a token-less server with the default limits,
// which easel serves only on a loopback address.
type HTTP struct {
	// TokenEnv names the environment variable holding the bearer token
	// (token_env), TokenFile the file holding it (token_file, absolute); at
	// most one is set.
	TokenEnv, TokenFile string
	// Token is the bearer token read from TokenEnv or TokenFile; empty when
	// neither is set.
	Token Secret
	// TokenAt is where the token's key is written, for messages.
	TokenAt Pos
	// AllowedHosts are host names accepted in Host and Origin besides the
	// loopback ones (allowed_hosts), e.g. the name a reverse proxy forwards.
	AllowedHosts []string
	// AllowedOrigins are browser origins accepted (allowed_origins).
	AllowedOrigins []string
	// MaxBodyBytes caps a request body (max_body_bytes); zero means
	// httpguard.DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// TokenSource says where Token came from, without the token, e.g.
// "$EASEL_TOKEN (http.token_env, tools.yaml:12:14)".
func (h HTTP) TokenSource() string {
	switch {
	case h.TokenEnv != "":
		return "$" + h.TokenEnv + " (http.token_env, " + h.TokenAt.String() + ")"
	case h.TokenFile != "":
		return h.TokenFile + " (http.token_file, " + h.TokenAt.String() + ")"
	}
	return ""
}

// Secret is a credential. It prints, logs and marshals as [REDACTED], so a
// Config can be printed or logged whole; string(s) is the only way to the
// value.
type Secret string

// String returns [REDACTED], or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue keeps slog from printing the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps encoders (JSON, YAML) from writing the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// http decodes the http mapping. Its checks are httpguard's own, so that
// tools.yaml refuses at its line what the server would refuse at start.
func (d *decoder) http(n *yaml.Node, path string) HTTP {
	var h HTTP
	present, ok := d.mapping(n, path, fields{
		"token_env":       d.str(&h.TokenEnv),
		"token_file":      d.str(&h.TokenFile),
		"allowed_hosts":   d.stringList(&h.AllowedHosts, httpguard.CheckHost),
		"allowed_origins": d.stringList(&h.AllowedOrigins, httpguard.CheckOrigin),
		"max_body_bytes":  d.byteSize(&h.MaxBodyBytes),
	})
	if !ok {
		return h
	}
	envAt, fileAt := present["token_env"], present["token_file"]
	switch {
	case envAt != nil && fileAt != nil:
		d.errorf(fileAt, join(path, "token_file"), "set token_env or token_file, not both")
	case envAt != nil:
		h.TokenAt = d.pos(envAt)
		h.Token = d.httpTokenFromEnv(envAt, join(path, "token_env"), h.TokenEnv)
	case fileAt != nil:
		h.TokenAt = d.pos(fileAt)
		h.TokenFile, h.Token = d.httpTokenFromFile(fileAt, join(path, "token_file"), h.TokenFile)
	}
	return h
}

// httpTokenFromEnv reads the bearer token from the variable name.
func (d *decoder) httpTokenFromEnv(at *yaml.Node, path, name string) Secret {
	if !validVarName(name) {
		d.errorf(at, path, "%q is not an environment variable name", name)
		return ""
	}
	tok, set := d.env.lookup(name)
	if !set || tok == "" {
		d.errorf(at, path, "environment variable %s is not set or empty (it must hold the HTTP bearer token)", name)
		return ""
	}
	if err := httpguard.CheckToken(tok); err != nil {
		d.wrapf(at, path, err, "environment variable %s: %v", name, err)
		return ""
	}
	return Secret(tok)
}

// httpTokenFromFile reads the bearer token from a file, resolved against
// the configuration's folder like plugin paths.
func (d *decoder) httpTokenFromFile(at *yaml.Node, path, file string) (string, Secret) {
	if file == "" {
		d.errorf(at, path, "token_file is empty")
		return "", ""
	}
	abs := file
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(d.dir, abs)
	}
	data, err := os.ReadFile(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.wrapf(at, path, err, "%s does not exist", show(file))
		return abs, ""
	case err != nil:
		d.wrapf(at, path, err, "cannot read %s: %v", show(file), causeOf(err))
		return abs, ""
	}
	tok := strings.TrimSpace(string(data))
	if err := httpguard.CheckToken(tok); err != nil {
		d.wrapf(at, path, err, "%s: %v", show(file), err)
		return abs, ""
	}
	return abs, Secret(tok)
}

// stringList returns a field function that stores a list of scalars in dst,
// reporting each item that check refuses at its own line.
func (d *decoder) stringList(dst *[]string, check func(string) error) func(*yaml.Node, string) {
	return func(v *yaml.Node, path string) {
		for i, item := range d.sequence(v, path) {
			p := path + "[" + strconv.Itoa(i) + "]"
			s, ok := d.scalar(item, p)
			if !ok {
				continue
			}
			if err := check(s); err != nil {
				d.wrapf(item, p, err, "%s: %v", show(s), err)
				continue
			}
			*dst = append(*dst, s)
		}
	}
}
