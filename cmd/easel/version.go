package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/easel-mcp/easel/host/plugin"
)

var versionCommand = manPage{
	name:     "version",
	summary:  "print the version, the Go version and the plugin ABI",
	synopsis: []string{"version"},
	description: `
Prints easel's module version (a release tag for 'go install ...@v1.2.3', a
pseudo-version or "(devel)" for a build from a checkout), the VCS revision
when the binary was built from a repository, the Go toolchain that built
it, and the plugin ABI it serves: plugins import host functions from the
module named there and describe themselves with that "abi" number.

The first line, "easel VERSION", is stable for scripts.`,
	exitStatus: [3]string{"success", "", "usage error"},
	examples: `
easel version
easel version | head -1`,
}

func runVersion(_ context.Context, io stdio, args []string) int {
	fs := newFlags(versionCommand)
	pos, code, ok := parse(versionCommand, fs, args, io)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(versionCommand, io, fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	fmt.Fprintf(io.out, "easel %s\n", version())
	info, _ := debug.ReadBuildInfo()
	if info != nil {
		fmt.Fprintf(io.out, "module    %s %s\n", info.Main.Path, orUnknown(info.Main.Version))
		if rev := buildSetting(info, "vcs.revision"); rev != "" {
			if buildSetting(info, "vcs.modified") == "true" {
				rev += " (modified)"
			}
			fmt.Fprintf(io.out, "revision  %s %s\n", rev, buildSetting(info, "vcs.time"))
		}
	}
	fmt.Fprintf(io.out, "go        %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(io.out, "abi       %d (host module %s)\n", plugin.ABIVersion, plugin.HostModule)
	return exitOK
}

// version is the module version the binary was built from, or "dev".
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

func buildSetting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
