package middleware

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// MaxCCacheNameLen is the longest file name [CCacheName] returns, in bytes:
// a principal whose escaped name would be longer gets a hashed name. With
// the per-request suffix a name stays well under the 255 bytes most file
// systems allow.
const MaxCCacheNameLen = 200

// File-name parts that no escaped principal contains, so that the kinds of
// file in a delegation directory never meet.
const (
	// tempPrefix opens a file being written: a leading dot is always
	// escaped in a principal's name.
	tempPrefix = ".tmp-"
	// requestSep separates a principal's name from the random suffix of a
	// per-request file: "~" is always escaped.
	requestSep = "~"
	// tempHexLen and requestHexLen are the lengths of the random hex parts.
	tempHexLen    = 32
	requestHexLen = 16
	// krb5SuffixLen is the length of what MIT krb5 adds, after a ".", to
	// a temporary file's name for a file of its own: since krb5 1.20,
	// gss_store_cred_into writes "<name>.XXXXXX" with mkstemp
	// (fcc_replace) and renames it over <name>. A crash in between leaves
	// that file, which holds a live credential.
	krb5SuffixLen = 6
)

// CCacheName returns the file name of principal's credential cache in a
// delegation directory: the principal, percent-encoded so that the name is
// safe in any directory, maps back to exactly one principal, and stays
// apart from every other principal's name on a case-insensitive file
// system too.
//
// The scheme, fixed and documented so that other tools can apply it. The
// realm is what follows the principal's last "@"; then
//
//   - the digits 0-9 and "@_+=,-" stand for themselves, and so do the
//     lower-case letters a-z before the realm, the upper-case letters A-Z
//     in it, and a "." that neither begins the name nor follows another
//     ".";
//   - every other byte is written %XX, with two upper-case hex digits: an
//     upper-case letter before the realm and a lower-case one in it, "%",
//     "/", "~", NUL, each byte of a multi-byte UTF-8 character, and such a
//     ".".
//
// So "alice@EXAMPLE.TEST" is "alice@EXAMPLE.TEST", "Alice@EXAMPLE.TEST" is
// "%41lice@EXAMPLE.TEST", "alice@example.test" is
// "alice@%65%78%61%6D%70%6C%65.%74%65%73%74", "HTTP/web.example.com@R" is
// "%48%54%54%50%2Fweb.example.com@R", and "svc/admin@R" and "svc_admin@R"
// are "svc%2Fadmin@R" and "svc_admin@R". A letter's position tells its
// case, so no two principals get names that are equal under case folding
// (strings.EqualFold): on a case-insensitive file system (APFS, SMB, ext4
// with casefold) "Alice@R" and "alice@R" get files of their own. Names are
// ASCII, so a file system that normalizes Unicode cannot merge them either.
// Any percent-decoder maps a name back to its principal. A name never
// contains "/", "..", "~" or NUL and never begins with ".", so it is never
// ".", "..", a hidden file, a path, or a temporary or per-request file of
// the middleware.
//
// A principal without "@" (Kerberos display names always end in
// "@REALM"), and one whose escaped name would be longer than
// [MaxCCacheNameLen] bytes, gets a hashed name instead: "sha256-" and the
// SHA-256 of the principal's bytes in 64 lower-case hex digits, 71 bytes.
// No escaped name is one, as it always holds an "@", so that other files,
// such as "README" or "krb5cc_1000", never look like the middleware's.
// Hashed names too are ASCII, one per principal, and never equal under
// case folding. Beside a file with a hashed name the middleware keeps a
// sidecar file, the hashed name and ".principal", mode 0600, that holds
// the principal's bytes exactly, with no newline;
// [PrincipalFromCCacheFile] reads it.
//
// CCacheName fails only for the empty principal. [PrincipalFromCCacheName]
// is its inverse for escaped names.
func CCacheName(principal string) (string, error) {
	if principal == "" {
		return "", errors.New("middleware: empty principal has no ccache name")
	}
	at := strings.LastIndexByte(principal, '@')
	n := 0 // the escaped name's length
	if at >= 0 {
		for i := range len(principal) {
			if literal(principal, i, at) {
				n++
			} else {
				n += 3
			}
		}
	}
	if at < 0 || n > MaxCCacheNameLen {
		return hashedName(principal), nil
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, n)
	for i := range len(principal) {
		c := principal[i]
		if literal(principal, i, at) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&0xf])
		}
	}
	return string(b), nil
}

// literal reports whether s[i] stands for itself in s's name, at being the
// index of s's last "@".
func literal(s string, i, at int) bool {
	switch c := s[i]; {
	case 'a' <= c && c <= 'z':
		return i < at
	case 'A' <= c && c <= 'Z':
		return i > at
	case c == '.':
		return i > 0 && s[i-1] != '.'
	}
	return mayBeLiteral(s[i])
}

// mayBeLiteral reports whether c may stand for itself somewhere in a name:
// A-Z a-z 0-9 and "@._+=,-". (literal has the rules for letters and ".".)
func mayBeLiteral(c byte) bool {
	return isAlnum(c) || strings.IndexByte("@._+=,-", c) >= 0
}

// A principal whose escaped name would be longer than MaxCCacheNameLen, or
// that has no realm, gets a hashed name instead: hashedPrefix and the
// SHA-256 of the principal in lower-case hex.
const (
	hashedPrefix = "sha256-"
	hashedHexLen = 2 * sha256.Size
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

// PrincipalFromCCacheName returns the principal whose credential cache is
// the file name: the inverse of [CCacheName]. It also accepts the name of a
// per-request file ([PerRequest]), which adds "~" and 16 lower-case hex
// digits. It fails for any other name, including one that is not in the
// exact form CCacheName writes (lower-case hex, a needlessly escaped byte,
// an unescaped letter of the wrong case such as the "A" of "Alice@R"), so
// that every principal has one name and every name one principal, and no
// two names it accepts are equal under case folding. A hashed name does not
// hold its principal: PrincipalFromCCacheName fails for it, and
// [PrincipalFromCCacheFile] reads the principal from the sidecar file.
func PrincipalFromCCacheName(name string) (string, error) {
	base, _, err := splitCCacheName(name)
	if err != nil {
		return "", err
	}
	if isHashedName(base) {
		return "", fmt.Errorf("middleware: %q is a hashed ccache name: its principal is in the file %s beside it (PrincipalFromCCacheFile)", name, base+sidecarSuffix)
	}
	return decodeCCacheName(base)
}

// splitCCacheName splits a per-request name into the principal's name and
// its random suffix. A per-principal name has no suffix.
func splitCCacheName(name string) (base, suffix string, err error) {
	base, suffix, found := strings.Cut(name, requestSep)
	if !found {
		return name, "", nil
	}
	if len(suffix) != requestHexLen || !isLowerHex(suffix) {
		return "", "", fmt.Errorf("middleware: %q is not a ccache name: bad per-request suffix", name)
	}
	return base, suffix, nil
}

func decodeCCacheName(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("middleware: %q is not a ccache name: %s", name, why)
	}
	if name == "" {
		return bad("empty")
	}
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			if !mayBeLiteral(c) {
				return bad(fmt.Sprintf("unescaped byte %#02x", c))
			}
			b = append(b, c)
			continue
		}
		if i+2 >= len(name) || !isUpperHex(name[i+1]) || !isUpperHex(name[i+2]) {
			return bad("bad %XX escape")
		}
		b = append(b, unhex(name[i+1])<<4|unhex(name[i+2]))
		i += 2
	}
	p := string(b)
	// One principal, one name: anything CCacheName would not write, such
	// as a needless escape, a letter of the wrong case unescaped, a
	// leading "." or a name over the limit, fails.
	if again, err := CCacheName(p); err != nil || again != name {
		return bad("not in canonical form")
	}
	return p, nil
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func isLowerHex(s string) bool {
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}

// fileKind is what a name in a delegation directory is to the middleware.
type fileKind int

const (
	foreignFile    fileKind = iota // not the middleware's: never touched
	tempFile                       // ".tmp-" and 32 hex digits, or those and krb5's suffix: being written, or left by a crash
	principalFile                  // CCacheName(principal)
	perRequestFile                 // CCacheName(principal) + "~" + 16 hex digits
	sidecarFile                    // a hashed name + ".principal": the principal of that name
)

// fileKindOf tells which kind of file name is, and the principal for a ccache
// with an escaped name. For a hashed name the principal is "": it is in the
// sidecar file.
func fileKindOf(name string) (fileKind, string) {
	if rest, ok := strings.CutPrefix(name, tempPrefix); ok {
		if isTempRest(rest) {
			return tempFile, ""
		}
		return foreignFile, ""
	}
	if base, ok := strings.CutSuffix(name, sidecarSuffix); ok && isHashedName(base) {
		return sidecarFile, ""
	}
	base, suffix, err := splitCCacheName(name)
	if err != nil {
		return foreignFile, ""
	}
	var p string
	if !isHashedName(base) {
		if p, err = decodeCCacheName(base); err != nil {
			return foreignFile, ""
		}
	}
	if suffix != "" {
		return perRequestFile, p
	}
	return principalFile, p
}

// isTempRest reports whether rest, what follows tempPrefix, is that of a
// temporary file: 32 lower-case hex digits, as tempName writes them, alone
// or followed by "." and the six letters or digits of the file that MIT
// krb5's mkstemp makes beside it.
func isTempRest(rest string) bool {
	hex, suffix, dotted := strings.Cut(rest, ".")
	if dotted {
		if len(suffix) != krb5SuffixLen {
			return false
		}
		for i := range len(suffix) {
			if !isAlnum(suffix[i]) {
				return false
			}
		}
	}
	return len(hex) == tempHexLen && isLowerHex(hex)
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
