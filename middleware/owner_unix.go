//go:build unix

package middleware

import (
	"io/fs"
	"syscall"
)

// Open flags for files in the delegation directory: oNoFollow makes an
// open fail on a symbolic link instead of following it, and oNonblock keeps
// an open for reading from waiting on a FIFO.
const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonblock = syscall.O_NONBLOCK
)

// ownerOf returns the owner and the link count of the file fi describes.
func ownerOf(fi fs.FileInfo) (uid uint32, nlink uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return st.Uid, uint64(st.Nlink), true
}
