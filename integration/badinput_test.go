package integration

import (
	"bufio"
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
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

// badInputs is what the rows need besides the fixture: ccaches whose
// tokens no honest client of this realm makes.
type badInputs struct {
	other       string   // "FILE:…": alice@OTHER.TEST, with a ticket for HTTP/localhost@OTHER.TEST
	ahead       string   // "FILE:…": alice, her clock an hour ahead of the server's
	behind      string   // "FILE:…": alice, her clock an hour behind
	expired     string   // "FILE:…": alice, with a ticket for HTTP/localhost that expired 50 minutes ago
	passwords   []string // every password of the realms
	randomBytes []byte   // the "random bytes" row's token, the same every run
}

// otherPassword is alice@OTHER.TEST's password.
const otherPassword = "other-alice-Passw0rd"

// newBadInputs builds the ccaches: a second realm, OTHER.TEST, with its own
// KDC, alice and HTTP/localhost; a copy of alice's ccache with a KDC time
// offset of an hour; and, from a copy of the fixture's KDC whose clock runs
// an hour behind (libfaketime), a ticket that started an hour ago, for a
// client whose clock is an hour behind, and one that has expired by the
// server's clock beyond the five minutes of skew MIT forgives.
func newBadInputs(t *testing.T) *badInputs {
	t.Helper()
	b := &badInputs{
		passwords: []string{testrealm.AlicePassword, testrealm.BobPassword, testrealm.MasterPassword, otherPassword},
	}
	rnd := rand.New(rand.NewPCG(1, 2)) // a fixed seed: the same "random" token every run
	b.randomBytes = make([]byte, 4096)
	for i := range b.randomBytes {
		b.randomBytes[i] = byte(rnd.Uint32())
	}

	// OTHER.TEST: this process does not know its KDC, so the service
	// ticket is fetched into the ccache by kvno, with that realm's config.
	dir := t.TempDir()
	other, err := testrealm.Start(dir, "OTHER.TEST")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	cc := filepath.Join(dir, "alice.ccache")
	for _, step := range []func() error{
		func() error { return other.AddUser("alice", otherPassword) },
		func() error { return other.AddService(testrealm.Service) },
		func() error { return other.Kinit("alice", otherPassword, cc) },
		func() error { return other.ServiceTicket(cc, "HTTP/localhost@OTHER.TEST") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	b.other = "FILE:" + cc

	// Clock skew: the service ticket must be in the cache before the
	// clock moves, or the KDC refuses the skewed TGS request itself.
	b.ahead = skewedCCache(t, time.Hour)

	// A clock an hour behind, and an expired ticket, both from a copy of
	// the fixture's KDC whose clock runs an hour behind: the client needs
	// a ticket that has started by its own clock.
	lib := fakeTimeLibrary(t)
	cdir := t.TempDir()
	kdc, err := realm.StartCopy(cdir, "LD_PRELOAD="+lib, "FAKETIME=-1h")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kdc.Close() })
	bcc, ecc := filepath.Join(cdir, "behind.ccache"), filepath.Join(cdir, "expired.ccache")
	for _, step := range []func() error{
		func() error { return kdc.Kinit("alice", testrealm.AlicePassword, bcc) },
		func() error { return kdc.ServiceTicket(bcc, testrealm.Service) },
		// kinit kept the KDC's offset; say it again, to be sure.
		func() error { return testrealm.RewriteCCache(bcc, -time.Hour, time.Time{}) },

		func() error { _, err := kdc.Kadmin(`modprinc -maxlife "10 minutes" ` + testrealm.Service); return err },
		func() error { return kdc.Kinit("alice", testrealm.AlicePassword, ecc) },
		func() error { return kdc.ServiceTicket(ecc, testrealm.Service) },
		// The client must not notice: MIT's initiator refuses to use a
		// ticket it knows has expired.
		func() error { return testrealm.RewriteCCache(ecc, 0, time.Now().Add(time.Hour)) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	b.expired, b.behind = "FILE:"+ecc, "FILE:"+bcc
	return b
}

// skewedCCache returns a copy of alice's ccache, holding a ticket for
// HTTP/localhost, whose KDC time offset moves her clock by offset.
func skewedCCache(t *testing.T, offset time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "alice.ccache")
	copyFile(t, strings.TrimPrefix(realm.AliceCCache, "FILE:"), path)
	mint(t, user{alice().principal, "FILE:" + path}, target, 0, false) // caches the service ticket
	if err := testrealm.RewriteCCache(path, offset, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return "FILE:" + path
}

// fakeTimeLibrary finds libfaketime (Debian: faketime), which gives a KDC
// a clock of its own.
func fakeTimeLibrary(t *testing.T) string {
	t.Helper()
	libs, _ := filepath.Glob("/usr/lib/*/faketime/libfaketime.so.1")
	if len(libs) == 0 {
		t.Fatal("libfaketime not found: install the faketime package (make deps)")
	}
	return libs[0]
}

// Authorization values.

func noHeader(*testing.T, *badInputs) []string { return nil }

func values(v ...string) func(*testing.T, *badInputs) []string {
	return func(*testing.T, *badInputs) []string { return v }
}

// good is a fresh SPNEGO token from alice, encoded as it should be.
func good(t *testing.T) string { return negotiateValue(mint(t, alice(), target, 0, false)) }

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

// apReqParts is as much of an AP-REQ (RFC 4120 section 5.5.1) as the
// bit-flip rows need to find their target.
type apReqParts struct {
	PVNO          int            `asn1:"explicit,tag:0"`
	MsgType       int            `asn1:"explicit,tag:1"`
	APOptions     asn1.BitString `asn1:"explicit,tag:2"`
	Ticket        asn1.RawValue  `asn1:"explicit,tag:3"`
	Authenticator encPart        `asn1:"explicit,tag:4"`
}

type encPart struct {
	EType  int    `asn1:"explicit,tag:0"`
	KVNO   int    `asn1:"optional,explicit,tag:1"`
	Cipher []byte `asn1:"explicit,tag:2"`
}

type ticketParts struct {
	TktVNO  int           `asn1:"explicit,tag:0"`
	Realm   asn1.RawValue `asn1:"explicit,tag:1"`
	SName   asn1.RawValue `asn1:"explicit,tag:2"`
	EncPart encPart       `asn1:"explicit,tag:3"`
}

// apReqOf parses the AP-REQ inside a SPNEGO token, and its ticket.
func apReqOf(t *testing.T, tok []byte) (apReqParts, ticketParts) {
	t.Helper()
	krb := kerberosInside(t, tok)
	var outer asn1.RawValue
	var mech asn1.ObjectIdentifier
	var req apReqParts
	var tkt ticketParts
	_, err := asn1.Unmarshal(krb, &outer)
	var body []byte
	if err == nil {
		body, err = asn1.Unmarshal(outer.Bytes, &mech)
	}
	if err == nil && len(body) > 2 {
		_, err = asn1.UnmarshalWithParams(body[2:], &req, "application,explicit,tag:14")
	}
	if err == nil {
		_, err = asn1.UnmarshalWithParams(req.Ticket.Bytes, &tkt, "application,explicit,tag:1")
	}
	if err != nil {
		t.Fatalf("not an AP-REQ: %v", err)
	}
	return req, tkt
}

// ciphers returns the ticket's and the authenticator's ciphertexts in a
// SPNEGO token.
func ciphers(t *testing.T, tok []byte) (ticket, authenticator []byte) {
	t.Helper()
	req, tkt := apReqOf(t, tok)
	return tkt.EncPart.Cipher, req.Authenticator.Cipher
}

// flipIn flips one bit in the middle of part, which tok contains.
func flipIn(t *testing.T, tok, part []byte) []byte {
	t.Helper()
	i := bytes.Index(tok, part)
	if i < 0 || len(part) == 0 {
		t.Fatal("part not found in the token")
	}
	tok = bytes.Clone(tok)
	tok[i+len(part)/2] ^= 0x10
	return tok
}

// spnegoInit frames mechToken as a SPNEGO NegTokenInit offering mechs.
func spnegoInit(t *testing.T, mechs []asn1.ObjectIdentifier, mechToken []byte) []byte {
	t.Helper()
	type negTokenInit struct {
		MechTypes []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
		MechToken []byte                  `asn1:"explicit,optional,tag:2"`
	}
	inner, err := asn1.MarshalWithParams(negTokenInit{mechs, mechToken}, "explicit,tag:0")
	if err != nil {
		t.Fatal(err)
	}
	oid, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2})
	tok, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: append(oid, inner...)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var oidNTLMSSP = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}

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

// sendRaw sends "GET path" with the header lines over a new connection and
// reads the reply while it writes, so that a server that answers before it
// has read everything, with a 431 say, is heard.
func sendRaw(s *server, path string, lines ...string) (reply, error) {
	addr := strings.TrimPrefix(s.url, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return reply{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var req bytes.Buffer
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, addr)
	for _, l := range lines {
		req.WriteString(l + "\r\n")
	}
	req.WriteString("Connection: close\r\n\r\n")
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		conn.Write(req.Bytes()) // fails once the server closes early: fine
	}()
	defer func() { conn.Close(); <-wrote }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return reply{}, fmt.Errorf("no response: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{resp.StatusCode, resp.Header, string(body), conn.LocalAddr().String()}, nil
}

// sendValues sends GET path with the Authorization values as separate
// header lines.
func (s *server) sendValues(path string, vals []string) (reply, error) {
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		return reply{}, err
	}
	for _, v := range vals {
		req.Header.Add("Authorization", v)
		s.remember(v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	for _, c := range resp.Header.Values("WWW-Authenticate") {
		s.remember(c)
	}
	return reply{resp.StatusCode, resp.Header, string(body), ""}, nil
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

// sendBad sends the row to path and returns the reply that counts.
func (s *server) sendBad(t *testing.T, b *badInputs, row badRequest, path string) reply {
	t.Helper()
	if row.raw != nil {
		return row.raw(t, s, b, path)
	}
	vals := row.values(t, b)
	if row.replay {
		if r, err := s.sendValues(path, vals); err != nil || r.status != http.StatusOK {
			t.Fatalf("the first use of the token: %d %q %v, want 200", r.status, r.body, err)
		}
	}
	r, err := s.sendValues(path, vals)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return r
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

// checkBadReply checks one reply to a row.
func checkBadReply(t *testing.T, row badRequest, path string, r reply, wantStatus int, wantBody string) {
	t.Helper()
	if r.status != wantStatus {
		t.Errorf("%s: got %d %q, want %d %q", path, r.status, r.body, wantStatus, wantBody)
		return
	}
	if wantBody != "" && r.body != wantBody {
		t.Errorf("%s: body %q, want %q", path, r.body, wantBody)
	}
	if wantStatus == http.StatusBadRequest && !strings.HasPrefix(r.body, "400 Bad Request") {
		t.Errorf("%s: body %q, want net/http's 400", path, r.body)
	}
	if path != "/public" { // /public shows the reason, on purpose
		checkNoDetail(t, r)
	}
}

// TestBadInput sends every row of the table to /whoami (authentication
// required) and /public (optional) through one server, then a good token,
// and checks that no goroutine is left behind.
func TestBadInput(t *testing.T) {
	s := newServer(t)
	b := newBadInputs(t)
	rows := badRequests()
	if len(rows) < 25 {
		t.Fatalf("only %d rows", len(rows))
	}
	s.get(t, "/whoami", good(t)) // starts what a first request starts
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			before := settledGoroutines(s)

			whoami, public := row.wantBodies()
			checkBadReply(t, row, "/whoami", s.sendBad(t, b, row, "/whoami"), row.status, whoami)
			publicStatus := row.status
			if row.status < 500 && row.status != http.StatusBadRequest && row.status != http.StatusRequestHeaderFieldsTooLarge {
				publicStatus = http.StatusOK
			}
			checkBadReply(t, row, "/public", s.sendBad(t, b, row, "/public"), publicStatus, public)

			// The server still serves.
			if r := s.get(t, "/whoami", good(t)); r.status != http.StatusOK || r.body != "alice@EXAMPLE.TEST\n" {
				t.Fatalf("a good token after the row: %d %q", r.status, r.body)
			}
			checkNoGoroutineLeak(t, s, before)
		})
	}
}

// settledGoroutines closes the client's idle connections and returns the
// number of goroutines once it has held still for 30 ms.
func settledGoroutines(s *server) int {
	s.client.CloseIdleConnections()
	n, still := runtime.NumGoroutine(), 0
	for deadline := time.Now().Add(2 * time.Second); still < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			still++
		} else {
			n, still = m, 0
		}
	}
	return n
}

// checkNoGoroutineLeak waits up to 5 s for the number of goroutines to
// come down to before, and fails the test with every goroutine's stack if
// it does not.
func checkNoGoroutineLeak(t *testing.T, s *server, before int) {
	t.Helper()
	var n int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.client.CloseIdleConnections()
		if n = runtime.NumGoroutine(); n <= before {
			return
		}
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Errorf("%d goroutines, %d before: leaked\n%s", n, before, buf)
}

// TestNoSecretsInLogs runs the whole table through a server that logs at
// Debug, with net/http's own error log captured as well, and checks the
// log: no token that went either way, nor a fragment of 16 characters of
// one (as sent, re-encoded as base64 at any alignment, or as hex), and no
// password of the realm.
func TestNoSecretsInLogs(t *testing.T) {
	s := newServer(t)
	stdlog := captureStdLog(t, s.logs)
	b := newBadInputs(t)
	for _, row := range badRequests() {
		for _, path := range []string{"/whoami", "/public"} {
			if r := s.sendBad(t, b, row, path); r.status >= 500 {
				t.Errorf("%s %s: %d %q", row.name, path, r.status, r.body)
			}
		}
	}
	// Good tokens too, delegating ones included: their replies carry
	// mutual-authentication tokens, which the check covers as well.
	for _, raw := range []bool{false, true} {
		s.get(t, "/whoami", negotiateValue(mint(t, alice(), target, 0, raw)))
		s.get(t, "/delegate", negotiateValue(mint(t, bob(), target, negotiate.FlagDelegate, raw)))
	}
	stdlog()

	logs := s.logs.String()
	for _, want := range []string{"reason=replay", "reason=bad_base64", "principal=alice@EXAMPLE.TEST", "principal=bob@EXAMPLE.TEST"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q: is it captured at all?\n%s", want, logs)
		}
	}
	for _, pw := range b.passwords {
		if strings.Contains(logs, pw) {
			t.Errorf("the log holds the password %q", pw)
		}
	}
	s.checkNoTokenLogged(t)
	s.mu.Lock()
	n := len(s.tokens)
	s.mu.Unlock()
	if n < len(badRequests()) {
		t.Errorf("only %d tokens were checked", n)
	}
}

// captureStdLog sends the standard logger's output, where net/http's
// servers log, to w until the returned function is called (or the test
// ends).
func captureStdLog(t *testing.T, w io.Writer) (restore func()) {
	t.Helper()
	old := log.Writer()
	log.SetOutput(w)
	done := false
	restore = func() {
		if !done {
			done = true
			log.SetOutput(old)
		}
	}
	t.Cleanup(restore)
	return restore
}
