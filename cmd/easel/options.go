package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/config"
)

// defaultConfig is the configuration every command reads unless --config
// names another.
const defaultConfig = "tools.yaml"

// configFlag declares --config.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", defaultConfig, "read the tools and the ComfyUI address from `FILE`")
}

// logFlags declares --log-level and --log-format.
func logFlags(fs *flag.FlagSet, level string) (lvl, format *string) {
	lvl = fs.String("log-level", level, "log `LEVEL` on stderr: debug, info, warn or error")
	format = fs.String("log-format", "text", "log `FORMAT` on stderr: text or json")
	return lvl, format
}

// setup is what the commands that read tools.yaml share: --config,
// --log-level and --log-format, the operand count, the logger and the
// loaded configuration.
type setup struct {
	page                        manPage
	fs                          *flag.FlagSet
	config, logLevel, logFormat *string
}

// newSetup declares the shared flags; the command adds its own to fs
// before calling load.
func newSetup(p manPage, defaultLevel string) *setup {
	s := &setup{page: p, fs: newFlags(p)}
	s.config = configFlag(s.fs)
	s.logLevel, s.logFormat = logFlags(s.fs, defaultLevel)
	return s
}

// started is a command's parsed start.
type started struct {
	operands []string
	cfg      *config.Config
	logger   *slog.Logger
}

// load parses args, checks that there are minOps to maxOps operands, and
// loads the logger and the configuration. When ok is false the command
// exits with code (the manual was printed, or the problem explained).
func (s *setup) load(args []string, io stdio, minOps, maxOps int) (st started, code int, ok bool) {
	st.operands, code, ok = parse(s.page, s.fs, args, io)
	if !ok {
		return st, code, false
	}
	switch n := len(st.operands); {
	case n > maxOps && maxOps == 0:
		return st, usageError(s.page, io, fmt.Sprintf("unexpected argument %q", st.operands[0])), false
	case n < minOps || n > maxOps:
		return st, usageError(s.page, io, fmt.Sprintf("want %d to %d arguments, got %d", minOps, maxOps, n)), false
	}
	var err error
	if st.logger, err = newLogger(io.err, *s.logLevel, *s.logFormat); err != nil {
		return st, usageError(s.page, io, err.Error()), false
	}
	if st.cfg, ok = loadConfig(*s.config, io); !ok {
		return st, exitUsage, false
	}
	return st, exitOK, true
}

// loadConfig loads the configuration, printing why it cannot to stderr.
func loadConfig(path string, io stdio) (*config.Config, bool) {
	cfg, usedBundled, err := loadOrBundled(path)
	if usedBundled {
		// An installed binary run anywhere: serve the bundled tools, as a
		// checkout's tools.yaml would, and say how to change them.
		fmt.Fprintf(io.err, "easel: no %s in the working directory: using the bundled tools (easel init writes them to %s to edit; --config FILE reads another)\n", defaultConfig, defaultConfig)
	}
	if err != nil {
		fmt.Fprintln(io.err, err)
		return nil, false
	}
	return cfg, true
}

// loadOrBundled loads the configuration at path or, when path is the
// default and there is no such file, the bundled tool set, which every
// command then uses as serve does.
func loadOrBundled(path string) (cfg *config.Config, usedBundled bool, err error) {
	cfg, err = config.Load(path, os.LookupEnv)
	if !config.IsNotFound(err) || path != defaultConfig {
		return cfg, false, err
	}
	cfg, err = config.Parse(bundled.DefaultConfig(), bundled.DefaultConfigName, os.LookupEnv)
	return cfg, true, err
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

// isTerminal reports whether w is a character device (a terminal), where
// progress lines help; in a pipe or a file they are noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
