package gss_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
)

// realm is the KDC every test in this package gets its tickets from.
var realm *testrealm.Fixture

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		// A test re-ran this binary with a krb5.conf of its own (see
		// runChild): no realm of its own, and the parent's environment.
		os.Exit(m.Run())
	}
	os.Exit(realmtest.Main(m, &realm))
}

func newAcceptor(t testing.TB, opts ...gss.Option) *gss.Acceptor {
	t.Helper()
	acc, err := gss.NewAcceptor(realm.AcceptorOptions(opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	return acc
}

// token returns a fresh token from alice for target.
func token(t testing.TB, target string, flags negotiate.Flags, raw bool) []byte {
	t.Helper()
	tok, err := testrealm.Token(realm.AliceCCache, target, flags, raw)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAcceptRealTicket(t *testing.T) {
	acc := newAcceptor(t)
	for _, raw := range []bool{false, true} {
		name := map[bool]string{false: "spnego", true: "raw-krb5"}[raw]
		t.Run(name, func(t *testing.T) {
			ini, err := gss.NewInitiator(initiatorOpts(realm.AliceCCache, raw)...)
			if err != nil {
				t.Fatal(err)
			}
			defer ini.Close()
			ctx, tok := start(t, ini)

			res, err := acc.Accept(tok)
			if err != nil {
				t.Fatal(err)
			}
			if res.Principal != "alice@EXAMPLE.TEST" || res.LocalName != "alice" {
				t.Errorf("principal %q local name %q, want alice@EXAMPLE.TEST and alice", res.Principal, res.LocalName)
			}
			if res.Mech != negotiate.MechKerberos {
				t.Errorf("mech %q, want %q", res.Mech, negotiate.MechKerberos)
			}
			if res.Flags&negotiate.FlagMutual == 0 {
				t.Errorf("flags %b lack the mutual flag the client asked for", res.Flags)
			}
			if res.Expiry.IsZero() {
				t.Error("no context expiry")
			}
			// The mutual-auth token must convince the client's own library.
			if len(res.OutputToken) == 0 {
				t.Fatal("no mutual-authentication output token")
			}
			if err := ctx.Finish(res.OutputToken); err != nil {
				t.Fatalf("the client rejected the server's token: %v", err)
			}
			// Typed nil is the trap: no delegation must be a true nil.
			if res.Delegated != nil {
				t.Errorf("no delegation asked, yet Delegated = %#v", res.Delegated)
			}
		})
	}
}

// start begins a context with HTTP@localhost, closed when the test ends.
func start(t testing.TB, ini *gss.Initiator) (*gss.ClientContext, []byte) {
	t.Helper()
	ctx, tok, err := ini.Start("HTTP@localhost", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Close() })
	return ctx, tok
}

func initiatorOpts(ccache string, raw bool) []gss.InitiatorOption {
	opts := []gss.InitiatorOption{gss.WithCCache(ccache)}
	if raw {
		opts = append(opts, gss.WithRawKerberos())
	}
	return opts
}

func TestAcceptFailures(t *testing.T) {
	acc := newAcceptor(t)
	replayed := token(t, "HTTP@localhost", 0, false)
	if _, err := acc.Accept(replayed); err != nil {
		t.Fatal(err)
	}
	noMechToken, _ := base64.StdEncoding.DecodeString("YBsGBisGAQUFAqARMA+gDTALBgkqhkiG9xIBAgI=")

	tests := []struct {
		name  string
		token []byte
		want  error // nil: any error
		or    error // another acceptable category, if any
	}{
		{"replay", replayed, negotiate.ErrReplay, nil},
		{"wrong service, key in no keytab", token(t, "HTTP@nokey.localhost", 0, false), negotiate.ErrWrongService, nil},
		{"wrong service, raw krb5", token(t, "HTTP@nokey.localhost", 0, true), negotiate.ErrWrongService, nil},
		{"other service in keytab", token(t, "HTTP@other.localhost", 0, false), negotiate.ErrWrongService, nil},
		{"garbage", []byte("this is not a GSS-API token"), negotiate.ErrDefectiveToken, nil},
		{"empty", nil, negotiate.ErrDefectiveToken, nil},
		{"NTLMSSP", []byte("NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\xa2"), negotiate.ErrBadMech, nil},
		// MIT asks for another round trip; Heimdal, whose credential here
		// is Kerberos-only, refuses the mechanism.
		{"SPNEGO without a mech token", noMechToken, negotiate.ErrIncomplete, negotiate.ErrBadMech},
		{"truncated", replayed[:len(replayed)/2], nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := acc.Accept(tt.token)
			if err == nil {
				t.Fatalf("accepted, principal %q", res.Principal)
			}
			if res.Principal != "" || res.Delegated != nil {
				t.Errorf("a failure reported principal %q, credential %v", res.Principal, res.Delegated)
			}
			if tt.want != nil && !errors.Is(err, tt.want) && (tt.or == nil || !errors.Is(err, tt.or)) {
				t.Errorf("error %v (category %s), want %v", err, negotiate.Category(err), tt.want)
			}
			if negotiate.IsServerFault(err) {
				t.Errorf("a client's bad token counts as a server fault: %v", err)
			}
		})
	}
}

func TestErrorCarriesStatus(t *testing.T) {
	acc := newAcceptor(t)
	tok := token(t, "HTTP@localhost", 0, false)
	if _, err := acc.Accept(tok); err != nil {
		t.Fatal(err)
	}
	_, err := acc.Accept(tok)
	var ge *gss.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error %T %v is not a *gss.Error", err, err)
	}
	const krb5ApErrRepeat = -1765328350
	if int32(ge.Minor) != krb5ApErrRepeat || ge.RoutineError() != 13 || !errors.Is(err, negotiate.ErrReplay) {
		t.Errorf("error %+v: want GSS_S_FAILURE (13), minor KRB5KRB_AP_ERR_REPEAT, category replay", ge)
	}
	if ge.Message == "" {
		t.Error("no gss_display_status text")
	}
}

func TestDelegatedCredentialStoredToCCache(t *testing.T) {
	acc := newAcceptor(t)
	res, err := acc.Accept(token(t, "HTTP@localhost", negotiate.FlagDelegate, false))
	if err != nil {
		t.Fatal(err)
	}
	if res.Flags&negotiate.FlagDelegate == 0 || res.Delegated == nil {
		t.Fatalf("no delegated credential: flags %b", res.Flags)
	}
	defer res.Delegated.Release()

	path := filepath.Join(t.TempDir(), "alice.ccache")
	if err := res.Delegated.Store("FILE:" + path); err != nil {
		t.Fatal(err)
	}
	out, err := realm.Klist("-f", "-c", "FILE:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Default principal: alice@EXAMPLE.TEST") {
		t.Errorf("klist does not show alice as the cache's principal:\n%s", out)
	}
	tgt := klistLine(out, "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST")
	if tgt == "" {
		t.Fatalf("no TGT in the stored cache:\n%s", out)
	}
	// The flags are on the line after the ticket; "f" is forwarded.
	if flags := klistFlags(out, "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST"); !strings.Contains(flags, "f") {
		t.Errorf("the stored TGT is not marked forwarded (flags %q):\n%s", flags, out)
	}

	if err := res.Delegated.Release(); err != nil {
		t.Fatal(err)
	}
	if err := res.Delegated.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if err := res.Delegated.Store("FILE:" + path); err == nil {
		t.Error("Store after Release succeeded")
	}
}

// klistLine returns the line of klist output that names service.
func klistLine(out, service string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, service) {
			return line
		}
	}
	return ""
}

// klistFlags returns the "Flags:" field that klist -f prints for service.
func klistFlags(out, service string) string {
	seen := false
	for line := range strings.Lines(out) {
		if strings.Contains(line, service) {
			seen = true
		}
		if _, flags, ok := strings.Cut(line, "Flags: "); ok && seen {
			return strings.TrimSpace(flags)
		}
	}
	return ""
}

func TestConcurrentAccept(t *testing.T) {
	acc := newAcceptor(t)
	const workers, each = 8, 10
	tokens := make([][]byte, workers*each)
	for i := range tokens {
		tokens[i] = token(t, "HTTP@localhost", 0, i%2 == 0)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(tokens))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				res, err := acc.Accept(tokens[w*each+i])
				if err == nil && res.Principal != "alice@EXAMPLE.TEST" {
					err = errors.New("wrong principal " + res.Principal)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestAnyPrincipalInKeytab(t *testing.T) {
	acc := newAcceptor(t, gss.WithHostname("*"))
	for _, target := range []string{"HTTP@localhost", "HTTP@other.localhost"} {
		if res, err := acc.Accept(token(t, target, 0, false)); err != nil || res.Principal != "alice@EXAMPLE.TEST" {
			t.Errorf("%s: principal %q, error %v", target, res.Principal, err)
		}
	}
	if _, err := acc.Accept(token(t, "HTTP@nokey.localhost", 0, false)); !errors.Is(err, negotiate.ErrWrongService) {
		t.Errorf("a service missing from the keytab: %v, want ErrWrongService", err)
	}
}

func TestExplicitPrincipal(t *testing.T) {
	acc := newAcceptor(t, gss.WithPrincipal("HTTP/other.localhost@EXAMPLE.TEST"))
	if _, err := acc.Accept(token(t, "HTTP@other.localhost", 0, false)); err != nil {
		t.Error(err)
	}
	if _, err := acc.Accept(token(t, "HTTP@localhost", 0, false)); !errors.Is(err, negotiate.ErrWrongService) {
		t.Errorf("a ticket for another principal: %v, want ErrWrongService", err)
	}
}

func TestReplayCacheNone(t *testing.T) {
	acc := newAcceptor(t, gss.WithReplayCache("none:"))
	tok := token(t, "HTTP@localhost", 0, false)
	for range 2 {
		if _, err := acc.Accept(tok); err != nil {
			t.Fatalf("with replay detection off: %v", err)
		}
	}
}

func TestNewAcceptorErrorsNameTheCause(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.keytab")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts []gss.Option
		want []string // substrings of the error
	}{
		{"missing keytab", []gss.Option{gss.WithKeytab(filepath.Join(dir, "nope.keytab"))}, []string{"nope.keytab", "no such file"}},
		{"empty keytab", []gss.Option{gss.WithKeytab(empty), gss.WithHostname("*")}, []string{"empty.keytab"}},
		{"principal not in keytab", []gss.Option{gss.WithKeytab(realm.Keytab), gss.WithHostname("nokey.localhost")}, []string{"HTTP/nokey.localhost", realm.Keytab,
			"it holds HTTP/localhost@EXAMPLE.TEST (kvno ", "HTTP/other.localhost@EXAMPLE.TEST (kvno ", `WithHostname("*")`}},
		// Without WithHostname the name is this machine's, which the
		// fixture's keytab lacks: the error says so, and what it holds.
		{"default hostname not in keytab", []gss.Option{gss.WithKeytab(realm.Keytab)}, []string{"os.Hostname", "it holds HTTP/localhost@EXAMPLE.TEST (kvno ", `WithHostname("*")`}},
		{"explicit principal not in keytab", []gss.Option{gss.WithKeytab(realm.Keytab), gss.WithPrincipal("HTTP/x@EXAMPLE.TEST")}, []string{"HTTP/x@EXAMPLE.TEST"}},
		{"bad service", []gss.Option{gss.WithService("HT/TP")}, []string{"service"}},
		{"bad hostname", []gss.Option{gss.WithHostname("a@b")}, []string{"hostname"}},
		{"empty keytab path", []gss.Option{gss.WithKeytab("")}, []string{"keytab"}},
		{"empty replay cache", []gss.Option{gss.WithReplayCache("")}, []string{"replay cache"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc, err := gss.NewAcceptor(tt.opts...)
			if err == nil {
				acc.Close()
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestClose(t *testing.T) {
	acc := newAcceptor(t)
	if err := acc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := acc.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := acc.Accept(token(t, "HTTP@localhost", 0, false)); !errors.Is(err, negotiate.ErrServerCredentials) {
		t.Errorf("Accept after Close: %v, want ErrServerCredentials", err)
	}
	var nilCred *gss.Credential
	if err := nilCred.Release(); err != nil {
		t.Errorf("Release on nil: %v", err)
	}
}

func TestTicketServerOfARealToken(t *testing.T) {
	for target, want := range map[string]string{
		"HTTP@localhost":       "HTTP/localhost@EXAMPLE.TEST",
		"HTTP@other.localhost": "HTTP/other.localhost@EXAMPLE.TEST",
	} {
		got, ok := gss.TicketServer(token(t, target, 0, true))
		if !ok || got != want {
			t.Errorf("%s: %q %v, want %q", target, got, ok, want)
		}
	}
	if _, ok := gss.TicketServer([]byte("garbage")); ok {
		t.Error("garbage parsed as an AP-REQ")
	}
}

// Result.Expiry is the ticket's end, which MIT's reported lifetime
// overstates by its clock-skew allowance.
func TestExpiryIsTheTicketsEnd(t *testing.T) {
	cc := filepath.Join(t.TempDir(), "short.ccache")
	if err := realm.Kinit("alice", testrealm.AlicePassword, cc, "-l", "2m"); err != nil {
		t.Fatal(err)
	}
	tok, err := testrealm.Token("FILE:"+cc, "HTTP@localhost", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := newAcceptor(t).Accept(tok)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(res.Expiry); left > 2*time.Minute || left < 90*time.Second {
		t.Errorf("%s: Expiry in %v, want the ticket's end, 2m from its issue", gss.Library(), left)
	}
}

func TestKeytabPrincipals(t *testing.T) {
	got, err := gss.KeytabPrincipals(realm.Keytab)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		if p.KVNO < 1 {
			t.Errorf("%s: kvno %d", p.Principal, p.KVNO)
		}
		names = append(names, p.Principal)
	}
	want := []string{"HTTP/localhost@EXAMPLE.TEST", "HTTP/other.localhost@EXAMPLE.TEST"}
	if !slices.Equal(names, want) {
		t.Errorf("KeytabPrincipals = %q, want %q", names, want)
	}
	if _, err := gss.KeytabPrincipals(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("no error for a missing keytab")
	}
}

// TestWarnings builds an acceptor for a keytab of a realm that krb5.conf
// neither names as the default realm nor maps with auth_to_local: it
// serves, but warns that its users get no local name. The fixture's own
// keytab gets no warning.
func TestWarnings(t *testing.T) {
	if w := newAcceptor(t).Warnings(); len(w) != 0 {
		t.Errorf("warnings for the fixture's keytab: %q", w)
	}
	dir := t.TempDir()
	other, err := testrealm.Start(dir, "WARN.TEST")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	keytab := filepath.Join(dir, "http.keytab")
	if err := other.AddService("HTTP/localhost"); err != nil {
		t.Fatal(err)
	}
	if err := other.WriteKeytab(keytab, "HTTP/localhost"); err != nil {
		t.Fatal(err)
	}
	acc, err := gss.NewAcceptor(gss.WithKeytab(keytab), gss.WithPrincipal("HTTP/localhost@WARN.TEST"))
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()
	w := acc.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "realm WARN.TEST") || !strings.Contains(w[0], `default realm "EXAMPLE.TEST"`) || !strings.Contains(w[0], "KRB5_CONFIG") {
		t.Errorf("warnings %q, want one about WARN.TEST's users and the default realm", w)
	}
}
