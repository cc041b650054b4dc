package integration

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/middleware"
)

// The bad-input table: every way a client, or an attacker, can get the
// Authorization header wrong, sent through the real middleware and the real
// acceptor with real tickets. Each row asserts the exact status on a
// required route and the exact failure reason on an optional one, that no
// response carries GSS-API detail, that the server still serves a good
// token afterwards, and that no goroutine outlives the request.

// badRequest is one row of the table.
type badRequest struct {
	name string
	// values makes the Authorization values of one request: nil for no
	// header. It is called for each request, so a token it mints is fresh.
	values func(t *testing.T, b *badInputs) []string
	// raw, if set, sends the request instead over a bare TCP connection,
	// for what net/http's client will not send or its server will not read.
	raw func(t *testing.T, s *server, b *badInputs, path string) reply
	// replay: the values are sent once first, which must pass, then again.
	replay bool

	status int    // on the required route, /whoami
	reason string // for a 403: the failure reason /public reports
}

// Authorization values.

func noHeader(*testing.T, *badInputs) []string { return nil }

func values(v ...string) func(*testing.T, *badInputs) []string {
	return func(*testing.T, *badInputs) []string { return v }
}

// goodB64 is the base64 of a fresh SPNEGO token from alice.
func goodB64(t *testing.T) string { return strings.TrimPrefix(good(t), "Negotiate ") }

// b64Where returns the base64, in enc, of a fresh good token for which ok
// holds: it mints until one does, as the encodings differ only for some
// tokens. A user's tokens all have one length, so it takes turns between
// users and framings.
func b64Where(t *testing.T, enc *base64.Encoding, ok func(string) bool) string {
	t.Helper()
	for i := range 100 {
		tok := mint(t, []user{alice(), bob()}[i/2%2], target, 0, i%2 == 1)
		if s := enc.EncodeToString(tok); ok(s) {
			return s
		}
	}
	t.Fatal("no token with the wanted encoding in 100 tries")
	return ""
}

// fromCCache sends a fresh SPNEGO token from the ccache for svc.
func fromCCache(ccache func(*badInputs) string, svc string) func(*testing.T, *badInputs) []string {
	return func(t *testing.T, b *badInputs) []string {
		tok, err := testrealm.Token(ccache(b), svc, 0, false)
		if err != nil {
			t.Fatalf("token from %s for %s: %v", ccache(b), svc, err)
		}
		return []string{negotiateValue(tok)}
	}
}

// mangled sends a fresh token, SPNEGO or raw Kerberos, changed by f.
func mangled(raw bool, f func(t *testing.T, tok []byte) []byte) func(*testing.T, *badInputs) []string {
	return func(t *testing.T, _ *badInputs) []string {
		return []string{negotiateValue(f(t, mint(t, alice(), target, 0, raw)))}
	}
}

// curlFrom has curl make a token from the ccache and send it. curl links
// MIT krb5 whichever library this binary links, and MIT's initiator adds
// the ccache's KDC time offset to its clock (Heimdal's ignores it).
func curlFrom(ccache func(*badInputs) string) func(*testing.T, *server, *badInputs, string) reply {
	return func(t *testing.T, s *server, b *badInputs, path string) reply {
		t.Helper()
		res := s.curl(t, user{alice().principal, ccache(b)}, path, "--negotiate", "-u", ":")
		if len(res.sent) == 0 {
			t.Fatal("curl sent no token")
		}
		last := res.last()
		return reply{status: last.status, header: http.Header(last.header), body: res.body}
	}
}

// rawHeader sends the Authorization line value (any bytes) over a bare
// connection.
func rawHeader(value func(t *testing.T) string) func(*testing.T, *server, *badInputs, string) reply {
	return func(t *testing.T, s *server, _ *badInputs, path string) reply {
		t.Helper()
		v := value(t)
		s.remember(v)
		r, err := sendRaw(s, path, "Authorization: "+v)
		if err != nil {
			t.Fatalf("raw request: %v", err)
		}
		return r
	}
}

// rawLines sends header lines as they are over a bare connection.
func rawLines(lines ...string) func(*testing.T, *server, *badInputs, string) reply {
	return func(t *testing.T, s *server, _ *badInputs, path string) reply {
		t.Helper()
		for _, l := range lines {
			s.remember(strings.TrimPrefix(l, "Authorization: "))
		}
		r, err := sendRaw(s, path, lines...)
		if err != nil {
			t.Fatalf("raw request: %v", err)
		}
		return r
	}
}

func badRequests() []badRequest {
	return []badRequest{
		// No credentials: a challenge.
		{name: "no Authorization header", values: noHeader, status: 401},
		{name: "another scheme", values: values("Basic YWxpY2U6c2VjcmV0"), status: 401},
		{name: "bare scheme", values: values("Negotiate"), status: 401},
		{name: "empty token", values: values("Negotiate "), status: 401},
		{name: "empty token after spaces and tabs", raw: rawLines("Authorization: Negotiate \t \t"), status: 401},
		{name: "scheme glued to the token", values: func(t *testing.T, _ *badInputs) []string {
			return []string{"Negotiate" + goodB64(t)}
		}, status: 401},

		// The scheme is case-insensitive; of several headers the first
		// Negotiate one counts.
		{name: "mixed-case scheme", values: func(t *testing.T, _ *badInputs) []string {
			return []string{"nEgOtIaTe " + goodB64(t)}
		}, status: 200},
		{name: "mixed-case scheme, garbage token", values: values("NEGOTIATE " + base64.StdEncoding.EncodeToString([]byte("garbage, not a GSS-API token"))),
			status: 403, reason: "defective_token"},
		{name: "several Authorization headers: Basic, then a good Negotiate", values: func(t *testing.T, _ *badInputs) []string {
			return []string{"Basic YWxpY2U6c2VjcmV0", good(t)}
		}, status: 200},
		{name: "several Authorization headers: a bad Negotiate, then a good one", values: func(t *testing.T, _ *badInputs) []string {
			return []string{"Negotiate AAAA", good(t)}
		}, status: 403, reason: "defective_token"},
		{name: "several Authorization headers: a good Negotiate, then garbage", values: func(t *testing.T, _ *badInputs) []string {
			return []string{good(t), "Negotiate %%%"}
		}, status: 200},

		// Encoding.
		{name: "padding only", values: values("Negotiate ===="), status: 403, reason: "bad_base64"},
		{name: "invalid base64", values: values("Negotiate %%not*base64%%"), status: 403, reason: "bad_base64"},
		{name: "URL-safe base64 of a good token", values: func(t *testing.T, _ *badInputs) []string {
			return []string{"Negotiate " + b64Where(t, base64.URLEncoding, func(s string) bool { return strings.ContainsAny(s, "-_") })}
		}, status: 403, reason: "bad_base64"},
		{name: "unpadded base64 of a good token", values: func(t *testing.T, _ *badInputs) []string {
			return []string{"Negotiate " + b64Where(t, base64.RawStdEncoding, func(s string) bool { return len(s)%4 != 0 })}
		}, status: 403, reason: "bad_base64"},
		{name: "base64 with an inner space", values: func(t *testing.T, _ *badInputs) []string {
			s := goodB64(t)
			return []string{"Negotiate " + s[:len(s)/2] + " " + s[len(s)/2:]}
		}, status: 403, reason: "bad_base64"},
		{name: "base64 with an inner tab", values: func(t *testing.T, _ *badInputs) []string {
			s := goodB64(t)
			return []string{"Negotiate " + s[:40] + "\t" + s[40:]}
		}, status: 403, reason: "bad_base64"},
		{name: "a comma-separated list", values: func(t *testing.T, _ *badInputs) []string {
			return []string{good(t) + ", Basic YWxpY2U6c2VjcmV0"}
		}, status: 403, reason: "bad_base64"},
		{name: "non-UTF-8 bytes", values: values("Negotiate \xff\xfe\xfd\x80YWxpY2U="), status: 403, reason: "bad_base64"},

		// Tokens that are not good Kerberos.
		{name: "random bytes", values: func(_ *testing.T, b *badInputs) []string {
			return []string{negotiateValue(b.randomBytes)}
		}, status: 403, reason: "defective_token"},
		{name: "truncated SPNEGO token", values: mangled(false, func(_ *testing.T, tok []byte) []byte { return tok[:len(tok)/2] }),
			status: 403, reason: "defective_token"},
		{name: "truncated raw Kerberos token", values: mangled(true, func(_ *testing.T, tok []byte) []byte { return tok[:len(tok)-1] }),
			status: 403, reason: "defective_token"},
		{name: "bit flip in the ticket", values: mangled(false, func(t *testing.T, tok []byte) []byte {
			tkt, _ := ciphers(t, tok)
			return flipIn(t, tok, tkt)
		}), status: 403, reason: "defective_token"},
		{name: "bit flip in the authenticator", values: mangled(false, func(t *testing.T, tok []byte) []byte {
			_, auth := ciphers(t, tok)
			return flipIn(t, tok, auth)
		}), status: 403, reason: "defective_token"},
		{name: "bit flip in the outer length", values: mangled(false, func(_ *testing.T, tok []byte) []byte {
			tok = bytes.Clone(tok)
			tok[3] ^= 0x01 // 60 82 HH LL: the low byte of the length
			return tok
		}), status: 403, reason: "defective_token"},
		// Not the optimistic SPNEGO token gss unwraps, so MIT's SPNEGO
		// refuses it; under Heimdal gss refuses the ill-framed token itself.
		{name: "a byte after a good token", values: mangled(false, func(_ *testing.T, tok []byte) []byte {
			return append(bytes.Clone(tok), 0)
		}), status: 403, reason: "defective_token"},
		{name: "NTLMSSP", values: values(negotiateValue(ntlmNegotiate)), status: 403, reason: "ntlm_offered"},
		{name: "SPNEGO offering only NTLM", values: func(t *testing.T, _ *badInputs) []string {
			return []string{negotiateValue(spnegoInit(t, []asn1.ObjectIdentifier{oidNTLMSSP}, ntlmNegotiate))}
		}, status: 403, reason: "bad_mech"},
		// MIT's SPNEGO asks for another round trip, which never
		// authenticates; Heimdal's Kerberos-only credential refuses SPNEGO.
		{name: "SPNEGO init without a mechanism token", values: values("Negotiate " + noMechToken),
			status: 403, reason: map[string]string{"MIT": "incomplete", "Heimdal": "bad_mech"}[gss.Library()]},
		{name: "SPNEGO with an unknown mechanism", values: func(t *testing.T, _ *badInputs) []string {
			return []string{unknownMech(alice())(t)}
		}, status: 403, reason: "bad_mech"},

		// Good Kerberos, wrong ticket.
		{name: "ticket for another service in the keytab", values: func(t *testing.T, _ *badInputs) []string {
			return []string{negotiateValue(mint(t, alice(), "HTTP@other.localhost", 0, false))}
		}, status: 403, reason: "wrong_service"},
		{name: "ticket for a service without a key", values: func(t *testing.T, _ *badInputs) []string {
			return []string{negotiateValue(mint(t, alice(), "HTTP@nokey.localhost", 0, false))}
		}, status: 403, reason: "wrong_service"},
		{name: "ticket from another realm's KDC", values: fromCCache(func(b *badInputs) string { return b.other }, "HTTP/localhost@OTHER.TEST"),
			status: 403, reason: "wrong_service"},
		{name: "replayed token", values: func(t *testing.T, _ *badInputs) []string { return []string{good(t)} },
			replay: true, status: 403, reason: "replay"},
		{name: "expired ticket", values: fromCCache(func(b *badInputs) string { return b.expired }, "HTTP/localhost@EXAMPLE.TEST"),
			status: 403, reason: "ticket_expired"},
		{name: "authenticator an hour ahead", raw: curlFrom(func(b *badInputs) string { return b.ahead }),
			status: 403, reason: "clock_skew"},
		{name: "authenticator an hour behind", raw: curlFrom(func(b *badInputs) string { return b.behind }),
			status: 403, reason: "clock_skew"},

		// Size.
		{name: "token over the size cap", values: values("Negotiate " + strings.Repeat("A", middleware.DefaultMaxTokenSize+4)),
			status: 403, reason: "token_too_large"},
		{name: "token at the size cap", values: values("Negotiate " + strings.Repeat("A", middleware.DefaultMaxTokenSize)),
			status: 403, reason: "defective_token"},
		{name: "token of http.DefaultMaxHeaderBytes", raw: rawHeader(func(*testing.T) string {
			return "Negotiate " + strings.Repeat("A", http.DefaultMaxHeaderBytes-len("Authorization: Negotiate ")-200)
		}), status: 403, reason: "token_too_large"},
		{name: "header past net/http's limit", raw: rawHeader(func(*testing.T) string {
			return "Negotiate " + strings.Repeat("A", http.DefaultMaxHeaderBytes+4096)
		}), status: 431},

		// What net/http itself refuses.
		{name: "NUL byte in the header", raw: rawHeader(func(t *testing.T) string {
			s := goodB64(t)
			return "Negotiate " + s[:20] + "\x00" + s[20:]
		}), status: 400},
		// net/http unfolds it with a space (RFC 9112 section 5.2 allows
		// that), and a space inside a token is bad base64.
		{name: "header folded over two lines", raw: func(t *testing.T, s *server, b *badInputs, path string) reply {
			v := goodB64(t)
			return rawLines("Authorization: Negotiate "+v[:40], " "+v[40:])(t, s, b, path)
		}, status: 403, reason: "bad_base64"},
	}
}

// wantBodies returns the exact bodies the row must get on /whoami and on
// /public.
func (row badRequest) wantBodies() (whoami, public string) {
	switch row.status {
	case http.StatusOK:
		return "alice@EXAMPLE.TEST\n", "alice@EXAMPLE.TEST\n"
	case http.StatusUnauthorized:
		return unauthorizedBody, "anonymous\n"
	case http.StatusForbidden:
		return forbiddenBody, "anonymous (" + row.reason + ")\n"
	case http.StatusRequestHeaderFieldsTooLarge:
		return "431 Request Header Fields Too Large", "431 Request Header Fields Too Large"
	}
	return "", "" // a 400 from net/http: its text is checked by prefix
}
