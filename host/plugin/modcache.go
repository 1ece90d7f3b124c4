package plugin

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/easel-mcp/easel/host/plugin/internal/instrument"
)

// moduleCache keeps instrumented modules on disk, beside wazero's
// compilation cache, by the digest of the module they were made from and
// the options: wazero's cache skips compiling, but the rewrite before it
// (tens of milliseconds of CPU for a Go plugin, on every load) would
// otherwise run on every start. A zero moduleCache caches nothing.
//
// An entry is a header (magic, length, CRC-32C of the module) and the
// module. A truncated or corrupted entry fails the check and is made
// again; entries are written to a temporary file and renamed, so
// concurrent writers (two easels starting at once) each replace it whole.
type moduleCache struct {
	dir string
}

// moduleMagic starts every entry; the digit changes with the entry format.
var moduleMagic = [8]byte{0, 'e', 'a', 's', 'e', 'l', 'i', '1'}

const moduleHeader = len(moduleMagic) + 8 + 4 // magic, length, CRC-32C

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// moduleKey names the instrumented form of the module with this SHA-256
// under these options and this version of the rewrite.
func moduleKey(digest string, o instrument.Options) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "easel-instrumented\x00%d\x00%s\x00%s\x00%s\x00%d\x00%d",
		instrument.Version, digest, o.ImportModule, o.ImportName, o.Fuel, o.MaxMemoryPages))
	return hex.EncodeToString(sum[:])
}

func (c moduleCache) path(key string) string {
	return filepath.Join(c.dir, key+".wasm")
}

// get returns the cached module for key, or false if there is none or it
// fails its check.
func (c moduleCache) get(key string) ([]byte, bool) {
	if c.dir == "" {
		return nil, false
	}
	data, err := os.ReadFile(c.path(key))
	if err != nil || len(data) < moduleHeader || !bytes.Equal(data[:len(moduleMagic)], moduleMagic[:]) {
		return nil, false
	}
	size := binary.LittleEndian.Uint64(data[len(moduleMagic):])
	sum := binary.LittleEndian.Uint32(data[len(moduleMagic)+8:])
	wasm := data[moduleHeader:]
	if size != uint64(len(wasm)) || crc32.Checksum(wasm, castagnoli) != sum {
		return nil, false
	}
	return wasm, true
}

// put stores wasm under key.
func (c moduleCache) put(key string, wasm []byte) error {
	if c.dir == "" {
		return nil
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return err
	}
	var header [moduleHeader]byte
	copy(header[:], moduleMagic[:])
	binary.LittleEndian.PutUint64(header[len(moduleMagic):], uint64(len(wasm)))
	binary.LittleEndian.PutUint32(header[len(moduleMagic)+8:], crc32.Checksum(wasm, castagnoli))
	_, err = tmp.Write(header[:])
	if err == nil {
		_, err = tmp.Write(wasm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path(key))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
