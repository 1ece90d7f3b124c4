package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Pos is a place in a configuration file. Tools keep theirs so that problems found
// after loading (a plugin that does not build, a description that claims another
// name) can still point the operator at the entry that declared them.
type Pos struct {
	File   string // the path as given to Load or Parse
	Line   int    // 1-based; 0 when the problem concerns the whole file
	Column int    // 1-based; 0 when unknown
}

// String returns "file:line", the form editors and terminals turn into links. The
// column is left out: one line of a configuration file is short enough to scan.
// Without a line it is just the file; without a file it is "line N".
func (p Pos) String() string {
	switch {
	case p.Line <= 0 && p.File == "":
		return "<config>"
	case p.Line <= 0:
		return p.File
	case p.File == "":
		return "line " + strconv.Itoa(p.Line)
	default:
		return p.File + ":" + strconv.Itoa(p.Line)
	}
}

// Error is one problem in a configuration file. Parse reports every problem it finds
// rather than the first, so an operator fixes the file in one pass; each problem keeps
// its position and the dotted path of the value so tests and tools can inspect it
// without parsing messages.
type Error struct {
	Pos  Pos
	Path string // where in the document, e.g. "tools[1].name"; "" for the top level
	Msg  string // what is wrong and, where it helps, what to write instead
	Err  error  // the underlying cause, if any (a *os.PathError, a strconv error, ...)
}

// Error returns "file:line: path: message", or "file:line: message" at the top level.
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Path + ": " + e.Msg
}

// Unwrap returns the underlying cause, so errors.Is(err, fs.ErrNotExist) works.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem Parse found in one file, sorted by position. It is the
// error Parse and Load return for an invalid file; get at it with errors.As.
type Errors []*Error

// Error lists the problems one per line, in file order, so startup prints them as
// the operator will fix them.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.Is and errors.As; errors.As(err, &e) with
// e a *Error finds the first problem.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// sort orders the problems by line, then column; problems on the same spot keep the
// order they were found in, which follows the document.
func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
}

// suggest returns the known key closest to an unknown one, or "" when none is within
// two edits: close enough to be a typo, far enough not to suggest nonsense.
func suggest(unknown string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known { // known is sorted, so ties go to the first alphabetically
		if len(unknown) > len(k)+2 || len(k) > len(unknown)+2 {
			continue // cannot be within two edits; skip the quadratic work
		}
		if d := editDistance(strings.ToLower(unknown), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes: keys are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
