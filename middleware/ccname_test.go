package middleware

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

func TestCCacheName(t *testing.T) {
	tests := []struct {
		principal string
		name      string // "" when CCacheName fails
	}{
		{"alice@EXAMPLE.TEST", "alice@EXAMPLE.TEST"},
		{"Alice@EXAMPLE.TEST", "%41lice@EXAMPLE.TEST"}, // upper case before the realm
		{"ALICE@EXAMPLE.TEST", "%41%4C%49%43%45@EXAMPLE.TEST"},
		{"alice@example.test", "alice@%65%78%61%6D%70%6C%65.%74%65%73%74"}, // lower case in the realm
		{"alice@Example.TEST", "alice@E%78%61%6D%70%6C%65.TEST"},
		{"svc/admin@R", "svc%2Fadmin@R"},
		{"svc_admin@R", "svc_admin@R"},
		{"svc%2Fadmin@R", "svc%252%46admin@R"},
		{"HTTP/web.example.com@EXAMPLE.TEST", "%48%54%54%50%2Fweb.example.com@EXAMPLE.TEST"},
		{".hidden@R", "%2Ehidden@R"},
		{"..@R", "%2E%2E@R"},
		{"a..b@R", "a.%2Eb@R"},
		{"a...b@R", "a.%2E%2Eb@R"},
		{"../../etc/passwd@R", "%2E%2E%2F.%2E%2Fetc%2Fpasswd@R"},
		{"a~b@R", "a%7Eb@R"},
		{"nul\x00@R", "nul%00@R"},
		{"jürgen@R", "j%C3%BCrgen@R"},
		{"Jürgen@R", "%4A%C3%BCrgen@R"},
		{`a\@b@R`, "a%5C@b@R"},
		{"user@corp.example@AD.EXAMPLE", "user@corp.example@AD.EXAMPLE"}, // the realm follows the last "@"
		{"User@Corp.example@AD.EXAMPLE", "%55ser@%43orp.example@AD.EXAMPLE"},
		{"a-z+A=Z,0.9@R", "a-z+%41=%5A,0.9@R"},
		{"sp ace@R", "sp%20ace@R"},
		{"@", "@"},
		{"@r", "@%72"},
		{"", ""},
		// Hashed names: no realm, or an escaped name over the limit.
		{"alice", "sha256-2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90"},
		{strings.Repeat("a", 199) + "@R", sha256Name(strings.Repeat("a", 199) + "@R")}, // 201 bytes
		{strings.Repeat("a", 198) + "@R", strings.Repeat("a", 198) + "@R"},             // 200 bytes
		{strings.Repeat("/", 67) + "@R", sha256Name(strings.Repeat("/", 67) + "@R")},   // 201 escaped bytes, and 2 more
		{strings.Repeat("/", 66) + "@R", strings.Repeat("%2F", 66) + "@R"},
		{strings.Repeat("ж", 33) + "@RR", sha256Name(strings.Repeat("ж", 33) + "@RR")}, // 198 escaped bytes and 3
		{strings.Repeat("ж", 33) + "@R", strings.Repeat("%D0%B6", 33) + "@R"},
	}
	for _, tt := range tests {
		name, err := CCacheName(tt.principal)
		if tt.name == "" {
			if err == nil {
				t.Errorf("CCacheName(%q) = %q, want an error", tt.principal, name)
			} else if !strings.HasPrefix(err.Error(), "middleware: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			continue
		}
		if err != nil || name != tt.name {
			t.Errorf("CCacheName(%q) = %q, %v, want %q", tt.principal, name, err, tt.name)
			continue
		}
		if isHashedName(name) {
			if p, err := PrincipalFromCCacheName(name); err == nil || !strings.Contains(err.Error(), "PrincipalFromCCacheFile") {
				t.Errorf("PrincipalFromCCacheName(%q) = %q, %v, want an error that points to PrincipalFromCCacheFile", name, p, err)
			}
		} else if p, err := PrincipalFromCCacheName(name); err != nil || p != tt.principal {
			t.Errorf("PrincipalFromCCacheName(%q) = %q, %v, want %q", name, p, err, tt.principal)
		}
	}
}

// sha256Name is the hashed name of p, as CCacheName documents it.
func sha256Name(p string) string {
	return fmt.Sprintf("sha256-%x", sha256.Sum256([]byte(p)))
}

func TestPrincipalFromCCacheName(t *testing.T) {
	good := []struct{ name, principal string }{
		{"alice@R", "alice@R"},
		{"%41lice@R", "Alice@R"},
		{"alice@%72", "alice@r"},
		{"alice@R~0123456789abcdef", "alice@R"},
		{"svc%2Fadmin@R~ffffffffffffffff", "svc/admin@R"},
	}
	for _, tt := range good {
		if p, err := PrincipalFromCCacheName(tt.name); err != nil || p != tt.principal {
			t.Errorf("PrincipalFromCCacheName(%q) = %q, %v, want %q", tt.name, p, err, tt.principal)
		}
	}
	bad := []string{
		"",
		".",
		"..",
		".hidden@R",
		".tmp-0123456789abcdef0123456789abcdef",
		"a/b@R",                    // unescaped "/"
		"a b@R",                    // unescaped space
		"a..b@R",                   // second "." unescaped
		"%2E.@R",                   // ".." is "%2E%2E": a "." after a "." is escaped
		"a%2fb@R",                  // lower-case hex
		"%61lice@R",                // needless escape
		"Alice@R",                  // upper case before the realm, unescaped
		"alice@r",                  // lower case in the realm, unescaped
		"%41lice@r",                // the same
		"ALICE@EXAMPLE.TEST",       // the same
		"a%2@R",                    // short escape
		"a%@R",                     // bare "%"
		"a%G0@R",                   // not hex
		"alice",                    // no realm
		"README",                   // no realm
		"krb5cc_1000",              // no realm
		"alice@R~",                 // empty suffix
		"alice@R~0123",             // short suffix
		"alice@R~0123456789ABCDEF", // upper-case suffix
		"alice@R~0123456789abcdef~0123456789abcdef",
		"~0123456789abcdef", // no principal
		"alice@R\x00",
		strings.Repeat("a", 199) + "@R", // over the limit
		sha256Name(alice),               // hashed: the principal is not in the name
		sha256Name(alice) + "~0123456789abcdef",
	}
	for _, name := range bad {
		if p, err := PrincipalFromCCacheName(name); err == nil {
			t.Errorf("PrincipalFromCCacheName(%q) = %q, want an error", name, p)
		}
	}
}

// TestCCacheNameCaseFold checks that principals that differ only in case
// get names that differ in more than case, so that they get files of their
// own on a case-insensitive file system too.
func TestCCacheNameCaseFold(t *testing.T) {
	groups := [][]string{
		{"alice@EXAMPLE.TEST", "Alice@EXAMPLE.TEST", "ALICE@EXAMPLE.TEST", "alice@example.test", "aLiCe@ExAmPlE.tEsT"},
		{"HTTP/web.example.com@R", "http/web.example.com@R", "HTTP/WEB.EXAMPLE.COM@R"},
		{"jürgen@R", "Jürgen@R", "JÜRGEN@R"},
		{"k@R", "K@R", "\u212a@R"}, // U+212A KELVIN SIGN folds to k
	}
	for _, g := range groups {
		names := map[string]string{}
		for _, p := range g {
			name, err := CCacheName(p)
			if err != nil {
				t.Fatalf("CCacheName(%q): %v", p, err)
			}
			checkOwnName(t, names, p, name)
		}
	}
}

// checkOwnName checks that name, p's ccache name, maps back to p and is
// equal under case folding to none of the names in seen, each of another
// principal, and adds it to seen.
func checkOwnName(t *testing.T, seen map[string]string, p, name string) {
	t.Helper()
	for other, q := range seen {
		if strings.EqualFold(name, other) {
			t.Errorf("%q and %q get names %q and %q, equal under case folding", p, q, name, other)
		}
	}
	seen[name] = p
	if back, err := PrincipalFromCCacheName(name); err != nil || back != p {
		t.Errorf("PrincipalFromCCacheName(%q) = %q, %v, want %q", name, back, err, p)
	}
}

func TestFileKindOf(t *testing.T) {
	tests := []struct {
		name      string
		kind      fileKind
		principal string
	}{
		{"alice@R", principalFile, "alice@R"},
		{"alice@R~0123456789abcdef", perRequestFile, "alice@R"},
		{".tmp-0123456789abcdef0123456789abcdef", tempFile, ""},
		{".tmp-0123456789ABCDEF0123456789abcdef", foreignFile, ""},
		{".tmp-0123456789abcdef", foreignFile, ""},
		{".tmp-probe", foreignFile, ""},
		// MIT krb5's own temporary file beside ours (fcc_replace's mkstemp).
		{".tmp-0123456789abcdef0123456789abcdef.aZ09bY", tempFile, ""},
		{".tmp-0123456789abcdef0123456789abcdef.aZ09b", foreignFile, ""},
		{".tmp-0123456789abcdef0123456789abcdef.aZ09bYc", foreignFile, ""},
		{".tmp-0123456789abcdef0123456789abcdef.aZ-9bY", foreignFile, ""},
		{".tmp-0123456789abcdef0123456789abcdef.aZ09bY.x", foreignFile, ""},
		{".tmp-0123456789abcdef0123456789abcdef.", foreignFile, ""},
		{".tmp-0123456789ABCDEF0123456789abcdef.aZ09bY", foreignFile, ""},
		{".tmp-0123456789abcdef.aZ09bY", foreignFile, ""},
		{"README", foreignFile, ""},
		{"krb5cc_0", foreignFile, ""},
		{"alice@R.bak~", foreignFile, ""},
		{"a%2fb@R", foreignFile, ""},
		{sha256Name("x"), principalFile, ""},
		{sha256Name("x") + "~0123456789abcdef", perRequestFile, ""},
		{sha256Name("x") + ".principal", sidecarFile, ""},
		{sha256Name("x") + "~0123456789abcdef.principal", foreignFile, ""},
		{strings.ToUpper(sha256Name("x")), foreignFile, ""},
		{sha256Name("x")[:70], foreignFile, ""},
		{sha256Name("x") + "0", foreignFile, ""},
		{"sha256-" + strings.Repeat("0", 64) + ".PRINCIPAL", foreignFile, ""},
	}
	for _, tt := range tests {
		kind, p := fileKindOf(tt.name)
		if kind != tt.kind || p != tt.principal {
			t.Errorf("fileKindOf(%q) = %v, %q, want %v, %q", tt.name, kind, p, tt.kind, tt.principal)
		}
	}
	// The middleware's own names are of the kind they are written as.
	if k, _ := fileKindOf(tempName()); k != tempFile {
		t.Errorf("fileKindOf(tempName()) = %v", k)
	}
}
