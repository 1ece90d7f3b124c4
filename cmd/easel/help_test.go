package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runIn runs easel in-process with args and returns the exit code, stdout
// and stderr.
func runIn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestEveryCommandHasAManualPage(t *testing.T) {
	sections := []string{"NAME\n", "SYNOPSIS\n", "DESCRIPTION\n", "OPTIONS\n", "EXIT STATUS\n", "EXAMPLES\n"}
	for _, c := range commands() {
		name := c.page.name
		t.Run(name, func(t *testing.T) {
			for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}} {
				code, out, errOut := runIn(t, args...)
				if code != exitOK {
					t.Fatalf("easel %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
				}
				last := -1
				for _, s := range sections {
					i := strings.Index(out, s)
					if i <= last {
						t.Fatalf("easel %s: section %q missing or out of order in\n%s", strings.Join(args, " "), s, out)
					}
					last = i
				}
				if !strings.Contains(out, "easel "+name+" - ") || !strings.Contains(out, "    0  ") {
					t.Errorf("easel %s: NAME line or exit status 0 missing:\n%s", strings.Join(args, " "), out)
				}
			}
			code, _, errOut := runIn(t, name, "--no-such-flag")
			if code != exitUsage || !strings.Contains(errOut, "easel "+name+" --help") {
				t.Errorf("bad flag: exit %d, stderr %q; want 2 and a pointer to --help", code, errOut)
			}
		})
	}
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		out, err string
	}{
		{args: nil, code: exitUsage, err: "Commands:"},
		{args: []string{"--help"}, code: exitOK, out: "Commands:"},
		{args: []string{"frobnicate"}, code: exitUsage, err: `unknown command "frobnicate"`},
		{args: []string{"help", "frobnicate"}, code: exitUsage, err: `unknown command "frobnicate"`},
		{args: []string{"version"}, code: exitOK, out: "abi       1 (host module easel_v1)"},
		{args: []string{"--version"}, code: exitOK, out: "easel "},
		{args: []string{"version", "extra"}, code: exitUsage, err: `unexpected argument "extra"`},
		{args: []string{"serve", "--log-level", "loud"}, code: exitUsage, err: "--log-level"},
	}
	for _, tt := range tests {
		code, out, errOut := runIn(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
			t.Errorf("easel %v: exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout with %q, stderr with %q", tt.args, code, out, errOut, tt.code, tt.out, tt.err)
		}
	}
}
