package integration

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/client"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/adrealm"
	"github.com/negotiate-go/negotiate/middleware"
)

// Constrained delegation (S4U2Proxy) and protocol transition (S4U2Self)
// against a real Active Directory DC, Samba's (NEGOTIATE_AD=1, make
// test-ad): the service websvc (HTTP/localhost) may delegate to
// HTTP/backend.localhost and to nothing else.

const (
	adDavePassword    = "D4ve-AD-Pass!" // dave is marked sensitive: NOT_DELEGATED
	adBackendPassword = "B4ckend-AD-Pass!"
	s4uBackend        = "HTTP/backend.localhost" // in websvc's msDS-AllowedToDelegateTo
	s4uOther          = "HTTP/other.localhost"   // not
)

// The service itself, as a backend must never see it.
var s4uServiceNames = []string{"websvc@" + adrealm.Realm, adService + "@" + adrealm.Realm}

// s4uFixture is the AD fixture with what S4U needs: a sensitive user,
// two backends, websvc allowed to delegate to one of them, and the
// process's Kerberos library pointed at the domain, since the service asks
// the KDC itself for its TGT and for S4U tickets.
type s4uFixture struct {
	*adFixture
	alice, dave string // FILE: ccaches; alice's TGT is forwardable, dave's not (the KDC withholds the flag from a sensitive user)
	backend     *backend
	other       *backend
}

// startS4U starts the fixture. It points this process at the domain's
// krb5.conf with t.Setenv, so its test cannot be parallel; the package's
// parallel tests run only once the sequential ones are done, so none of
// them meets the domain's krb5.conf.
func startS4U(t *testing.T) *s4uFixture {
	t.Helper()
	f := startAD(t)
	t.Logf("domain: %v", f.Timings)
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"add dave", func() error { return f.AddUser("dave", adDavePassword) }},
		{"mark dave sensitive", func() error { return f.MarkSensitive("dave") }},
		{"add backend", func() error { return f.AddService("backend", adBackendPassword, s4uBackend) }},
		{"add other", func() error { return f.AddService("other", adBackendPassword, s4uOther) }},
		{"websvc may delegate to backend", func() error { return f.AddDelegationService("websvc", s4uBackend) }},
	} {
		timed(t, step.what, step.do)
	}
	t.Setenv("KRB5_CONFIG", f.Config)
	s := &s4uFixture{adFixture: f, alice: f.kinit(t, "alice", adAlicePassword), dave: f.kinit(t, "dave", adDavePassword)}
	s.backend = startBackend(t, f, s4uBackend)
	s.other = startBackend(t, f, s4uOther)
	return s
}

// acceptor is websvc's acceptor with opts: its keytab holds websvc first,
// then HTTP/localhost.
func (f *s4uFixture) acceptor(t *testing.T, opts ...gss.Option) *gss.Acceptor {
	t.Helper()
	acc, err := gss.NewAcceptor(append([]gss.Option{gss.WithKeytab(f.keytab), gss.WithHostname("localhost")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	return acc
}

// backend is a second Negotiate service, its own key in its own keytab,
// behind the real middleware. It records whom it saw and how many
// requests carried a token at all.
type backend struct {
	spn string // "HTTP/backend.localhost"
	url string // "http://127.0.0.1:PORT"

	mu         sync.Mutex
	principals []string
	tokens     int
}

func startBackend(t *testing.T, f *adFixture, spn string) *backend {
	t.Helper()
	keytab := filepath.Join(t.TempDir(), "backend.keytab")
	if err := f.ExportKeytab(keytab, spn); err != nil {
		t.Fatal(err)
	}
	acc, err := gss.NewAcceptor(gss.WithKeytab(keytab), gss.WithPrincipal(spn+"@"+adrealm.Realm))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	mw, err := middleware.New(acc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close() })
	b := &backend{spn: spn}
	whoami := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := middleware.PrincipalFromContext(r.Context())
		b.mu.Lock()
		b.principals = append(b.principals, p)
		b.mu.Unlock()
		io.WriteString(w, p+"\n")
	}))
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			b.mu.Lock()
			b.tokens++
			b.mu.Unlock()
		}
		whoami.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	b.url = hs.URL
	return b
}

// seen returns whom the backend saw and how many requests carried a
// token.
func (b *backend) seen() ([]string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.principals), b.tokens
}

// call asks the backend's /whoami with cred, through the project's client,
// as a handler does: the backend's answer, or the client's error.
func (b *backend) call(cred client.Option) (string, error) {
	tr, err := client.New(cred, client.WithSPN(func(*http.Request) string { return b.spn + "@" + adrealm.Realm }))
	if err != nil {
		return "", err
	}
	defer tr.Close()
	resp, err := (&http.Client{Transport: tr}).Get(b.url + "/whoami")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s answered %s: %q", b.spn, resp.Status, body)
	}
	return string(body), nil
}

// curl asks the backend's /whoami with curl --negotiate, KRB5CCNAME being
// ccache, under the backend's host name (curl asks for a ticket for
// HTTP@host): status and body.
func (b *backend) curl(t *testing.T, f *s4uFixture, ccache string) (int, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(b.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(b.spn, "HTTP/")
	res := runCurl(t, append(f.Env(), "KRB5CCNAME="+ccache), "http://"+name+":"+port+"/whoami",
		"--negotiate", "--user", ":", "--resolve", name+":"+port+":"+host)
	return res.last().status, res.body
}

// frontRoutes are the service's: /hop?to=backend|other calls that backend
// as the user with Auth.Delegated and answers "KIND -> ANSWER", KIND being
// "proxy" when the client did not delegate, "forwarded" when it did; "no
// delegation" without a credential; 502 with the client's error (a test
// server: detail is welcome).
func (f *s4uFixture) frontRoutes(s *server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hop", func(w http.ResponseWriter, r *http.Request) {
		a, _ := middleware.FromContext(r.Context())
		if a.Delegated == nil {
			io.WriteString(w, "no delegation\n")
			return
		}
		kind := "proxy"
		if a.Flags&negotiate.FlagDelegate != 0 {
			kind = "forwarded"
		}
		if a.CCache != "" {
			w.Header().Set("X-CCache", a.CCache)
		}
		b := map[string]*backend{"backend": f.backend, "other": f.other}[r.URL.Query().Get("to")]
		answer, err := b.call(client.WithCredential(a.Delegated))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "%s -> %s", kind, answer)
	})
	return mux
}

// front starts websvc behind the real middleware, with constrained
// delegation and mw.
func (f *s4uFixture) front(t *testing.T, mw ...middleware.Option) *server {
	t.Helper()
	return startServer(t, serverConfig{
		acceptor:   []gss.Option{gss.WithKeytab(f.keytab), gss.WithHostname("localhost"), gss.WithConstrainedDelegation()},
		middleware: mw,
		handler:    f.frontRoutes,
		logChecks:  []func(*server, *testing.T){(*server).checkNoTokenLogged},
	})
}

// hop asks the front's /hop?to=to as the user of ccache, with the project's
// client, delegating or not.
func (f *s4uFixture) hop(t *testing.T, front *server, ccache, to string, d client.Delegation) (int, string) {
	t.Helper()
	status, body, _ := f.hopHeader(t, front, ccache, to, d)
	return status, body
}

// hopHeader is hop, with the response's header.
func (f *s4uFixture) hopHeader(t *testing.T, front *server, ccache, to string, d client.Delegation) (int, string, http.Header) {
	t.Helper()
	tr, err := client.New(client.WithCCache(ccache), client.WithDelegation(d))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	resp, err := (&http.Client{Transport: tr}).Get(front.url + "/hop?to=" + url.QueryEscape(to))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

// kinitNotForwardable gets user a TGT that is not forwardable (kinit -F),
// which Domain.Kinit, always -f, cannot.
func (f *s4uFixture) kinitNotForwardable(t *testing.T, user, password string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), user+"-nf.ccache")
	cmd := exec.Command("kinit", "-F", "-c", "FILE:"+path, user)
	cmd.Env = f.Env()
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit -F %s: %v\n%s", user, err, out)
	}
	return "FILE:" + path
}

// addRBCD lets account act for users towards target's services
// (msDS-AllowedToActOnBehalfOfOtherIdentity), which package adrealm has
// no method for.
func (f *s4uFixture) addRBCD(t *testing.T, target, account string) {
	t.Helper()
	tool, err := exec.LookPath("samba-tool")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, "delegation", "add-principal", target, account, "-s", f.SMBConf)
	cmd.Env = f.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("samba-tool delegation add-principal %s %s: %v\n%s", target, account, err, out)
	}
}

// TestS4U: constrained delegation and protocol transition against Samba's
// AD DC, with the project's middleware, gss and client on both hops, and
// curl. The backends never see the service itself, on any path.
func TestS4U(t *testing.T) {
	if gss.Library() == "Heimdal" {
		// No domain needed to show that the options fail at start-up.
		_, err := gss.NewAcceptor(realm.AcceptorOptions(gss.WithConstrainedDelegation())...)
		if err == nil || !strings.Contains(err.Error(), "Heimdal's GSS-API has no S4U") {
			t.Errorf("WithConstrainedDelegation under Heimdal: %v", err)
		}
		t.Skip("Heimdal's GSS-API has no S4U; WithConstrainedDelegation fails at start-up, as checked")
	}
	f := startS4U(t)
	front := f.front(t)

	t.Run("DoubleHop", func(t *testing.T) {
		// alice does not delegate; the service calls the backend as her.
		status, body := f.hop(t, front, f.alice, "backend", client.DelegateNever)
		if status != http.StatusOK || body != "proxy -> alice@"+adrealm.Realm+"\n" {
			t.Errorf("got %d %q, want the backend to see alice through a proxy credential", status, body)
		}
	})

	t.Run("Forwarded", func(t *testing.T) {
		// A client that delegates gets its forwarded TGT used instead.
		status, body := f.hop(t, front, f.alice, "backend", client.DelegateAlways)
		if status != http.StatusOK || body != "forwarded -> alice@"+adrealm.Realm+"\n" {
			t.Errorf("got %d %q, want the backend to see alice through her forwarded TGT", status, body)
		}
	})

	t.Run("NotListed", func(t *testing.T) {
		// The KDC refuses a backend that is not in websvc's list, the
		// handler learns why, and nothing reaches the backend as anyone.
		status, body := f.hop(t, front, f.alice, "other", client.DelegateNever)
		want := "the KDC refused websvc@" + adrealm.Realm + " constrained delegation (S4U2Proxy) for alice@" + adrealm.Realm +
			" to " + s4uOther + "@" + adrealm.Realm + ": " + s4uOther + "@" + adrealm.Realm + " is not among the services websvc@" + adrealm.Realm + " may delegate to"
		if status != http.StatusBadGateway || !strings.Contains(body, want) {
			t.Errorf("got %d %q, want 502 and an error saying %q", status, body, want)
		}
		t.Logf("the handler's error: %s", body)
		if principals, tokens := f.other.seen(); tokens != 0 || len(principals) != 0 {
			t.Errorf("the unlisted backend got %d tokens and saw %q", tokens, principals)
		}
	})

	t.Run("Sensitive", func(t *testing.T) {
		// dave is sensitive: his tickets are not forwardable, so he leaves
		// no proxy credential.
		status, body := f.hop(t, front, f.dave, "backend", client.DelegateNever)
		if status != http.StatusOK || body != "no delegation\n" {
			t.Errorf("got %d %q, want no delegation", status, body)
		}
	})

	t.Run("NotForwardable", func(t *testing.T) {
		status, body := f.hop(t, front, f.kinitNotForwardable(t, "alice", adAlicePassword), "backend", client.DelegateNever)
		if status != http.StatusOK || body != "no delegation\n" {
			t.Errorf("got %d %q, want no delegation", status, body)
		}
	})

	t.Run("StoredCCache", func(t *testing.T) {
		// The proxy credential stored into a ccache file, and curl
		// --negotiate with that file as the user's: it reaches the
		// backend as alice.
		acc := f.acceptor(t, gss.WithConstrainedDelegation())
		res, err := acc.Accept(aliceToken(t, f))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Delegated.Release()
		if res.DelegationKind != "proxy" {
			t.Fatalf("DelegationKind %q, want proxy", res.DelegationKind)
		}
		path := filepath.Join(t.TempDir(), "proxy.ccache")
		if err := res.Delegated.Store("FILE:" + path); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("the stored ccache: %v, mode %v; want 0600", err, fi.Mode())
		}
		out, err := f.Run("klist", "-C", "-e", "-f", "-c", "FILE:"+path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("klist -C -e -f of the stored proxy credential:\n%s", out)
		for _, want := range []string{
			"Default principal: alice@" + adrealm.Realm,
			"config: proxy_impersonator = websvc@" + adrealm.Realm,
			"krbtgt/" + adrealm.Realm + "@" + adrealm.Realm + "\n\tfor client websvc@" + adrealm.Realm,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the stored proxy credential lacks %q", want)
			}
		}
		if status, body := f.backend.curl(t, f, "FILE:"+path); status != http.StatusOK || body != "alice@"+adrealm.Realm+"\n" {
			t.Errorf("curl with the stored proxy credential: %d %q, want alice", status, body)
		}
		out, err = f.Run("klist", "-c", "FILE:"+path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("klist after curl:\n%s", out)
	})

	t.Run("MiddlewareStores", func(t *testing.T) {
		// The middleware stores a proxy credential as it stores a
		// forwarded TGT (WithDelegationDir), and the file works with
		// curl.
		front := f.front(t, middleware.WithDelegationDir(t.TempDir()))
		status, body, header := f.hopHeader(t, front, f.alice, "backend", client.DelegateNever)
		if status != http.StatusOK || body != "proxy -> alice@"+adrealm.Realm+"\n" {
			t.Fatalf("got %d %q, want the backend to see alice through a proxy credential", status, body)
		}
		cc := header.Get("X-CCache")
		if cc == "" {
			t.Fatal("the middleware stored no ccache")
		}
		if status, body := f.backend.curl(t, f, cc); status != http.StatusOK || body != "alice@"+adrealm.Realm+"\n" {
			t.Errorf("curl with the middleware's ccache: %d %q, want alice", status, body)
		}
	})

	t.Run("ResourceBased", func(t *testing.T) {
		// other lets websvc act for its users (RBCD), though websvc's own
		// list does not name it.
		f.addRBCD(t, "other", "websvc")
		status, body := f.hop(t, front, f.alice, "other", client.DelegateNever)
		if status == http.StatusBadGateway && strings.Contains(body, "the KDC refused websvc@"+adrealm.Realm+" constrained delegation") {
			t.Skipf("Samba's KDC refused resource-based constrained delegation: it does not evaluate msDS-AllowedToActOnBehalfOfOtherIdentity (Samba 4.17's Heimdal KDC has no RBCD check): %s", body)
		}
		if status != http.StatusOK || body != "proxy -> alice@"+adrealm.Realm+"\n" {
			t.Errorf("got %d %q, want the backend to see alice", status, body)
		}
	})

	t.Run("ProtocolTransition", func(t *testing.T) {
		acc := f.acceptor(t, gss.WithProtocolTransition())
		impersonate := func(user string) *gss.Credential {
			t.Helper()
			cred, err := acc.Impersonate(user)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cred.Release() })
			return cred
		}
		if _, err := acc.Impersonate("nobody"); !errors.Is(err, gss.ErrDelegationRefused) || !strings.Contains(err.Error(), "the KDC knows no user nobody") {
			t.Errorf("Impersonate(nobody): %v", err)
		}

		// websvc is not yet trusted for protocol transition: S4U2Self
		// works, the ticket is not forwardable, S4U2Proxy is refused.
		_, err := f.backend.call(client.WithCredential(impersonate("alice")))
		if !errors.Is(err, gss.ErrDelegationRefused) || !strings.Contains(err.Error(), "websvc@"+adrealm.Realm+" is not trusted to authenticate for delegation") {
			t.Errorf("without for-any-protocol: %v", err)
		}
		t.Logf("without for-any-protocol: %v", err)

		timed(t, "websvc for-any-protocol on", func() error { return f.ForAnyProtocol("websvc", true) })
		if answer, err := f.backend.call(client.WithCredential(impersonate("alice"))); err != nil || answer != "alice@"+adrealm.Realm+"\n" {
			t.Errorf("S4U2Self then S4U2Proxy for alice: %q, %v", answer, err)
		}
		cred := impersonate("alice@" + adrealm.Realm)
		path := filepath.Join(t.TempDir(), "s4u2self.ccache")
		if err := cred.Store("FILE:" + path); err != nil {
			t.Fatal(err)
		}
		out, err := f.Run("klist", "-C", "-f", "-c", "FILE:"+path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("klist -C -f of a stored S4U2Self credential:\n%s", out)

		// dave is sensitive: the KDC's S4U2Self ticket for him is not
		// forwardable even now.
		_, err = f.backend.call(client.WithCredential(impersonate("dave")))
		if !errors.Is(err, gss.ErrDelegationRefused) || !strings.Contains(err.Error(), "dave is marked sensitive") {
			t.Errorf("dave: %v", err)
		}
	})

	t.Run("KeytabOrder", func(t *testing.T) {
		// MIT gets the TGT for the keytab's first principal (also when
		// acquiring for no name, WithHostname("*")): the SPN first fails,
		// and the error says what to do.
		keytab := filepath.Join(t.TempDir(), "spn-first.keytab")
		if err := f.ExportKeytab(keytab, adService, "websvc"); err != nil {
			t.Fatal(err)
		}
		for _, host := range []string{"localhost", "*"} {
			acc, err := gss.NewAcceptor(gss.WithKeytab(keytab), gss.WithHostname(host), gss.WithConstrainedDelegation())
			if err == nil {
				acc.Close()
				t.Errorf("WithHostname(%q): an acceptor, with the SPN first in the keytab", host)
				continue
			}
			t.Logf("WithHostname(%q), the SPN first: %v", host, err)
			for _, want := range []string{"initiating as " + adService + "@" + adrealm.Realm + ", the keytab's first principal",
				"not found in Kerberos database", "the keytab must begin with the account"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("WithHostname(%q): the error lacks %q: %v", host, want, err)
				}
			}
		}
		acc := f.acceptor(t, gss.WithConstrainedDelegation())
		t.Logf("the account first: %v", acc)
	})

	t.Run("NeverTheService", func(t *testing.T) {
		// The check below can fail: the backend does name the service
		// when the service calls it with its own TGT.
		cc := filepath.Join(t.TempDir(), "websvc.ccache")
		if err := f.KinitKeytab("websvc", f.keytab, cc); err != nil {
			t.Fatal(err)
		}
		if answer, err := f.other.call(client.WithCCache("FILE:" + cc)); err != nil || answer != "websvc@"+adrealm.Realm+"\n" {
			t.Fatalf("the service as itself: %q, %v", answer, err)
		}
		f.other.mu.Lock()
		f.other.principals = nil // the control, not a double hop
		f.other.mu.Unlock()
	})

	// On every path above, the backends saw users, never the service.
	for _, b := range []*backend{f.backend, f.other} {
		principals, _ := b.seen()
		for _, p := range principals {
			if slices.Contains(s4uServiceNames, p) {
				t.Errorf("%s saw the service itself, %s: a double hop acted as the service", b.spn, p)
			}
		}
		t.Logf("%s saw %q", b.spn, principals)
	}
}

// aliceToken is a fresh token from alice for HTTP/localhost that does not
// delegate.
func aliceToken(t *testing.T, f *s4uFixture) []byte {
	t.Helper()
	ini, err := gss.NewInitiator(gss.WithCCache(f.alice))
	if err != nil {
		t.Fatal(err)
	}
	defer ini.Close()
	ctx, tok, err := ini.Start("HTTP@localhost", 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx.Close()
	return tok
}
