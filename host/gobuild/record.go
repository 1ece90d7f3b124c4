package gobuild

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// sourceKeyVersion changes whenever what SourceKey hashes changes, so that
// a record written by another version of easel is not believed.
const sourceKeyVersion = 1

// racyWindow is how recent a file may be and still be trusted by its stamp.
// File times advance in ticks (a few milliseconds on Linux, seconds on some
// filesystems): a file written twice within one tick, the second time
// after it was hashed, would keep its stamp. A record is therefore written
// only when every file is older than this when hashing starts; cmd/go's file
// hash cache makes the same trade.
const racyWindow = 2 * time.Second

// A record is what a SourceCache with a Dir remembers of one plugin folder:
// its key, the files it was computed from, and their stamps. Each stamp is
// taken before the file's content is hashed, so a file changed in between
// has a newer stamp than the record's and is hashed again next time; and a
// file changed within racyWindow of the scan keeps the record from being
// saved at all.
type record struct {
	Version  int      `json:"v"`
	Dir      string   `json:"dir"`
	Key      string   `json:"key"`
	Root     string   `json:"root"`     // the module root
	Packages []string `json:"packages"` // local package folders, sorted, Dir among them
	Files    []stamp  `json:"files"`    // go.mod, go.sum, then each package's files
	Absent   []string `json:"absent"`   // go.mod files that would move the module root
}

// A stamp is what stat says of one file; a file that does not exist has
// Size -1.
type stamp struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"` // nanoseconds since the epoch
	CTime int64  `json:"ctime,omitempty"`
	Inode uint64 `json:"ino,omitempty"`
}

func statFile(path string) stamp {
	fi, err := os.Lstat(path)
	if err != nil {
		return stamp{Path: path, Size: -1}
	}
	return stampOf(path, fi)
}

func stampOf(path string, fi os.FileInfo) stamp {
	s := stamp{Path: path, Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	s.CTime, s.Inode = changeTime(fi)
	return s
}

// recent reports whether the file changed within racyWindow of t, so that
// its stamp could miss a later edit.
func (s stamp) recent(t time.Time) bool {
	cutoff := t.Add(-racyWindow).UnixNano()
	return s.MTime >= cutoff || s.CTime >= cutoff
}

// resolve returns dir's record: remembered by this SourceCache, read from
// Dir and still matching the files, or computed from their content.
func (c *SourceCache) resolve(dir string) (*record, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return memo(&c.mu, &c.found, dir, func() (*record, error) {
		start := time.Now()
		if c.now != nil {
			start = c.now()
		}
		if rec := c.load(dir); rec != nil {
			return rec, nil
		}
		rec, err := c.hash(dir)
		if err == nil {
			c.save(rec, start)
		}
		return rec, err
	})
}

// recordPath is where the record of dir is kept.
func (c *SourceCache) recordPath(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(c.Dir, "sources", filepath.Base(dir)+"-"+hex.EncodeToString(sum[:8])+".json")
}

// load returns the record of dir kept in c.Dir if the files it names are
// unchanged; nil if there is none, it is unreadable or anything changed.
func (c *SourceCache) load(dir string) *record {
	if c.Dir == "" {
		return nil
	}
	data, err := os.ReadFile(c.recordPath(dir))
	if err != nil {
		return nil
	}
	var rec record
	if json.Unmarshal(data, &rec) != nil || rec.Version != sourceKeyVersion || rec.Dir != dir || len(rec.Key) != 2*sha256.Size {
		return nil
	}
	if !c.unchanged(&rec) {
		return nil
	}
	return &rec
}

// unchanged stats what rec was computed from and compares.
func (c *SourceCache) unchanged(rec *record) bool {
	for _, path := range rec.Absent {
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			return false
		}
	}
	files := []stamp{statFile(filepath.Join(rec.Root, "go.mod")), statFile(filepath.Join(rec.Root, "go.sum"))}
	for _, d := range rec.Packages {
		stamps, err := c.packageStamps(d)
		if err != nil {
			return false
		}
		files = append(files, stamps...)
	}
	return slices.Equal(files, rec.Files)
}

// save writes rec to c.Dir unless a file is too recent to be trusted by
// its stamp. A failure to write only costs the next start a hash.
func (c *SourceCache) save(rec *record, start time.Time) {
	if c.Dir == "" {
		return
	}
	for _, s := range rec.Files {
		if s.recent(start) {
			return
		}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return
	}
	writeFileAtomic(c.recordPath(rec.Dir), data)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so that a reader sees the old file or the new one, never
// a part; concurrent writers each rename a whole file.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// packageStamps stats the files of package folder d that hashPackage
// hashes, once per SourceCache.
func (c *SourceCache) packageStamps(d string) ([]stamp, error) {
	return memo(&c.mu, &c.stamps, d, func() ([]stamp, error) { return packageStamps(d) })
}

func packageStamps(d string) ([]stamp, error) {
	entries, err := os.ReadDir(d)
	if err != nil {
		return nil, err
	}
	var stamps []stamp
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		stamps = append(stamps, stampOf(filepath.Join(d, e.Name()), fi))
	}
	return stamps, nil
}

// goModsBetween lists the go.mod files that do not exist between dir and
// its module root: one appearing would make a different module own dir.
func goModsBetween(dir, root string) []string {
	var paths []string
	for d := dir; d != root && filepath.Dir(d) != d; d = filepath.Dir(d) {
		paths = append(paths, filepath.Join(d, "go.mod"))
	}
	return paths
}
