package bundled

import (
	"bytes"
	_ "embed"
)

//go:embed tools.yaml
var defaultConfig []byte

// DefaultConfigName is how messages name DefaultConfig, which has no file.
const DefaultConfigName = "(built-in tools.yaml)"

// DefaultConfig returns the tools.yaml easel serves when there is none: the
// bundled tools as builtin: plugins, each with the least permissions it
// needs, against ComfyUI's default address. It is the repository's own
// tools.yaml with every plugins/NAME replaced by builtin:NAME (a test keeps
// the two in step), so an installed binary behaves like a checkout.
// `easel init` writes it out for editing.
func DefaultConfig() []byte { return bytes.Clone(defaultConfig) }
