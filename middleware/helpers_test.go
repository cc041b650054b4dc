package middleware

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/ccache"
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
func newLog(level slog.Level) (*syncBuffer, Option) {
	buf := new(syncBuffer)
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

// syncBuffer is a bytes.Buffer for a logger that a sweeper or a server
// goroutine may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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
	name, realm := principal, ""
	if at := strings.LastIndexByte(principal, '@'); at >= 0 {
		name, realm = principal[:at], principal[at+1:]
	}
	client := ccache.Principal{NameType: 1, Realm: realm, Components: strings.Split(name, "/")}
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
