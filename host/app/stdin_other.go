//go:build !unix

package app

import (
	"io"
	"os"
)

// pollableStdin is os.Stdin where descriptors cannot be switched to
// non-blocking mode (see stdin_unix.go).
func pollableStdin() io.Reader { return os.Stdin }
