//go:build !((linux || darwin) && (amd64 || arm64))

package plugin

import "errors"

var pageSize = 1 << 16

// reserve is unavailable here: linear memory lives on the Go heap.
func reserve(uint64) ([]byte, error) { return nil, errors.New("no mmap on this platform") }

func commit([]byte) error { return errors.New("no mmap on this platform") }

func unmap([]byte) {}
