package gobuild

import (
	"os"
	"syscall"
)

// changeTime returns the file's change time and inode: unlike the
// modification time, no program can set the change time back, and a file
// replaced by a rename has a new inode.
func changeTime(fi os.FileInfo) (ctime int64, inode uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return syscall.TimespecToNsec(st.Ctim), st.Ino
}
