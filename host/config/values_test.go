package config

import (
	"math"
	"strings"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string // a substring of the error
	}{
		{in: "1", want: 1},
		{in: "67108864", want: 64 << 20},
		{in: "64MiB", want: 64 << 20},
		{in: "64 MiB", want: 64 << 20},
		{in: " 1KiB ", want: 1024},
		{in: "3GiB", want: 3 << 30},
		{in: "100B", want: 100},
		{in: "9223372036854775807", want: math.MaxInt64},
		{in: "8589934591GiB", want: 8589934591 << 30},
		{in: "8589934592GiB", wantErr: "too large"},
		{in: "99999999999999999999", wantErr: "too large"},
		{in: "64MB", wantErr: "is not a byte size"},
		{in: "64mib", wantErr: "is not a byte size"},
		{in: "1.5GiB", wantErr: "is not a byte size"},
		{in: "MiB", wantErr: "is not a byte size"},
		{in: "", wantErr: "is not a byte size"},
		{in: "+5", wantErr: "is not a byte size"},
		{in: "0x10", wantErr: "is not a byte size"},
		{in: "0", wantErr: "is not a positive byte size"},
		{in: "-1KiB", wantErr: "is not a positive byte size"},
	}
	for _, tt := range tests {
		got, err := parseByteSize(tt.in)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("parseByteSize(%q) = %d, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		in, want, problem string
	}{
		{in: "http://127.0.0.1:8188", want: "http://127.0.0.1:8188"},
		{in: "https://comfy.example.com/", want: "https://comfy.example.com"},
		{in: "https://example.com/comfy//", want: "https://example.com/comfy"},
		{in: "http://[::1]:8188", want: "http://[::1]:8188"},
		{in: "HTTP://upper", want: "HTTP://upper"},
		{in: "127.0.0.1:8188", problem: "is not an absolute http or https URL"},
		{in: "localhost", problem: "is not an absolute http or https URL"},
		{in: "ftp://host", problem: "is not an absolute http or https URL"},
		{in: "http://", problem: "is not an absolute http or https URL"},
		{in: "http://:8188", problem: "is not an absolute http or https URL"},
		{in: "http:host", problem: "is not an absolute http or https URL"},
		{in: "http://[::1", problem: "is not an absolute http or https URL"},
		{in: "", problem: "is not an absolute http or https URL"},
		{in: "http://u:p@host", problem: "must not carry credentials"},
		{in: "http://host/?", problem: "must not have a query or fragment"},
		{in: "http://host/#top", problem: "must not have a query or fragment"},
	}
	for _, tt := range tests {
		got, problem := baseURL(tt.in)
		if got != tt.want || !strings.HasPrefix(problem, tt.problem) || (tt.problem == "") != (problem == "") {
			t.Errorf("baseURL(%q) = %q, %q; want %q, %q", tt.in, got, problem, tt.want, tt.problem)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://me:hunter2@host/", "http://me:xxxxx@host/"},
		{"http://host/", "http://host/"},
		{"not a url %", "not a url %"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidToolName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"get_job_status", true},
		{"Get-Queue-2", true},
		{"_", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"get job", false},
		{"get.job", false},
		{"gét", false},
		{"a/b", false},
	}
	for _, tt := range tests {
		if got := validToolName(tt.name); got != tt.want {
			t.Errorf("validToolName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestIsToken(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"Authorization", true},
		{"X-Api-Key", true},
		{"Bearer", true},
		{"", false},
		{"X Key", false},
		{"X:Key", false},
		{"Ké", false},
	}
	for _, tt := range tests {
		if got := isToken(tt.s); got != tt.want {
			t.Errorf("isToken(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
