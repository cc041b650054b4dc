//go:build !unix

package middleware

import "io/fs"

// Without Unix file owners and O_NOFOLLOW the middleware cannot check a
// delegation directory, so New refuses one (ownerOf reports !ok).
const (
	oNoFollow = 0
	oNonblock = 0
)

func ownerOf(fs.FileInfo) (uid uint32, nlink uint64, ok bool) { return 0, 0, false }
