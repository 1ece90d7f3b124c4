package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/easel-mcp/easel/host/config"
)

var newCommand = manPage{
	name:     "new",
	summary:  "scaffold a Go plugin that builds and passes its test at once",
	synopsis: []string{"new [--config FILE] [--dir DIR] NAME"},
	description: `
Creates the folder DIR (default ./NAME) holding a working plugin for the
tool NAME:

  main.go         the tool, written with the Go SDK: an input and an output
                  struct (their JSON Schemas are derived from the fields)
                  and a handler that asks ComfyUI for its queue
  main_test.go    tests that run the plugin against the ComfyUI emulator
                  with host/plugintest: one line of setup, a normal go test

and declares the tool in tools.yaml (--config), with the permissions the
generated code needs, so that 'easel serve' serves it at once. When the
file does not exist, or its tools: list is not at the end of the file, the
entry is printed to add by hand instead.

NAME becomes the MCP tool name: lower-case letters, digits and
underscores, starting with a letter (as the bundled tools are named).

The folder must be inside a Go module that requires
github.com/easel-mcp/easel; easel says what to run when it is not.`,
	exitStatus: [3]string{
		"the plugin was created",
		"a file could not be written",
		"usage error: a bad NAME, a NAME tools.yaml declares already, DIR exists already, or an invalid tools.yaml (nothing is created)",
	},
	examples: `
easel new count_jobs
cd count_jobs && go test && easel call count_jobs '{"with_version": true}'
easel new --dir plugins/upscale upscale_image`,
}

//go:embed scaffold/*.tmpl
var scaffold embed.FS

// pluginName is what easel new accepts: a tool name that is also a
// readable folder and Go identifier fragment.
var pluginName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func runNew(_ context.Context, io stdio, args []string) int {
	fs := newFlags(newCommand)
	configPath := configFlag(fs)
	dir := fs.String("dir", "", "create the plugin in `DIR` (default ./NAME)")
	pos, code, ok := parse(newCommand, fs, args, io)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(newCommand, io, "want exactly one NAME")
	}
	name := pos[0]
	if !pluginName.MatchString(name) {
		return usageError(newCommand, io, fmt.Sprintf("%q is not a tool name: use lower-case letters, digits and _, starting with a letter (e.g. count_jobs)", name))
	}
	if *dir == "" {
		*dir = name
	}
	if _, err := os.Stat(*dir); err == nil {
		return usageError(newCommand, io, fmt.Sprintf("%s exists already; pick another NAME or --dir", *dir))
	}
	if code := checkNameFree(io, *configPath, name); code != exitOK {
		return code
	}
	files, err := writeScaffold(*dir, name)
	if err != nil {
		fmt.Fprintln(io.err, "easel new:", err)
		return exitFailure
	}
	fmt.Fprintf(io.out, "created %s\n", strings.Join(files, ", "))
	if code := declareTool(io, *configPath, *dir, name); code != exitOK {
		return code
	}
	moduleAdvice(io, *dir)
	fmt.Fprintln(io.out, "\nnext:")
	for _, step := range [][2]string{
		{"cd " + *dir + " && go test", "the plugin against the ComfyUI emulator"},
		{"easel call " + name + " '{}'", "once against your ComfyUI"},
		{"easel serve", "served with the other tools"},
	} {
		fmt.Fprintf(io.out, "  %-36s # %s\n", step[0], step[1])
	}
	return exitOK
}

// writeScaffold renders the templates into dir and returns the files.
func writeScaffold(dir, name string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmpls, err := fs.Glob(scaffold, "scaffold/*.tmpl")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, tmpl := range tmpls {
		t, err := template.ParseFS(scaffold, tmpl)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, struct{ Name string }{name}); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, strings.TrimSuffix(filepath.Base(tmpl), ".tmpl"))
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

// checkNameFree refuses, before anything is written, a NAME that the
// configuration declares already, and a configuration that does not load
// (the entry could not be added to it): otherwise the files would be
// created and easel new would still fail.
func checkNameFree(io stdio, configPath, name string) int {
	data, err := os.ReadFile(configPath)
	if errors.Is(err, fs.ErrNotExist) {
		return exitOK // the entry is printed for the user's own tools.yaml
	}
	if err != nil {
		fmt.Fprintln(io.err, "easel new:", err)
		return exitFailure
	}
	cfg, err := config.Parse(data, configPath, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(io.err, "easel new: %s is not valid, so the tool could not be declared in it; nothing was created:\n%v\n", configPath, err)
		return exitUsage
	}
	for _, t := range cfg.Tools {
		if t.Name == name {
			return usageError(newCommand, io, fmt.Sprintf("%s declares a tool named %s already (%s, plugin %s); pick another NAME", configPath, name, t.Pos, t.Plugin))
		}
	}
	return exitOK
}

// scaffoldPermissions is the grant the generated code needs.
const scaffoldPermissions = "comfyui: [GET /queue, GET /system_stats]"

// declareTool appends the tool's entry to the configuration when that is
// safe, and prints it otherwise.
func declareTool(io stdio, configPath, dir, name string) int {
	data, err := os.ReadFile(configPath)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(io.out, "\nno %s here; declare the tool in your tools.yaml:\n%s", configPath, toolEntry("  ", name, dir))
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(io.err, "easel new:", err)
		return exitFailure
	}
	updated, ok := appendEntry(string(data), name, relPlugin(configPath, dir))
	if !ok {
		fmt.Fprintf(io.out, "\n%s does not end with its tools: list; add this entry to it:\n%s", configPath, toolEntry("  ", name, relPlugin(configPath, dir)))
		return exitOK
	}
	if _, err := config.Parse([]byte(updated), configPath, os.LookupEnv); err != nil {
		fmt.Fprintf(io.err, "easel new: %s would not be valid with the new entry, so it was left alone:\n%v\n", configPath, err)
		return exitUsage
	}
	if err := os.WriteFile(configPath, []byte(updated), 0o644); err != nil {
		fmt.Fprintln(io.err, "easel new:", err)
		return exitFailure
	}
	fmt.Fprintf(io.out, "declared %s in %s, granted %s\n", name, configPath, scaffoldPermissions)
	return exitOK
}

// toolEntry is the tools.yaml entry, each line starting with indent.
func toolEntry(indent, name, plugin string) string {
	return fmt.Sprintf("%s- name: %s\n%s  plugin: %s\n%s  permissions:\n%s    %s\n",
		indent, name, indent, plugin, indent, indent, scaffoldPermissions)
}

// appendEntry adds the entry at the end of a tools.yaml whose last
// top-level key is tools:, indented as its other entries are. ok is false
// when the file has another shape, which a text append could break.
func appendEntry(doc, name, plugin string) (string, bool) {
	lines := strings.Split(strings.TrimRight(doc, "\n"), "\n")
	last, indent := "", "  "
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if l[0] != ' ' && l[0] != '-' {
			last = strings.TrimSpace(strings.SplitN(l, ":", 2)[0])
		}
		if last == "tools" && strings.HasPrefix(trimmed, "- ") {
			indent = l[:len(l)-len(strings.TrimLeft(l, " "))]
		}
	}
	if last != "tools" {
		return doc, false
	}
	// "tools: []" or "tools:" with no entries gets a block list.
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "tools:") {
			lines[i] = "tools:"
			break
		}
	}
	return strings.Join(lines, "\n") + "\n" + toolEntry(indent, name, plugin), true
}

// relPlugin is dir as a plugin: path relative to the configuration's folder.
func relPlugin(configPath, dir string) string {
	if rel := relTo(filepath.Dir(configPath), dir); !filepath.IsAbs(rel) && !strings.HasPrefix(rel, "../") {
		return rel
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// easelModule is the module path a plugin's go.mod must require.
const easelModule = "github.com/easel-mcp/easel"

// moduleAdvice says what to run when dir is not in a Go module that can
// import the SDK.
func moduleAdvice(io stdio, dir string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			if advice := goModAdvice(string(data)); advice != "" {
				fmt.Fprintf(io.out, "\n%s/go.mod %s\n", d, advice)
			}
			return
		}
		if filepath.Dir(d) == d {
			fmt.Fprintf(io.out, "\n%s is not inside a Go module; run:\n  cd %s && go mod init example.com/%s && go get %s@latest\n", dir, dir, filepath.Base(abs), easelModule)
			return
		}
	}
}

// goModAdvice is what to tell the author of a module with this go.mod, or
// "" when it can build the plugin: it is easel itself or requires it. A
// replace directive alone is not enough ("replaced but not required"),
// which is why the go.mod is parsed rather than searched.
func goModAdvice(gomod string) string {
	mod := parseGoMod(gomod)
	switch {
	case mod.module == easelModule || mod.requires[easelModule]:
		return ""
	case mod.replaces[easelModule]:
		// go get would look easel up in the proxy, past the replacement;
		// tidy adds the requirement the replacement satisfies.
		return "replaces easel but does not require it yet; run:\n  go mod tidy"
	}
	return "does not require easel yet; run:\n  go get " + easelModule + "@latest"
}

// goMod is what goModAdvice needs of a go.mod file.
type goMod struct {
	module   string
	requires map[string]bool // module paths of require directives
	replaces map[string]bool // module paths replaced (the left-hand side)
}

// parseGoMod reads the module, require and replace directives of a go.mod,
// single-line or in ( ) blocks, ignoring comments and other directives.
// (golang.org/x/mod/modfile would do it, but easel does not depend on it;
// these three directives are a few lines of grammar.)
func parseGoMod(text string) goMod {
	mod := goMod{requires: map[string]bool{}, replaces: map[string]bool{}}
	block := "" // the directive of the ( ) block being read, if any
	for line := range strings.SplitSeq(text, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if block != "" {
			if fields[0] == ")" {
				block = ""
				continue
			}
			mod.add(block, fields)
			continue
		}
		verb, rest := fields[0], fields[1:]
		if v, open := strings.CutSuffix(verb, "("); open && v != "" {
			verb, rest = v, append([]string{"("}, rest...) // require(
		}
		if len(rest) > 0 && rest[0] == "(" {
			block = verb
			continue
		}
		mod.add(verb, rest)
	}
	return mod
}

// add records one directive: its verb and the fields after it.
func (mod *goMod) add(verb string, args []string) {
	if len(args) == 0 {
		return
	}
	path := unquoteModPath(args[0])
	switch verb {
	case "module":
		mod.module = path
	case "require":
		mod.requires[path] = true
	case "replace":
		mod.replaces[path] = true
	}
}

// unquoteModPath undoes the quoting go.mod allows around a module path.
func unquoteModPath(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '`') {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	return s
}
