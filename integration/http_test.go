package integration

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/middleware"
)

// The middleware's default refusal bodies (middleware/options.go).
const (
	unauthorizedBody = "Unauthorized\n"
	forbiddenBody    = "Forbidden\n"
)

// An authFunc makes the Authorization value of a request, "" for none. It
// is called once per exchange, so a token it mints is fresh.
type authFunc func(t *testing.T) string

// tokenFrom sends a fresh token from u for svc, SPNEGO or raw Kerberos.
func tokenFrom(u user, svc string, raw bool) authFunc {
	return func(t *testing.T) string { return negotiateValue(mint(t, u, svc, 0, raw)) }
}

// literal sends v as it is.
func literal(v string) authFunc { return func(*testing.T) string { return v } }

// tokenBytes sends tok, base64-encoded.
func tokenBytes(tok []byte) authFunc { return literal(negotiateValue(tok)) }

// exchange is one request, sent both to /whoami, where authentication is
// required, and to /public, where it is optional.
type exchange struct {
	name string
	auth authFunc
	// replay, if set, makes this a replay: auth is sent once, which must
	// succeed, and then what replay makes of it.
	replay replayFunc

	status int    // on /whoami
	body   string // on /whoami
	public string // the body on /public, always 200
}

func exchanges() []exchange {
	replayed := func(name string, raw bool, replay replayFunc) exchange {
		return exchange{name: name, auth: tokenFrom(alice(), target, raw), replay: replay,
			status: 403, body: forbiddenBody, public: "anonymous (replay)\n"}
	}
	return []exchange{
		{name: "SPNEGO, alice", auth: tokenFrom(alice(), target, false),
			status: 200, body: "alice@EXAMPLE.TEST\n", public: "alice@EXAMPLE.TEST\n"},
		{name: "raw Kerberos, alice", auth: tokenFrom(alice(), target, true),
			status: 200, body: "alice@EXAMPLE.TEST\n", public: "alice@EXAMPLE.TEST\n"},
		{name: "SPNEGO, bob", auth: tokenFrom(bob(), target, false),
			status: 200, body: "bob@EXAMPLE.TEST\n", public: "bob@EXAMPLE.TEST\n"},
		{name: "raw Kerberos, bob", auth: tokenFrom(bob(), target, true),
			status: 200, body: "bob@EXAMPLE.TEST\n", public: "bob@EXAMPLE.TEST\n"},
		{name: "scheme in lower case", auth: func(t *testing.T) string {
			return "negotiate " + base64.StdEncoding.EncodeToString(mint(t, alice(), target, 0, false))
		}, status: 200, body: "alice@EXAMPLE.TEST\n", public: "alice@EXAMPLE.TEST\n"},
		{name: "SPNEGO naming the Windows Kerberos OID", auth: windowsStyle(alice()),
			status: 200, body: "alice@EXAMPLE.TEST\n", public: "alice@EXAMPLE.TEST\n"},

		replayed("replayed SPNEGO", false, again),
		replayed("replayed raw Kerberos", true, again),
		// The replay cache must know the authenticator in whatever wrapping.
		replayed("replayed SPNEGO, unwrapped to raw Kerberos", false, unwrapped),
		replayed("replayed SPNEGO, naming the Windows Kerberos OID", false, rewrapped),
		{name: "ticket for a service without a key", auth: tokenFrom(alice(), "HTTP@nokey.localhost", false),
			status: 403, body: forbiddenBody, public: "anonymous (wrong_service)\n"},
		{name: "ticket for another service in the keytab", auth: tokenFrom(alice(), "HTTP@other.localhost", false),
			status: 403, body: forbiddenBody, public: "anonymous (wrong_service)\n"},
		{name: "raw Kerberos ticket for another service", auth: tokenFrom(alice(), "HTTP@other.localhost", true),
			status: 403, body: forbiddenBody, public: "anonymous (wrong_service)\n"},
		{name: "not base64", auth: literal("Negotiate %%not*base64%%"),
			status: 403, body: forbiddenBody, public: "anonymous (bad_base64)\n"},
		{name: "garbage in base64", auth: tokenBytes([]byte("this is not a GSS-API token at all")),
			status: 403, body: forbiddenBody, public: "anonymous (defective_token)\n"},
		{name: "SPNEGO offering only an unknown mechanism", auth: unknownMech(alice()),
			status: 403, body: forbiddenBody, public: "anonymous (bad_mech)\n"},
		{name: "NTLMSSP", auth: tokenBytes(ntlmNegotiate),
			status: 403, body: forbiddenBody, public: "anonymous (ntlm_offered)\n"},
		// MIT's SPNEGO asks for another round trip; under Heimdal the
		// acceptor's credential is Kerberos-only and refuses SPNEGO itself.
		{name: "SPNEGO without a mechanism token", auth: literal("Negotiate " + noMechToken),
			status: 403, body: forbiddenBody, public: map[string]string{
				"MIT": "anonymous (incomplete)\n", "Heimdal": "anonymous (bad_mech)\n"}[gss.Library()]},
		{name: "truncated SPNEGO token", auth: func(t *testing.T) string {
			tok := mint(t, alice(), target, 0, false)
			return negotiateValue(tok[:len(tok)/2])
		}, status: 403, body: forbiddenBody, public: "anonymous (defective_token)\n"},
		{name: "truncated raw Kerberos token", auth: func(t *testing.T) string {
			tok := mint(t, alice(), target, 0, true)
			return negotiateValue(tok[:len(tok)/2])
		}, status: 403, body: forbiddenBody, public: "anonymous (defective_token)\n"},
		{name: "token over the size cap", auth: literal("Negotiate " + strings.Repeat("A", middleware.DefaultMaxTokenSize+4)),
			status: 403, body: forbiddenBody, public: "anonymous (token_too_large)\n"},

		{name: "no Authorization header", auth: literal(""),
			status: 401, body: unauthorizedBody, public: "anonymous\n"},
		{name: "another scheme", auth: literal("Basic YWxpY2U6c2VjcmV0"),
			status: 401, body: unauthorizedBody, public: "anonymous\n"},
		{name: "bare Negotiate", auth: literal("Negotiate"),
			status: 401, body: unauthorizedBody, public: "anonymous\n"},
	}
}

// do sends e to path and returns the reply that counts: the second one
// when e is a replay.
func (s *server) do(t *testing.T, path string, e exchange) reply {
	t.Helper()
	auth := e.auth(t)
	if e.replay == nil {
		return s.get(t, path, auth)
	}
	if first := s.get(t, path, auth); first.status != http.StatusOK {
		t.Fatalf("the first use of the token: %d %q, want 200", first.status, first.body)
	}
	return s.get(t, path, e.replay(t, auth))
}

// GSS-API detail that must never reach a client of a required route.
var detail = []string{"gss", "krb5", "kerberos", "minor", "replay", "token", "skew", "keytab", "ntlm"}

// checkNoDetail fails the test if the reply's body or headers, other than
// the challenge, hold GSS-API detail.
func checkNoDetail(t *testing.T, r reply) {
	t.Helper()
	for name, values := range r.header {
		if name == "Www-Authenticate" {
			continue
		}
		for _, v := range values {
			checkNoDetailIn(t, name+" header", v)
		}
	}
	checkNoDetailIn(t, "body", r.body)
}

func checkNoDetailIn(t *testing.T, where, s string) {
	t.Helper()
	for _, d := range detail {
		if strings.Contains(strings.ToLower(s), d) {
			t.Errorf("%s %q holds %q", where, s, d)
		}
	}
}

// TestRequiredRoute covers the HTTP semantics where authentication is
// required, with real tokens: 200 with the principal and a mutual token,
// 403 "Forbidden" for any failed token, 401 with a bare challenge without
// credentials, and no GSS-API detail in any response.
func TestRequiredRoute(t *testing.T) {
	s := newServer(t)
	for _, e := range exchanges() {
		t.Run(e.name, func(t *testing.T) {
			r := s.do(t, "/whoami", e)
			if r.status != e.status || r.body != e.body {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, e.status, e.body)
			}
			checkNoDetail(t, r)
			switch r.status {
			case http.StatusOK:
				mutualToken(t, r)
				local, _, _ := strings.Cut(r.body, "@")
				if got := r.header.Get("X-Local-Name"); got != local {
					t.Errorf("local name %q, want %q", got, local)
				}
				if got := r.header.Get("X-Mech"); got != negotiate.MechKerberos {
					t.Errorf("mechanism %q, want %q", got, negotiate.MechKerberos)
				}
			case http.StatusUnauthorized:
				if c := r.challenges(); len(c) != 1 || c[0] != "Negotiate" {
					t.Errorf("WWW-Authenticate %q, want exactly [Negotiate]", c)
				}
			default:
				if c := r.challenges(); len(c) != 0 {
					t.Errorf("a %d carries WWW-Authenticate %q", r.status, c)
				}
			}
			if r.status != http.StatusOK {
				if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type %q, want text/plain; charset=utf-8", ct)
				}
			}
		})
	}
}

// TestOptionalRoute covers /public, where authentication is optional: a
// good token gives the principal, no token gives anonymous, and a failed
// token gives anonymous with the failure's reason in the handler's context.
func TestOptionalRoute(t *testing.T) {
	s := newServer(t)
	for _, e := range exchanges() {
		t.Run(e.name, func(t *testing.T) {
			r := s.do(t, "/public", e)
			if r.status != http.StatusOK || r.body != e.public {
				t.Fatalf("got %d %q, want 200 %q", r.status, r.body, e.public)
			}
			if strings.HasPrefix(r.body, "anonymous") {
				// Nobody authenticated, so there is no mutual token to send.
				for _, c := range r.challenges() {
					if c != "Negotiate" {
						t.Errorf("an anonymous reply carries WWW-Authenticate %q", c)
					}
				}
			} else {
				mutualToken(t, r)
			}
		})
	}
}

// TestWindowsOIDAnsweredInKind checks that the reply to a token naming
// the Windows Kerberos OID names that OID back, as MIT's SPNEGO does and
// as Windows clients expect.
func TestWindowsOIDAnsweredInKind(t *testing.T) {
	s := newServer(t)
	r := s.get(t, "/whoami", windowsStyle(alice())(t))
	if r.status != http.StatusOK {
		t.Fatalf("got %d %q, want 200", r.status, r.body)
	}
	if reply := mutualToken(t, r); !bytes.Contains(reply, msKrb5OID) {
		t.Errorf("the reply %x does not name the Windows Kerberos OID", reply)
	}
}

// TestMutualAuth checks that the token in the 200's WWW-Authenticate
// completes the client's security context: the server proved it holds the
// service key.
func TestMutualAuth(t *testing.T) {
	s := newServer(t)
	for _, tt := range []struct {
		name string
		u    user
		opts []gss.InitiatorOption
	}{
		{"SPNEGO, alice", alice(), nil},
		{"raw Kerberos, alice", alice(), []gss.InitiatorOption{gss.WithRawKerberos()}},
		{"SPNEGO, bob", bob(), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ini, err := gss.NewInitiator(append(tt.opts, gss.WithCCache(tt.u.ccache))...)
			if err != nil {
				t.Fatal(err)
			}
			defer ini.Close()
			ctx, tok, err := ini.Start(target, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer ctx.Close()

			r := s.get(t, "/whoami", negotiateValue(tok))
			if r.status != http.StatusOK || r.body != tt.u.principal+"\n" {
				t.Fatalf("got %d %q, want 200 %q", r.status, r.body, tt.u.principal+"\n")
			}
			if err := ctx.Finish(mutualToken(t, r)); err != nil {
				t.Errorf("the client rejected the server's mutual-authentication token: %v", err)
			}
		})
	}
}

// TestLogs sends every exchange to both routes through a server that logs
// at Debug, and checks the log: no token or fragment of one (newServer's
// cleanup checks that for every test; here it is checked once more by
// name), the replay and wrong-service lines carry their reason and a hint,
// the authenticated lines carry the principal, and nothing is a server
// fault.
func TestLogs(t *testing.T) {
	s := newServer(t)
	for _, path := range []string{"/whoami", "/public"} {
		for _, e := range exchanges() {
			if r := s.do(t, path, e); r.status == http.StatusInternalServerError {
				t.Errorf("%s %s: 500 %q", path, e.name, r.body)
			}
		}
	}
	s.checkNoTokenLogged(t)

	logs := s.logs.String()
	for _, want := range []struct{ reason, hint string }{
		{"replay", "replayed token"},
		{"wrong_service", "no key for the service principal"},
		{"ntlm_offered", "NTLM offered"},
	} {
		line := logLine(logs, "reason="+want.reason+" ")
		if line == "" {
			t.Errorf("no log line with reason=%s in:\n%s", want.reason, logs)
			continue
		}
		if !strings.Contains(line, `hint="`+want.hint) {
			t.Errorf("the %s line has no hint starting %q: %s", want.reason, want.hint, line)
		}
		if !strings.Contains(line, "level=INFO") {
			t.Errorf("the %s line is not at Info: %s", want.reason, line)
		}
	}
	for _, p := range []string{alice().principal, bob().principal} {
		if line := logLine(logs, "principal="+p); !strings.Contains(line, `msg="negotiate: authenticated"`) {
			t.Errorf("no authenticated line for %s in:\n%s", p, logs)
		}
	}
	if line := logLine(logs, "level=ERROR"); line != "" {
		t.Errorf("a client's request was logged as a server fault: %s", line)
	}
}

// logLine returns the first line of logs that contains s, or "".
func logLine(logs, s string) string {
	for line := range strings.Lines(logs) {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

// TestNoConnectionState sends requests from alice, bob and nobody over one
// kept-alive connection. Each request is authenticated on its own: a
// connection that carried alice's token does not make the next request
// alice's.
func TestNoConnectionState(t *testing.T) {
	s := newServer(t)
	steps := []struct {
		path, auth string
		status     int
		body       string
	}{
		{"/whoami", negotiateValue(mint(t, alice(), target, 0, false)), 200, "alice@EXAMPLE.TEST\n"},
		{"/whoami", "", 401, unauthorizedBody},
		{"/public", "", 200, "anonymous\n"},
		{"/whoami", negotiateValue(mint(t, bob(), target, 0, false)), 200, "bob@EXAMPLE.TEST\n"},
		{"/whoami", "Negotiate " + noMechToken, 403, forbiddenBody},
		{"/public", "", 200, "anonymous\n"},
	}
	var conn string
	for i, st := range steps {
		r := s.get(t, st.path, st.auth)
		if r.status != st.status || r.body != st.body {
			t.Errorf("step %d, %s: got %d %q, want %d %q", i, st.path, r.status, r.body, st.status, st.body)
		}
		if i == 0 {
			conn = r.conn
		} else if r.conn != conn {
			t.Fatalf("step %d went over connection %s, not %s: the test needs one kept-alive connection", i, r.conn, conn)
		}
	}
}
