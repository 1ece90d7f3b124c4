package config

import (
	"errors"
	"io/fs"
	"testing"
)

func TestPosString(t *testing.T) {
	tests := []struct {
		pos  Pos
		want string
	}{
		{Pos{File: "tools.yaml", Line: 12, Column: 3}, "tools.yaml:12"},
		{Pos{File: "/etc/easel/tools.yaml", Line: 1}, "/etc/easel/tools.yaml:1"},
		{Pos{File: "tools.yaml"}, "tools.yaml"},
		{Pos{Line: 4}, "line 4"},
		{Pos{}, "<config>"},
	}
	for _, tt := range tests {
		if got := tt.pos.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.pos, got, tt.want)
		}
	}
}

func TestErrorsError(t *testing.T) {
	at := func(line int) Pos { return Pos{File: "tools.yaml", Line: line} }
	tests := []struct {
		name string
		errs Errors
		want string
	}{
		{"top level", Errors{{Pos: at(1), Msg: "unknown key"}}, "tools.yaml:1: unknown key"},
		{"with path", Errors{{Pos: at(3), Path: "comfyui.timeout", Msg: "bad"}}, "tools.yaml:3: comfyui.timeout: bad"},
		{"one per line", Errors{{Pos: at(1), Msg: "a"}, {Pos: at(2), Path: "p", Msg: "b"}}, "tools.yaml:1: a\ntools.yaml:2: p: b"},
	}
	for _, tt := range tests {
		if got := tt.errs.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestErrorsSort(t *testing.T) {
	errs := Errors{
		{Pos: Pos{Line: 9, Column: 1}, Msg: "d"},
		{Pos: Pos{Line: 2, Column: 5}, Msg: "b"},
		{Pos: Pos{Line: 2, Column: 5}, Msg: "c"}, // same spot: stays after b
		{Pos: Pos{Line: 0}, Msg: "whole file"},
		{Pos: Pos{Line: 2, Column: 1}, Msg: "a"},
	}
	errs.sort()
	var got string
	for _, e := range errs {
		got += e.Msg + ";"
	}
	if want := "whole file;a;b;c;d;"; got != want {
		t.Errorf("sorted = %s, want %s", got, want)
	}
}

func TestErrorUnwrap(t *testing.T) {
	e := &Error{Pos: Pos{File: "f", Line: 1}, Msg: "x does not exist", Err: fs.ErrNotExist}
	var err error = Errors{e}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(Errors{...}, fs.ErrNotExist) = false")
	}
	var got *Error
	if !errors.As(err, &got) || got != e {
		t.Errorf("errors.As(Errors{e}, *Error) = %v, want e", got)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"cache_dir", "comfyui", "tools"}
	tests := []struct {
		unknown, want string
	}{
		{"tool", "tools"},
		{"Tools", "tools"},
		{"comfy", "comfyui"},
		{"comfyiu", "comfyui"},
		{"cachedir", "cache_dir"},
		{"cache-dir", "cache_dir"},
		{"plugins", ""},
		{"x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.unknown, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.unknown, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"plugin", "plugn", 1},
		{"plugin", "pluign", 2},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
