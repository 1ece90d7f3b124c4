package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// manPage is a subcommand's manual, printed by `easel CMD --help` and
// `easel help CMD` in the sections of a Unix manual page. OPTIONS come
// from the command's flag set, so they cannot drift from what it parses.
type manPage struct {
	name     string   // the subcommand, e.g. "build"
	summary  string   // one line for NAME and the overview
	synopsis []string // usage lines, each after "easel "
	// description and examples are pre-wrapped text; each line is indented
	// when printed.
	description string
	// exitStatus says what 0, 1 and 2 mean for this command.
	exitStatus [3]string
	examples   string
}

const indent = "    "

// write prints the whole manual page; fs may be nil for a command
// without options.
func (p manPage) write(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "NAME\n%seasel %s - %s\n\n", indent, p.name, p.summary)
	fmt.Fprintf(w, "SYNOPSIS\n")
	for _, s := range p.synopsis {
		fmt.Fprintf(w, "%seasel %s\n", indent, s)
	}
	fmt.Fprintf(w, "\nDESCRIPTION\n%s\n", indented(p.description))
	fmt.Fprintf(w, "OPTIONS\n")
	writeOptions(w, fs)
	fmt.Fprintf(w, "\nEXIT STATUS\n")
	for code, meaning := range p.exitStatus {
		if meaning != "" {
			fmt.Fprintf(w, "%s%d  %s\n", indent, code, meaning)
		}
	}
	fmt.Fprintf(w, "\nEXAMPLES\n%s", indented(p.examples))
}

// writeOptions lists fs's flags as --name ARG (a one-letter flag as -o
// ARG, as synopses and examples write it), with the usage text and default
// below.
func writeOptions(w io.Writer, fs *flag.FlagSet) {
	n := 0
	if fs != nil {
		fs.VisitAll(func(f *flag.Flag) {
			n++
			arg, usage := flag.UnquoteUsage(f)
			dashes := "--"
			if len(f.Name) == 1 {
				dashes = "-"
			}
			fmt.Fprintf(w, "%s%s%s", indent, dashes, f.Name)
			if arg != "" {
				fmt.Fprintf(w, " %s", strings.ToUpper(arg))
			}
			fmt.Fprintf(w, "\n%s%s%s", indent, indent, usage)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
	if n == 0 {
		fmt.Fprintf(w, "%sNone.\n", indent)
	}
}

// indented indents every non-empty line of text and ends it with a newline.
func indented(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.Trim(text, "\n"), "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString(indent)
			b.WriteString(line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// newFlags returns an empty flag set for the command; parse reads it.
func newFlags(p manPage) *flag.FlagSet {
	fs := flag.NewFlagSet("easel "+p.name, flag.ContinueOnError)
	fs.Usage = func() {} // parse prints the page or a hint instead
	return fs
}

// parse parses args into fs, allowing flags after positional arguments
// (`easel call TOOL '{}' --json`), and returns the positional arguments.
// For -h it prints the manual page to stdout; for a bad flag, a hint to
// stderr. ok is false when the command should exit with code.
func parse(p manPage, fs *flag.FlagSet, args []string, io stdio) (pos []string, code int, ok bool) {
	fs.SetOutput(io.err)
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			p.write(io.out, fs)
			return nil, exitOK, false
		}
		if err != nil {
			return nil, usageError(p, io, ""), false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), 0, true
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// usageError prints msg (if any) and the synopsis to stderr and returns
// exitUsage.
func usageError(p manPage, io stdio, msg string) int {
	if msg != "" {
		fmt.Fprintf(io.err, "easel %s: %s\n", p.name, msg)
	}
	fmt.Fprintln(io.err, "usage:")
	for _, s := range p.synopsis {
		fmt.Fprintf(io.err, "  easel %s\n", s)
	}
	fmt.Fprintf(io.err, "Run 'easel %s --help' for the manual.\n", p.name)
	return exitUsage
}

// overview is what `easel` alone and `easel --help` print.
func overview() string {
	var b strings.Builder
	b.WriteString("easel - an MCP server for ComfyUI whose tools are WebAssembly plugins\n\nUsage:\n  easel COMMAND [options] [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s  %s\n", c.page.name, c.page.summary)
	}
	b.WriteString("\nRun 'easel help COMMAND' or 'easel COMMAND --help' for its manual page.\n")
	b.WriteString("Exit status: 0 success, 1 failure, 2 usage or configuration error.\n")
	return b.String()
}

var helpCommand = manPage{
	name:     "help",
	summary:  "print the manual page of a command",
	synopsis: []string{"help [COMMAND]"},
	description: `
Prints the manual page of COMMAND, the same text as 'easel COMMAND --help',
or the list of commands without an argument.`,
	exitStatus: [3]string{"success", "", "unknown command"},
	examples: `
easel help build
easel help | less`,
}

func runHelp(ctx context.Context, io stdio, args []string) int {
	fs := newFlags(helpCommand)
	pos, code, ok := parse(helpCommand, fs, args, io)
	if !ok {
		return code
	}
	switch len(pos) {
	case 0:
		fmt.Fprint(io.out, overview())
		return exitOK
	case 1:
		c, found := lookup(pos[0])
		if !found {
			return usageError(helpCommand, io, fmt.Sprintf("unknown command %q", pos[0]))
		}
		return c.run(ctx, io, []string{"--help"})
	}
	return usageError(helpCommand, io, "too many arguments")
}
