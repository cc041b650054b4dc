package middleware

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
