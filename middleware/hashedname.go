package middleware

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A principal whose escaped name would be longer than MaxCCacheNameLen, or
// that has no realm, gets a hashed name instead: hashedPrefix and the
// SHA-256 of the principal in lower-case hex. Its sidecar file, the hashed
// name and sidecarSuffix, records the principal, so that the name stays
// reversible.
const (
	hashedPrefix  = "sha256-"
	hashedHexLen  = 2 * sha256.Size
	sidecarSuffix = ".principal"
	// maxSidecarLen caps what is read of a sidecar: a principal longer
	// than this would need a token far over any HTTP header's size.
	maxSidecarLen = 1 << 20
)

// hashedName returns principal's hashed name.
func hashedName(principal string) string {
	sum := sha256.Sum256([]byte(principal))
	return hashedPrefix + hex.EncodeToString(sum[:])
}

// isHashedName reports whether name is a hashed name: hashedPrefix and 64
// lower-case hex digits. No escaped name is one, as it has no "@".
func isHashedName(name string) bool {
	rest, ok := strings.CutPrefix(name, hashedPrefix)
	return ok && len(rest) == hashedHexLen && isLowerHex(rest)
}

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

// writeSidecar writes principal into the new file tmp, mode 0600: it
// becomes a sidecar once renamed.
func writeSidecar(tmp, principal string) error {
	f, err := createTemp(tmp)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, principal)
	if err == nil {
		err = f.Chmod(0o600) // the file createTemp made: no link to follow
	}
	return errors.Join(err, f.Close())
}
