package middleware

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/ccache"
	"github.com/negotiate-go/negotiate/internal/syncbuf"
)

var quiet = WithLogger(slog.New(slog.DiscardHandler))

// nextHandler is the protected handler of the tests. It reports what it saw
// in response headers and answers 200 "ok\n".
var nextHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Next", "ran")
	if p, ok := PrincipalFromContext(r.Context()); ok {
		w.Header().Set("X-Principal", p)
	}
	if err, ok := FailureFromContext(r.Context()); ok {
		w.Header().Set("X-Failure", Reason(err))
	}
	io.WriteString(w, "ok\n")
})

// customDenied is a custom failure handler that shows the reason it reads
// from the context.
func customDenied(status int, setOwnChallenge bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if setOwnChallenge {
			w.Header().Set("WWW-Authenticate", `Basic realm="own"`)
		}
		err, _ := FailureFromContext(r.Context())
		w.WriteHeader(status)
		fmt.Fprintf(w, "custom %s\n", Reason(err))
	})
}

// wrapCheck runs check before h, when h is set.
func wrapCheck(h http.Handler, check http.HandlerFunc) http.Handler {
	if h == nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		check(w, r)
		h.ServeHTTP(w, r)
	})
}

// serve sends one request carrying a fake token of kind through h.
func serve(h http.Handler, kind string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/", nil)
	if kind != "" {
		req.Header.Set("Authorization", neg(kind))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// serveCookie sends one request carrying the cookie c through h.
func serveCookie(h http.Handler, c *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/", nil)
	if c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// newLog returns a buffer and the option that logs into it, as text, at
// level and above.
func newLog(level slog.Level) (*syncbuf.Buffer, Option) {
	buf := new(syncbuf.Buffer)
	return buf, WithLogger(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level})))
}

// sendToken sends GET path to srv with a fake token of kind.
func sendToken(srv *httptest.Server, path, kind string) (*http.Response, error) {
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", neg(kind))
	return srv.Client().Do(req)
}

// delegDir returns a fresh private directory.
func delegDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testCCache returns a ccache file for principal ("svc/admin@R") holding a
// ticket-granting ticket and n-1 service tickets that end at end, after a
// configuration entry, as MIT's kinit writes them. A principal without
// "@" has the empty realm.
func testCCache(principal string, end time.Time, n int) []byte {
	client := ccPrincipal(principal)
	realm := client.Realm
	tgt := ccache.Principal{NameType: 2, Realm: realm, Components: []string{"krbtgt", realm}}
	c := &ccache.Cache{Version: ccache.Version4, Default: client, Credentials: []ccache.Credential{
		{Client: client, Server: ccache.Principal{Realm: ccache.ConfigRealm,
			Components: []string{"krb5_ccache_conf_data", "fast_avail", "krbtgt/" + realm + "@" + realm}}},
	}}
	for i := range n {
		server := tgt
		if i > 0 {
			server = ccache.Principal{NameType: 3, Realm: realm, Components: []string{"HTTP", fmt.Sprintf("host%d", i)}}
		}
		c.Credentials = append(c.Credentials, ccache.Credential{Client: client, Server: server,
			AuthTime: end.Add(-10 * time.Hour), EndTime: end, Flags: 0x40c10000, KeyType: 18})
	}
	return c.Marshal()
}

// ccPrincipal is principal ("svc/admin@R") as a ccache holds it, of name
// type KRB5_NT_PRINCIPAL. Without "@" it has the empty realm.
func ccPrincipal(principal string) ccache.Principal {
	name, realm := principal, ""
	if at := strings.LastIndexByte(principal, '@'); at >= 0 {
		name, realm = principal[:at], principal[at+1:]
	}
	return ccache.Principal{NameType: 1, Realm: realm, Components: strings.Split(name, "/")}
}

// testProxyCCache returns a ccache file of a stored proxy credential
// (constrained delegation) of user, made by the service account service,
// as MIT's gss_store_cred_into writes one (gss/doc.go shows klist -C of
// one from Samba's AD): the service's own TGT, ending at serviceEnd, with
// its configuration entries; the proxy_impersonator entry naming service;
// the evidence ticket, the user's ticket to the service, filed under the
// service's name and ending at userEnd; and, for each of backends, a
// ticket of the user's to that backend, ending at userEnd too, as MIT
// adds one to the file when it is used.
func testProxyCCache(user, service string, userEnd, serviceEnd time.Time, backends ...string) []byte {
	u, svc := ccPrincipal(user), ccPrincipal(service)
	realm := svc.Realm
	tgt := ccache.Principal{NameType: 2, Realm: realm, Components: []string{"krbtgt", realm}}
	config := func(client ccache.Principal, name ...string) ccache.Credential {
		return ccache.Credential{Client: client, Server: ccache.Principal{Realm: ccache.ConfigRealm,
			Components: append([]string{"krb5_ccache_conf_data"}, name...)}}
	}
	const fria, frat = 0x40e00000, 0x40a80000 // klist -f: forwardable, renewable, initial or transited, pre-authenticated
	ticket := func(client, server ccache.Principal, end time.Time, flags uint32) ccache.Credential {
		return ccache.Credential{Client: client, Server: server, AuthTime: end.Add(-10 * time.Hour), EndTime: end,
			RenewTill: end.Add(14 * time.Hour), Flags: flags, KeyType: 18}
	}
	c := &ccache.Cache{Version: ccache.Version4, Default: u, Credentials: []ccache.Credential{
		config(svc, "fast_avail", tgt.String()),
		config(svc, "pa_type", tgt.String()),
		ticket(svc, tgt, serviceEnd, fria),
		config(svc, "refresh_time"),
		config(u, "proxy_impersonator"),
		ticket(u, svc, userEnd, frat),
	}}
	for _, b := range backends {
		c.Credentials = append(c.Credentials, ticket(u, ccPrincipal(b), userEnd, frat))
	}
	return c.Marshal()
}

// writeCCache writes a ccache of principal ending at end under name in dir.
func writeCCache(t *testing.T, dir, name, principal string, end time.Time) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, testCCache(principal, end, 2), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dirNames lists dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// delegFake is a fake acceptor whose "deleg:P" credentials store a valid
// ccache of P, ending in an hour.
func delegFake() *fakeAcceptor {
	acc := newFake()
	acc.newCred = func(p string) *fakeCred {
		return &fakeCred{contents: testCCache(p, time.Now().Add(time.Hour), 1)}
	}
	return acc
}

// proxyFake is a fake acceptor whose "proxy:P" credentials store a proxy
// credential of P made by websvc@EXAMPLE.TEST: the user's evidence ticket
// ends in an hour, the service's own TGT in ten.
func proxyFake() *fakeAcceptor {
	acc := newFake()
	acc.newCred = func(p string) *fakeCred {
		now := time.Now()
		return &fakeCred{contents: testProxyCCache(p, "websvc@EXAMPLE.TEST", now.Add(time.Hour), now.Add(10*time.Hour))}
	}
	return acc
}

// newDelegMW returns a Middleware storing into dir, closed by the test's
// cleanup.
func newDelegMW(t *testing.T, acc Acceptor, dir string, opts ...Option) *Middleware {
	t.Helper()
	mw, err := New(acc, append([]Option{quiet, WithDelegationDir(dir)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close() })
	return mw
}

// checkReleased checks that each credential acc handed out was released
// exactly once.
func checkReleased(t *testing.T, acc *fakeAcceptor) {
	t.Helper()
	for i, c := range acc.issuedCreds() {
		if n := c.released.Load(); n != 1 {
			t.Errorf("credential %d released %d times, want 1", i, n)
		}
	}
}

// ccachePath returns the path in Auth.CCache, which must be a FILE: cache
// in dir.
func ccachePath(t *testing.T, a *Auth, dir string) string {
	t.Helper()
	path, ok := strings.CutPrefix(a.CCache, "FILE:")
	if !ok || filepath.Dir(path) != dir {
		t.Fatalf("CCache = %q, want FILE: in %s", a.CCache, dir)
	}
	return path
}
