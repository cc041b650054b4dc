package middleware

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"

	"github.com/negotiate-go/negotiate"
)

// FuzzParseAuthorization checks the Authorization header parser: it never
// panics, fails only with its own errors, and a token it returns is the
// strict base64 decoding of the header's token, which encodes back to it.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXegDTALBgkqhkiG9xIBAgI=", 1<<16) // SPNEGO NegTokenInit prefix, well formed
	f.Add("negotiate "+b64("alice"), 1<<16)                                    // lower-case scheme
	f.Add("  NEGOTIATE\t"+b64("bob")+" \t", 1<<16)                             // upper case, tabs and spaces around
	f.Add("Negotiate", 1<<16)                                                  // bare scheme, not attempted
	f.Add("Negotiate    ", 1<<16)                                              // bare scheme, trailing spaces
	f.Add("", 1<<16)                                                           // empty header value
	f.Add("Basic YWxpY2U6cGFzc3dvcmQ=", 1<<16)                                 // another scheme
	f.Add("NegotiateYWxpY2U=", 1<<16)                                          // scheme glued to the token
	f.Add("Negotiate YWxp Y2U=", 1<<16)                                        // inner space
	f.Add("Negotiate YWxp\r\nY2U=", 1<<16)                                     // inner CRLF, which Go's decoder would skip
	f.Add("Negotiate YWxpY2U=\n", 1<<16)                                       // trailing LF
	f.Add("Negotiate YWxpY2U", 1<<16)                                          // missing padding
	f.Add("Negotiate QR==", 1<<16)                                             // non-zero padding bits
	f.Add("Negotiate -_-_", 1<<16)                                             // URL-safe alphabet
	f.Add("Negotiate ====", 1<<16)                                             // padding only
	f.Add("Negotiate TlRMTVNTUAABAAAAB4IIog==", 1<<16)                         // NTLMSSP NEGOTIATE_MESSAGE
	f.Add("Negotiate TlRMTVNTUAA=", 1<<16)                                     // bare NTLMSSP signature
	f.Add("Negotiate YWxpY2VhbGljZQ==", 4)                                     // over a small cap
	f.Add("Negotiate YWxpY2U=", 8)                                             // exactly at the cap
	f.Add("Negotiate \xff\xfe", 1<<16)                                         // invalid UTF-8
	f.Add("Ne\u0261otiate YWxpY2U=", 1<<16)                                    // non-ASCII look-alike scheme
	f.Add("Negotiate YWxpY2U=, Basic eA==", 1<<16)                             // a list, which Authorization is not

	f.Fuzz(func(t *testing.T, header string, maxLen int) {
		if maxLen <= 0 {
			maxLen = 1 // New rejects a cap that is not positive
		}
		for _, values := range [][]string{{header}, {"Basic eA==", header, "Negotiate YWxpY2U="}} {
			tok, err := parseAuthorization(values, maxLen)
			if err != nil {
				if tok != nil {
					t.Fatalf("token %q with error %v", tok, err)
				}
				if !(err == ErrNoCredentials || err == ErrTokenTooLarge || err == ErrBadBase64 || err == ErrNTLMOffered) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			param, ok := negotiateParam(values)
			if !ok {
				t.Fatalf("token %q from %q without Negotiate credentials", tok, values)
			}
			if len(param) > maxLen {
				t.Fatalf("token of %d chars passed a cap of %d", len(param), maxLen)
			}
			if len(tok) == 0 {
				t.Fatal("empty token without error")
			}
			if enc := strictBase64.EncodeToString(tok); enc != param {
				t.Fatalf("token does not round trip: %q encodes to %q", param, enc)
			}
			if bytes.HasPrefix(tok, ntlmSignature) {
				t.Fatal("NTLMSSP token passed")
			}
		}

		// Splitting: the scheme and the token are the trimmed value's first
		// word and the rest, with only white space between them.
		s, param := splitCredentials(header)
		trimmed := strings.Trim(header, " \t")
		if strings.ContainsAny(s, " \t") || param != strings.Trim(param, " \t") {
			t.Fatalf("split %q into %q and %q", header, s, param)
		}
		if param == "" {
			if s != trimmed {
				t.Fatalf("split %q into %q and nothing", header, s)
			}
		} else if mid, ok := strings.CutPrefix(trimmed, s); !ok || !strings.HasSuffix(mid, param) ||
			strings.Trim(strings.TrimSuffix(mid, param), " \t") != "" || len(mid) == len(param) {
			t.Fatalf("split %q into %q and %q", header, s, param)
		}
	})
}

// FuzzMiddleware runs random Authorization values through the whole
// middleware: it never panics, never answers 500 for a client's header
// (the fake acceptor reports no server faults for these), and lets a request
// through with a principal only when the fake acceptor accepted its token.
func FuzzMiddleware(f *testing.F) {
	f.Add(neg("alice"), false)                            // success with mutual auth
	f.Add(neg("noprincipal"), false)                      // acceptor success without a principal
	f.Add(neg("replay"), true)                            // failure on an optional route
	f.Add("Negotiate", false)                             // bare scheme
	f.Add("Negotiate TlRMTVNTUAABAAAAB4IIog==", false)    // NTLM
	f.Add("negotiate  "+b64("deleg")+"\t", true)          // delegation, odd white space
	f.Add("Negotiate "+strings.Repeat("QUFB", 40), false) // garbage that decodes
	f.Add("Basic YWxpY2U6cHc=", true)                     // another scheme
	f.Add("Negotiate \x00\x01\x02", false)                // control bytes

	f.Fuzz(func(t *testing.T, header string, optional bool) {
		acc := &fuzzAcceptor{fakeAcceptor: newFake()}
		mw, err := New(acc, quiet, WithMaxTokenSize(4096),
			WithAuthRequired(func(*http.Request) bool { return !optional }))
		if err != nil {
			t.Fatal(err)
		}
		var principal string
		h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			principal, _ = PrincipalFromContext(r.Context())
		}))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["Authorization"] = []string{header}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		switch rec.Code {
		case 200, 401, 403:
		default:
			t.Fatalf("status %d for %q", rec.Code, header)
		}
		if principal != "" && principal != acc.accepted {
			t.Fatalf("principal %q, acceptor accepted %q", principal, acc.accepted)
		}
		if rec.Code != 200 && principal != "" {
			t.Fatalf("status %d with a principal", rec.Code)
		}
		if !optional && rec.Code == 200 && principal == "" {
			t.Fatalf("required route passed %q without a principal", header)
		}
		if n := acc.cred.released.Load(); n > 1 {
			t.Fatalf("credential released %d times", n)
		}
	})
}

// fuzzAcceptor is the fake acceptor without its server faults, recording
// whom it accepted.
type fuzzAcceptor struct {
	*fakeAcceptor
	accepted string
}

func (a *fuzzAcceptor) Accept(tok []byte) (negotiate.Result, error) {
	res, err := a.fakeAcceptor.Accept(tok)
	if isServerFault(err) {
		return res, gssErr(negotiate.ErrDefectiveToken) // a client error instead
	}
	if err == nil {
		a.accepted = res.Principal
	}
	return res, err
}

// FuzzCCacheName checks the ccache file-name escaping: a name is safe in a
// directory (no "/", no "..", no NUL, no leading "."), maps back to its
// principal or is the hashed name of one that has no escaped name, never
// looks like a temporary or per-request file, and every
// name the decoder accepts is the one name of its principal, so no two
// principals share a file. Nor do they on a case-insensitive file system:
// s in other cases (lower, upper, swapped, each rune folded) is another
// principal, whose name is never equal to s's under case folding, and of
// the spellings of a name in different cases the decoder accepts one at
// most.
func FuzzCCacheName(f *testing.F) {
	f.Add("alice@EXAMPLE.TEST")                                                      // plain, nothing escaped
	f.Add("Alice@EXAMPLE.TEST")                                                      // upper case before the realm: escaped
	f.Add("HTTP/web.example.com@r")                                                  // upper case before the realm, lower in it
	f.Add("svc/admin@EXAMPLE.TEST")                                                  // two components: "/" escaped
	f.Add("svc_admin@EXAMPLE.TEST")                                                  // must differ from the above
	f.Add("svc%2Fadmin@EXAMPLE.TEST")                                                // a "%" that looks like an escape
	f.Add("../../etc/passwd@R")                                                      // path traversal
	f.Add(".hidden@R")                                                               // leading dot
	f.Add("a...b@R")                                                                 // dot runs
	f.Add("..")                                                                      // no realm: hashed
	f.Add("")                                                                        // empty: refused
	f.Add("sha256-2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90") // a hashed name, as input to the decoder
	f.Add("nul\x00byte@R")                                                           // NUL
	f.Add("x~0123456789abcdef@R")                                                    // the per-request separator
	f.Add(".tmp-0123456789abcdef0123456789abcdef@R")                                 // the temporary prefix
	f.Add("jürgen@R\xff")                                                            // UTF-8 and invalid UTF-8
	f.Add("k@R")                                                                     // folds with KELVIN SIGN, U+212A
	f.Add(`a\/b\@c@R`)                                                               // krb5 display-name escapes
	f.Add(strings.Repeat("a", 198) + "@R")                                           // exactly at the limit
	f.Add(strings.Repeat("/", 70) + "@R")                                            // over the limit once escaped: hashed
	f.Add("alice@R~0123456789abcdef")                                                // a per-request name, as input to the decoder
	f.Add("%2E%2E@R")                                                                // a name, as input to the decoder
	f.Add("%41lice@R")                                                               // a name with an escaped capital, as input to the decoder

	f.Fuzz(func(t *testing.T, s string) {
		name := checkCCacheName(t, s)
		variants := []string{strings.ToLower(s), strings.ToUpper(s), swapCase(s), strings.Map(unicode.SimpleFold, s)}

		// Case folding: the name of s in another case, another
		// principal, differs from s's in more than case.
		if name != "" {
			for _, v := range variants {
				if v == s {
					continue
				}
				if vname, err := CCacheName(v); err == nil && strings.EqualFold(name, vname) {
					t.Fatalf("%q and %q get names %q and %q, equal under case folding", s, v, name, vname)
				}
			}
		}

		// s as a file name: if it decodes, it is its principal's only
		// name (with any per-request suffix), and no spelling of it in
		// another case decodes too.
		if p, err := PrincipalFromCCacheName(s); err == nil {
			again, err := CCacheName(p)
			base, _, _ := strings.Cut(s, requestSep)
			if err != nil || again != base {
				t.Fatalf("%q decodes to %q, whose name is %q (%v)", s, p, again, err)
			}
			for _, v := range variants {
				if q, err := PrincipalFromCCacheName(v); err == nil && v != s {
					t.Fatalf("%q and %q, equal under case folding, both decode: to %q and %q", s, v, p, q)
				}
			}
		} else if k, p := fileKindOf(s); (k == principalFile || k == perRequestFile) && p != "" {
			t.Fatalf("fileKindOf(%q) = %v, %q, but it does not decode: %v", s, k, p, err)
		}
	})
}

// checkCCacheName checks CCacheName(s) as FuzzCCacheName documents and
// returns the name, or "" if CCacheName refused s.
func checkCCacheName(t *testing.T, s string) string {
	t.Helper()
	name, err := CCacheName(s)
	if err != nil {
		if name != "" || s != "" {
			t.Fatalf("CCacheName(%q) = %q, %v: only the empty principal fails", s, name, err)
		}
		return ""
	}
	switch {
	case name == "" || len(name) > MaxCCacheNameLen:
		t.Fatalf("name %q of length %d", name, len(name))
	case strings.ContainsAny(name, "/\x00~"), strings.Contains(name, ".."), name[0] == '.':
		t.Fatalf("unsafe name %q for %q", name, s)
	}
	for i := range len(name) {
		if c := name[i]; !isAlnum(c) && strings.IndexByte("@._+=,-%", c) < 0 {
			t.Fatalf("name %q holds byte %#02x", name, c)
		}
	}
	want := s // the principal fileKindOf finds in the name
	if isHashedName(name) {
		// Only for a principal that has no escaped name, which would be
		// at most 3 bytes per byte.
		if strings.Contains(s, "@") && len(s) <= MaxCCacheNameLen/3 {
			t.Fatalf("CCacheName(%q) = %q, a hashed name", s, name)
		}
		if name != sha256Name(s) {
			t.Fatalf("CCacheName(%q) = %q, want %q", s, name, sha256Name(s))
		}
		if k, _ := fileKindOf(name + sidecarSuffix); k != sidecarFile {
			t.Fatalf("fileKindOf(%q) = %v", name+sidecarSuffix, k)
		}
		want = ""
	} else if p, err := PrincipalFromCCacheName(name); err != nil || p != s {
		t.Fatalf("PrincipalFromCCacheName(%q) = %q, %v, want %q", name, p, err, s)
	}
	if k, p := fileKindOf(name); k != principalFile || p != want {
		t.Fatalf("fileKindOf(%q) = %v, %q", name, k, p)
	}
	req := name + requestSep + "0123456789abcdef"
	if k, p := fileKindOf(req); k != perRequestFile || p != want {
		t.Fatalf("fileKindOf(%q) = %v, %q", req, k, p)
	}
	return name
}

// swapCase swaps the case of the ASCII letters of s.
func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			b[i] = c ^ 0x20
		}
	}
	return string(b)
}
