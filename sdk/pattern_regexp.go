//go:build !easel_nopattern

package sdk

import "regexp"

// compilePattern compiles a pattern tag's expression (RE2 syntax).
func compilePattern(expr string) (pattern, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	return re, nil
}
