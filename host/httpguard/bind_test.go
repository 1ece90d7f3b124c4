package httpguard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckBind(t *testing.T) {
	tests := []struct {
		addr     string
		hasToken bool
		exposed  bool
	}{
		{"127.0.0.1:8765", false, false},
		{"127.0.0.5:8765", false, false},
		{"localhost:0", false, false},
		{"[::1]:8765", false, false},
		{":8765", false, true},
		{"0.0.0.0:8765", false, true},
		{"[::]:8765", false, true},
		{"192.168.1.5:8765", false, true},
		{"0.0.0.0:8765", true, false},
		{":8765", true, false},
	}
	for _, tt := range tests {
		err := CheckBind(context.Background(), tt.addr, tt.hasToken)
		if got := errors.Is(err, ErrExposed); got != tt.exposed {
			t.Errorf("CheckBind(%q, token=%v) = %v, want exposed=%v", tt.addr, tt.hasToken, err, tt.exposed)
		}
		if tt.exposed && !strings.Contains(err.Error(), tt.addr) {
			t.Errorf("error %q does not name the address", err)
		}
	}
}

func TestCheckToken(t *testing.T) {
	tests := []struct {
		token string
		want  string // "" means valid
	}{
		{testToken, ""},
		{"short", "is 5 characters long; use at least 16"},
		{"", "is 0 characters long"},
		{"0123456789abcdef 0123", "space or control character"},
		{"0123456789abcdef\n0123", "space or control character"},
	}
	for _, tt := range tests {
		err := CheckToken(tt.token)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckToken(%q) = %v, want nil", tt.token, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckToken(%q) = %v, want %q", tt.token, err, tt.want)
		case err != nil && tt.token != "" && strings.Contains(err.Error(), tt.token):
			t.Errorf("the error shows the token: %v", err)
		}
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "token")
	os.WriteFile(good, []byte(testToken+"\n"), 0o600)
	if tok, err := ReadTokenFile(good); err != nil || tok != testToken {
		t.Errorf("ReadTokenFile = %q, %v; want the token without its line break", tok, err)
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	if _, err := ReadTokenFile(short); err == nil || !strings.Contains(err.Error(), short) {
		t.Errorf("short token: %v, want an error naming the file", err)
	}
	if _, err := ReadTokenFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}
