package sdk

// pattern is a compiled pattern tag: a string argument must contain a
// match of it.
//
// Go's regexp, with its syntax parser and Unicode tables, is about a
// tenth of a Go plugin's code, and so of the machine code wazero compiles
// before a plugin's first call on a fresh machine. A plugin that uses no
// pattern tag can leave it out: built with -tags easel_nopattern, the SDK
// does not import regexp, and a pattern tag is an error when the tool
// registers. easel's bundled plugins are built so (host/bundled/gen);
// plugins built by `easel build` or `easel serve` from Go source are not.
type pattern interface {
	MatchString(s string) bool
	String() string
}
