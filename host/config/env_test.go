package config

import "testing"

func TestExpand(t *testing.T) {
	env := MapEnv(map[string]string{"HOST": "gpu", "EMPTY": "", "DOLLAR": "${HOST}", "PORT": "8188"})
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "plain", want: "plain"},
		{in: "", want: ""},
		{in: "${HOST}", want: "gpu"},
		{in: "http://${HOST}:${PORT}/x", want: "http://gpu:8188/x"},
		{in: "${EMPTY}", want: ""},
		{in: "${EMPTY:-fallback}", want: "fallback"},
		{in: "${UNSET:-fallback}", want: "fallback"},
		{in: "${UNSET:-}", want: ""},
		{in: "${HOST:-fallback}", want: "gpu"},
		{in: "${UNSET:-a:-b}", want: "a:-b"},
		{in: "$$", want: "$"},
		{in: "$${HOST}", want: "${HOST}"},
		{in: "$$$${HOST}", want: "$${HOST}"},
		{in: "$$${HOST}", want: "$gpu"},
		{in: "$HOME and 5$ and $", want: "$HOME and 5$ and $"},
		{in: "${DOLLAR}", want: "${HOST}"}, // values are not expanded again
		{in: "${UNSET}", wantErr: "environment variable UNSET is not set (write ${UNSET:-default} to give a default)"},
		{in: "a ${HOST", wantErr: `unterminated ${ in "${HOST" (write $$ for a literal $)`},
		{in: "${}", wantErr: `${}: "" is not a variable name (letters, digits and _, not starting with a digit; a fallback is written ${NAME:-default})`},
		{in: "${A-B}", wantErr: `${A-B}: "A-B" is not a variable name (letters, digits and _, not starting with a digit; a fallback is written ${NAME:-default})`},
		{in: "${A:-${B}}", wantErr: "${A:-${B}: a default cannot contain another ${...}"},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, env)
		switch {
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("expand(%q) error = %v, want %s", tt.in, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNilEnvIsEmpty(t *testing.T) {
	var env Env
	if v, ok := env.lookup("PATH"); ok || v != "" {
		t.Errorf("nil Env lookup(PATH) = %q, %v; want nothing", v, ok)
	}
	if _, err := expand("${PATH}", nil); err == nil {
		t.Errorf("expand with a nil Env found PATH")
	}
}

func TestValidVarName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"COMFYUI_TOKEN", true},
		{"_x1", true},
		{"a", true},
		{"", false},
		{"1A", false},
		{"A-B", false},
		{"A B", false},
		{"É", false},
	}
	for _, tt := range tests {
		if got := validVarName(tt.name); got != tt.want {
			t.Errorf("validVarName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
