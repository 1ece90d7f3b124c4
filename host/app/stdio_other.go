//go:build !unix

package app

import (
	"io"
	"os"
)

// pollableStdio is stdin and stdout where descriptors cannot be switched
// to non-blocking mode (see stdin_unix.go).
func pollableStdio() (io.Reader, io.Writer) { return os.Stdin, os.Stdout }
