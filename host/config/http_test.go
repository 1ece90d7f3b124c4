package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const httpToken = "0123456789abcdef0123456789abcdef"

func TestHTTP(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "secrets", "token"), httpToken+"\n")
	writeFile(t, filepath.Join(dir, "secrets", "short"), "abc\n")
	env := MapEnv(map[string]string{"EASEL_CACHE_DIR": dir, "TOK": httpToken, "SHORT": "abc", "EMPTY": ""})
	tests := []struct {
		name string
		yaml string
		want HTTP   // compared when wantErr is empty
		errs string // expected error text, one problem per line
	}{
		{"absent", "tools: []\n", HTTP{}, ""},
		{"token from env", "http:\n  token_env: TOK\n",
			HTTP{TokenEnv: "TOK", Token: httpToken, TokenAt: Pos{Line: 2, Column: 14}}, ""},
		{"token from file", "http:\n  token_file: secrets/token\n",
			HTTP{TokenFile: filepath.Join(dir, "secrets", "token"), Token: httpToken, TokenAt: Pos{Line: 2, Column: 15}}, ""},
		{"lists and size", "http:\n  allowed_hosts: [easel.example.com, '::1']\n  allowed_origins:\n    - https://app.example.org\n  max_body_bytes: 4MiB\n",
			HTTP{AllowedHosts: []string{"easel.example.com", "::1"}, AllowedOrigins: []string{"https://app.example.org"}, MaxBodyBytes: 4 << 20}, ""},
		{"both token keys", "http:\n  token_env: TOK\n  token_file: secrets/token\n", HTTP{},
			"tools.yaml:3: http.token_file: set token_env or token_file, not both"},
		{"unset variable", "http:\n  token_env: NOPE\n", HTTP{},
			"tools.yaml:2: http.token_env: environment variable NOPE is not set or empty"},
		{"empty variable", "http:\n  token_env: EMPTY\n", HTTP{},
			"tools.yaml:2: http.token_env: environment variable EMPTY is not set or empty"},
		{"short token in env", "http:\n  token_env: SHORT\n", HTTP{},
			"tools.yaml:2: http.token_env: environment variable SHORT: the bearer token is 3 characters long; use at least 16"},
		{"bad variable name", "http:\n  token_env: 1X\n", HTTP{},
			`tools.yaml:2: http.token_env: "1X" is not an environment variable name`},
		{"missing file", "http:\n  token_file: secrets/none\n", HTTP{},
			"tools.yaml:2: http.token_file: secrets/none does not exist"},
		{"short token in file", "http:\n  token_file: secrets/short\n", HTTP{},
			"tools.yaml:2: http.token_file: secrets/short: the bearer token is 3 characters long"},
		{"bad list items", "http:\n  allowed_hosts: [ok.example, 'http://x.example', 'y.example:80']\n  allowed_origins: [app.example]\n", HTTP{},
			"tools.yaml:2: http.allowed_hosts[1]: http://x.example: want a host name without scheme or port\n" +
				"tools.yaml:2: http.allowed_hosts[2]: y.example:80: want a host name without scheme or port\n" +
				"tools.yaml:3: http.allowed_origins[0]: app.example: want scheme://host[:port]"},
		{"not a list", "http:\n  allowed_hosts: easel.example.com\n", HTTP{},
			`tools.yaml:2: http.allowed_hosts: expected a list, got "easel.example.com"`},
		{"unknown key", "http:\n  token: x\n", HTTP{}, `tools.yaml:2: http: unknown key "token"`},
		{"bad size", "http:\n  max_body_bytes: lots\n", HTTP{}, "tools.yaml:2: http.max_body_bytes:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, "tools.yaml")
			cfg, err := Parse([]byte(tt.yaml), file, env)
			if tt.errs != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tt.errs)
				}
				got := strings.ReplaceAll(err.Error(), file, "tools.yaml")
				for _, line := range strings.Split(tt.errs, "\n") {
					if !strings.Contains(got, line) {
						t.Errorf("errors\n%s\nlack\n%s", got, line)
					}
				}
				if strings.Contains(got, httpToken) {
					t.Errorf("an error shows the token: %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.TokenAt.Line != 0 {
				tt.want.TokenAt.File = file
			}
			if !reflect.DeepEqual(cfg.HTTP, tt.want) {
				t.Errorf("got  %#v\nwant %#v", cfg.HTTP, tt.want)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	h := HTTP{TokenEnv: "TOK", Token: httpToken}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "http", h, "token", h.Token)
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprint(h), fmt.Sprintf("%+v", h), fmt.Sprintf("%#v", h), fmt.Sprintf("%s", h.Token), logs.String(), string(j)} {
		if strings.Contains(out, httpToken) {
			t.Errorf("the token leaked: %s", out)
		}
		if !strings.Contains(out, redacted) {
			t.Errorf("no %s in %s", redacted, out)
		}
	}
	if string(h.Token) != httpToken {
		t.Error("string(Secret) must give the value")
	}
}
