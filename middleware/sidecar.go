package middleware

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The sidecar file of a hashed name, the hashed name and sidecarSuffix,
// records the principal, so that the name stays reversible.
const (
	sidecarSuffix = ".principal"
	// maxSidecarLen caps what is read of a sidecar: a principal longer
	// than this would need a token far over any HTTP header's size.
	maxSidecarLen = 1 << 20
)

// PrincipalFromCCacheFile returns the principal whose credential cache is
// the file name in the delegation directory dir. For an escaped name it is
// [PrincipalFromCCacheName], which needs no file. For a hashed name, of a
// principal that has no escaped name ([CCacheName]), per principal or per
// request, it reads the principal from the sidecar file beside it, the
// hashed name and ".principal", and checks that the principal's name is
// that hashed name, so that a stale or planted sidecar cannot name another
// principal. It fails for any other name, and when the sidecar is missing
// or does not check.
func PrincipalFromCCacheFile(dir, name string) (string, error) {
	base, _, err := splitCCacheName(name)
	if err != nil {
		return "", err
	}
	if !isHashedName(base) {
		return decodeCCacheName(base)
	}
	return readSidecar(filepath.Join(dir, base+sidecarSuffix), base)
}

// readSidecar reads the principal recorded at path, the sidecar of the
// hashed name base, and checks it.
func readSidecar(path, base string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow|oNonblock, 0)
	if err != nil {
		return "", fmt.Errorf("middleware: the principal of %s: %w", base, err)
	}
	defer f.Close()
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("middleware: the principal of %s: %s %s", base, path, why)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return bad("is not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSidecarLen+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("middleware: the principal of %s: %w", base, err)
	case len(b) > maxSidecarLen:
		return bad("is too long")
	}
	p := string(b)
	if name, err := CCacheName(p); err != nil || name != base {
		return bad(fmt.Sprintf("records %.64q, whose ccache name is another", p))
	}
	return p, nil
}
