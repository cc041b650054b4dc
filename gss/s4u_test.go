package gss_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// The S4U tests here run against the MIT fixture realm, whose KDC (with
// its db2 database) does S4U2Self but refuses every S4U2Proxy: it has no
// delegation lists. S4U2Proxy that succeeds, against Active Directory, is
// in integration/s4u_test.go (NEGOTIATE_AD=1).

// needS4U skips t under Heimdal, whose GSS-API has no S4U
// (TestS4UOptionsUnderHeimdal covers that build).
func needS4U(t *testing.T) {
	t.Helper()
	if gss.Library() == "Heimdal" {
		t.Skip("Heimdal's GSS-API has no S4U")
	}
}

// TestS4UOptionsUnderHeimdal: under Heimdal each S4U option fails at
// start-up, naming the option and saying why; under MIT both start.
func TestS4UOptionsUnderHeimdal(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []gss.Option
	}{
		{"WithConstrainedDelegation", []gss.Option{gss.WithConstrainedDelegation()}},
		{"WithProtocolTransition", []gss.Option{gss.WithProtocolTransition()}},
		{"WithConstrainedDelegation and WithProtocolTransition", []gss.Option{gss.WithConstrainedDelegation(), gss.WithProtocolTransition()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			acc, err := gss.NewAcceptor(realm.AcceptorOptions(tt.opts...)...)
			if gss.Library() == "MIT" {
				if err != nil {
					t.Fatalf("MIT: %v", err)
				}
				acc.Close()
				return
			}
			if err == nil {
				acc.Close()
				t.Fatal("Heimdal: NewAcceptor succeeded")
			}
			if msg := err.Error(); !strings.Contains(msg, tt.name+": Heimdal's GSS-API has no S4U") || !strings.Contains(msg, "MIT krb5") {
				t.Errorf("Heimdal: %v", err)
			}
		})
	}
}

// TestProxyCredential: with WithConstrainedDelegation, a client that does
// not delegate still leaves a proxy credential for a forwardable ticket;
// one that delegates leaves its forwarded TGT, and one whose ticket is not
// forwardable leaves none. A stored proxy credential holds the client's
// ticket to the service and the service's own TGT.
func TestProxyCredential(t *testing.T) {
	needS4U(t)
	acc := newAcceptor(t, gss.WithConstrainedDelegation())

	// A user whose tickets the KDC never makes forwardable, as AD does for
	// an account that is sensitive and cannot be delegated.
	dir := t.TempDir()
	if err := realm.AddUser("s4u-sensitive", "s4u-Passw0rd"); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	if _, err := realm.Kadmin("modprinc -allow_forwardable s4u-sensitive"); err != nil {
		t.Fatal(err)
	}
	sensitive := filepath.Join(dir, "sensitive")
	if err := realm.Kinit("s4u-sensitive", "s4u-Passw0rd", sensitive); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name   string
		ccache string
		flags  negotiate.Flags
		kind   string
	}{
		{"not delegating", realm.AliceCCache, 0, "proxy"},
		{"delegating", realm.AliceCCache, negotiate.FlagDelegate, "forwarded"},
		{"not forwardable", "FILE:" + sensitive, 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := testrealm.Token(tt.ccache, "HTTP@localhost", tt.flags, false)
			if err != nil {
				t.Fatal(err)
			}
			res, err := acc.Accept(tok)
			if err != nil {
				t.Fatal(err)
			}
			if res.Delegated != nil {
				defer res.Delegated.Release()
			}
			if res.DelegationKind != tt.kind || (res.Delegated == nil) != (tt.kind == "") {
				t.Fatalf("DelegationKind %q, Delegated %v; want %q", res.DelegationKind, res.Delegated, tt.kind)
			}
			// The flag says what the client did: MIT sets it for a proxy
			// credential too, and Accept clears it.
			if delegated := res.Flags&negotiate.FlagDelegate != 0; delegated != (tt.flags&negotiate.FlagDelegate != 0) {
				t.Errorf("Flags %b: FlagDelegate is %v, want %v", res.Flags, delegated, !delegated)
			}
			if tt.kind != "proxy" {
				return
			}
			path := filepath.Join(dir, "proxy")
			if err := res.Delegated.Store("FILE:" + path); err != nil {
				t.Fatal(err)
			}
			out, err := realm.Klist("-C", "-c", "FILE:"+path)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				"Default principal: alice@EXAMPLE.TEST",
				"config: proxy_impersonator = HTTP/localhost@EXAMPLE.TEST",
				"krbtgt/EXAMPLE.TEST@EXAMPLE.TEST\n\tfor client HTTP/localhost@EXAMPLE.TEST",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("the stored proxy credential lacks %q:\n%s", want, out)
				}
			}
			t.Logf("klist of a stored proxy credential:\n%s", out)
		})
	}
}

// TestProxyCredentialRefused: the MIT KDC refuses S4U2Proxy to a service
// the fixture's HTTP/localhost may not delegate to, and Start says so in
// words, wrapping gss.ErrDelegationRefused.
func TestProxyCredentialRefused(t *testing.T) {
	needS4U(t)
	acc := newAcceptor(t, gss.WithConstrainedDelegation())
	res, err := acc.Accept(token(t, "HTTP@localhost", 0, false))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Delegated.Release()
	ini, err := gss.NewInitiator(gss.WithCredential(res.Delegated))
	if err != nil {
		t.Fatal(err)
	}
	defer ini.Close()
	_, _, err = ini.Start("HTTP@other.localhost", 0)
	if !errors.Is(err, gss.ErrDelegationRefused) {
		t.Fatalf("got %v, want gss.ErrDelegationRefused", err)
	}
	for _, want := range []string{"the KDC refused HTTP/localhost@EXAMPLE.TEST constrained delegation (S4U2Proxy) for alice@EXAMPLE.TEST to HTTP@other.localhost", "msDS-AllowedToDelegateTo", "msDS-AllowedToActOnBehalfOfOtherIdentity"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	t.Log(err)
}

// TestS4UBindsToTheService: the S4U credential accepts with the keys of
// the keytab's first principal, so Accept checks the ticket's server name
// itself: a ticket for another service of the keytab is refused as
// ErrWrongService, as without S4U, and a token that is no AP-REQ too.
func TestS4UBindsToTheService(t *testing.T) {
	needS4U(t)
	acc := newAcceptor(t, gss.WithConstrainedDelegation())
	_, err := acc.Accept(token(t, "HTTP@other.localhost", 0, false))
	if !errors.Is(err, negotiate.ErrWrongService) || !strings.Contains(err.Error(), "the ticket is for HTTP/other.localhost@EXAMPLE.TEST, not HTTP/localhost@EXAMPLE.TEST") {
		t.Errorf("a ticket for HTTP/other.localhost: %v", err)
	}
	if _, err := acc.Accept([]byte("NTLMSSP\x00\x01\x00\x00\x00")); !errors.Is(err, negotiate.ErrBadMech) {
		t.Errorf("NTLMSSP: %v, want ErrBadMech", err)
	}
	if _, err := acc.Accept([]byte("garbage")); !errors.Is(err, negotiate.ErrDefectiveToken) {
		t.Errorf("garbage: %v, want ErrDefectiveToken", err)
	}
}

// TestS4UServiceCCache: the service's TGT lives in a MEMORY: cache of the
// acceptor's own, which Close destroys.
func TestS4UServiceCCache(t *testing.T) {
	needS4U(t)
	acc, err := gss.NewAcceptor(realm.AcceptorOptions(gss.WithConstrainedDelegation())...)
	if err != nil {
		t.Fatal(err)
	}
	cc := gss.ServiceCCache(acc)
	if !strings.HasPrefix(cc, "MEMORY:negotiate-s4u-") {
		t.Fatalf("the service's TGT is in %q, want a MEMORY: cache of the acceptor's own", cc)
	}
	ini, err := gss.NewInitiator(gss.WithCCache(cc))
	if err != nil {
		t.Fatalf("the acceptor's cache holds no TGT: %v", err)
	}
	ini.Close()
	other := newAcceptor(t, gss.WithConstrainedDelegation())
	if gss.ServiceCCache(other) == cc {
		t.Errorf("two acceptors share the cache %s", cc)
	}
	if err := acc.Close(); err != nil {
		t.Fatal(err)
	}
	if ini, err := gss.NewInitiator(gss.WithCCache(cc)); err == nil {
		ini.Close()
		t.Errorf("the service's TGT is still in %s after Close", cc)
	}
}

// TestImpersonate: protocol transition against the MIT KDC. It needs
// WithProtocolTransition, and fails, in words, for a user the KDC does not
// know. For alice the credential is hers, and stored holds what a proxy
// credential holds. For a user whose tickets are never forwardable, the
// credential comes, but S4U2Proxy is refused, and Start says why.
func TestImpersonate(t *testing.T) {
	needS4U(t)
	if _, err := newAcceptor(t).Impersonate("alice"); err == nil || !strings.Contains(err.Error(), "needs WithProtocolTransition") {
		t.Errorf("without WithProtocolTransition: %v", err)
	}
	acc := newAcceptor(t, gss.WithProtocolTransition())

	_, err := acc.Impersonate("nobody")
	if !errors.Is(err, gss.ErrDelegationRefused) || !strings.Contains(err.Error(), "the KDC knows no user nobody") {
		t.Errorf("no such user: %v", err)
	}

	cred, err := acc.Impersonate("alice")
	if err != nil {
		t.Fatal(err)
	}
	defer cred.Release()
	path := filepath.Join(t.TempDir(), "alice")
	if err := cred.Store("FILE:" + path); err != nil {
		t.Fatal(err)
	}
	out, err := realm.Klist("-C", "-f", "-c", "FILE:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Default principal: alice@EXAMPLE.TEST",
		"config: proxy_impersonator = HTTP/localhost@EXAMPLE.TEST",
		"krbtgt/EXAMPLE.TEST@EXAMPLE.TEST\n\tfor client HTTP/localhost@EXAMPLE.TEST",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the stored S4U2Self credential lacks %q:\n%s", want, out)
		}
	}
	t.Logf("klist of a stored S4U2Self credential:\n%s", out)

	if err := realm.AddUser("s4u-unforwardable", "s4u-Passw0rd"); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	if _, err := realm.Kadmin("modprinc -allow_forwardable s4u-unforwardable"); err != nil {
		t.Fatal(err)
	}
	cred2, err := acc.Impersonate("s4u-unforwardable")
	if err != nil {
		t.Fatal(err)
	}
	defer cred2.Release()
	ini, err := gss.NewInitiator(gss.WithCredential(cred2))
	if err != nil {
		t.Fatal(err)
	}
	defer ini.Close()
	_, _, err = ini.Start("HTTP@other.localhost", 0)
	if !errors.Is(err, gss.ErrDelegationRefused) || !strings.Contains(err.Error(), "the S4U2Self ticket for s4u-unforwardable is not forwardable") ||
		!strings.Contains(err.Error(), "not trusted to authenticate for delegation") || !strings.Contains(err.Error(), "marked sensitive") {
		t.Errorf("S4U2Proxy with a ticket that is not forwardable: %v", err)
	}
	t.Log(err)

	if err := acc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Impersonate("alice"); !errors.Is(err, negotiate.ErrServerCredentials) {
		t.Errorf("after Close: %v", err)
	}
}

// TestS4URenewsTheServiceTGT: the acceptor's TGT is renewed once past half
// its life, by a new credential in a new cache, which the old one's
// destruction follows; MIT itself does not renew it, and S4U would stop
// when it expired. Here the TGT lives 3 seconds (the acceptor's own
// krb5.conf setting, before the fixture's), and S4U still works after 4.
func TestS4URenewsTheServiceTGT(t *testing.T) {
	needS4U(t)
	short := filepath.Join(t.TempDir(), "short.conf")
	if err := os.WriteFile(short, []byte("[libdefaults]\n\tticket_lifetime = 3s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KRB5_CONFIG", short+":"+os.Getenv("KRB5_CONFIG"))
	acc := newAcceptor(t, gss.WithConstrainedDelegation(), gss.WithProtocolTransition())
	first := gss.ServiceCCache(acc)
	time.Sleep(4 * time.Second)

	res, err := acc.Accept(token(t, "HTTP@localhost", 0, false))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Delegated.Release()
	if cc := gss.ServiceCCache(acc); cc == first {
		t.Fatalf("the TGT was not renewed: still in %s", cc)
	}
	if ini, err := gss.NewInitiator(gss.WithCCache(first)); err == nil {
		ini.Close()
		t.Errorf("the old TGT's cache %s outlived its renewal", first)
	}
	path := filepath.Join(t.TempDir(), "proxy")
	if err := res.Delegated.Store("FILE:" + path); err != nil {
		t.Fatal(err)
	}
	out, err := realm.Klist("-c", "FILE:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "for client HTTP/localhost@EXAMPLE.TEST") {
		t.Errorf("the proxy credential lacks the service's TGT:\n%s", out)
	}
	// With the first TGT, now expired, this fails: "Ticket expired".
	cred, err := acc.Impersonate("alice")
	if err != nil {
		t.Fatalf("after the first TGT expired: %v", err)
	}
	cred.Release()
}

// TestS4URenewalUnderLoad: renewals swap the credential while Accept and
// Impersonate run on other goroutines, and none of them fails. The
// acceptor's clock jumps 6 hours (past half a 10-hour TGT) every few
// milliseconds, so that nearly every call renews.
func TestS4URenewalUnderLoad(t *testing.T) {
	needS4U(t)
	acc := newAcceptor(t, gss.WithConstrainedDelegation(), gss.WithProtocolTransition())
	var hours atomic.Int64
	gss.SetClock(acc, func() time.Time { return time.Now().Add(time.Duration(hours.Load()) * time.Hour) })
	first := gss.ServiceCCache(acc)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				hours.Add(6)
				if g%2 == 0 {
					cred, err := acc.Impersonate("alice")
					if err != nil {
						errs <- err
						return
					}
					cred.Release()
					continue
				}
				tok, err := testrealm.Token(realm.AliceCCache, "HTTP@localhost", 0, false)
				if err != nil {
					errs <- err
					return
				}
				res, err := acc.Accept(tok)
				if err == nil && res.DelegationKind != "proxy" {
					err = errors.New("no proxy credential")
				}
				if err == nil {
					err = res.Delegated.Store("FILE:" + filepath.Join(dir, strconv.Itoa(g)))
					res.Delegated.Release()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if gss.ServiceCCache(acc) == first {
		t.Error("no renewal happened")
	}
}
