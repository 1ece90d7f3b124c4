package main

import (
	"fmt"
	"io"
	"net/http"
)

// httpGetter reads the emulator directly, for checks the tool does not make.
type httpGetter struct{ base string }

func (g *httpGetter) get(path string) ([]byte, error) {
	resp, err := http.Get(g.base + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}
