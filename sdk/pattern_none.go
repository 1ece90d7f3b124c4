//go:build easel_nopattern

package sdk

import "errors"

// compilePattern refuses every pattern tag: this plugin was built without
// regexp (see pattern.go).
func compilePattern(string) (pattern, error) {
	return nil, errors.New("pattern tags need regexp, which a plugin built with -tags easel_nopattern leaves out")
}
