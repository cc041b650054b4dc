package middleware

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/internal/syncbuf"
)

// Session keys of the tests and benchmarks.
var (
	keyA     = bytes.Repeat([]byte{0xaa}, SessionKeySize)
	keyB     = bytes.Repeat([]byte{0xbb}, SessionKeySize)
	benchKey = []byte("0123456789abcdef0123456789abcdef")
)

// issueCookie sends one request with the Authorization value auth through
// h and returns the session cookie the response sets.
func issueCookie(tb testing.TB, h http.Handler, auth string) *http.Cookie {
	tb.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", auth)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	c := sessionCookieOf(rec.Result().Header, DefaultSessionCookieName)
	if c == nil {
		tb.Fatalf("status %d, Set-Cookie %q: no session cookie", rec.Code, rec.Result().Header.Values("Set-Cookie"))
	}
	return c
}

// sessionCookieOf returns the cookie named name that h sets, or nil.
func sessionCookieOf(h http.Header, name string) *http.Cookie {
	for _, v := range h.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(v); err == nil && c.Name == name {
			return c
		}
	}
	return nil
}

// flip returns a base64url character other than c, so that a cookie value
// stays well-formed but changes.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// rig is a Middleware over a fake acceptor, with what its handler saw.
type rig struct {
	t    *testing.T
	mw   *Middleware
	acc  *fakeAcceptor
	h    http.Handler
	logs *syncbuf.Buffer

	mu       sync.Mutex
	seen     *Auth // a copy of the last Auth the handler saw; nil if none
	outcomes []Outcome
}

func newRig(t *testing.T, opts ...Option) *rig {
	t.Helper()
	return newRigWith(t, newFake(), opts...)
}

func newRigWith(t *testing.T, acc *fakeAcceptor, opts ...Option) *rig {
	t.Helper()
	g := &rig{t: t, acc: acc}
	var logger Option
	g.logs, logger = newLog(slog.LevelDebug)
	opts = append([]Option{logger, WithOutcomeHook(func(_ *http.Request, o Outcome) {
		g.mu.Lock()
		g.outcomes = append(g.outcomes, o)
		g.mu.Unlock()
	})}, opts...)
	mw, err := New(acc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close() })
	g.mw = mw
	g.h = mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := FromContext(r.Context()); ok {
			cp := *a
			g.mu.Lock()
			g.seen = &cp
			g.mu.Unlock()
		}
		if r.URL.Path == "/logout" {
			mw.EndSession(w)
		}
		nextHandler(w, r)
	}))
	return g
}

// do sends GET path with the Authorization value auth ("" for none) and
// the Cookie values cookies, and returns the response and the Auth the
// handler saw, if it ran with one.
func (g *rig) do(path, auth string, cookies ...string) (*http.Response, *Auth) {
	g.t.Helper()
	g.mu.Lock()
	g.seen = nil
	g.mu.Unlock()
	req := httptest.NewRequest("GET", path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, c := range cookies {
		req.Header.Add("Cookie", c)
	}
	rec := httptest.NewRecorder()
	g.h.ServeHTTP(rec, req)
	g.mu.Lock()
	defer g.mu.Unlock()
	return rec.Result(), g.seen
}

// login negotiates as kind and returns the session cookie, as a Cookie
// header value.
func (g *rig) login(kind string) string {
	g.t.Helper()
	res, _ := g.do("/", neg(kind))
	c := sessionCookieOf(res.Header, g.mw.sess.name)
	if res.StatusCode != 200 || c == nil {
		g.t.Fatalf("login as %s: status %d, Set-Cookie %q", kind, res.StatusCode, res.Header.Values("Set-Cookie"))
	}
	return c.Name + "=" + c.Value
}

func (g *rig) lastOutcome() Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.outcomes) == 0 {
		g.t.Fatal("no outcome")
	}
	return g.outcomes[len(g.outcomes)-1]
}

// sealAt seals a session of alice issued and ending at the given offsets
// from now with g's middleware, and returns it as a Cookie header value.
func (g *rig) sealAt(issued, expiry time.Duration) string {
	now := time.Now()
	return g.mw.sess.name + "=" + g.mw.sess.codec.seal(&session{issued: now.Add(issued).Unix(), expiry: now.Add(expiry).Unix(),
		principal: alice, mech: negotiate.MechKerberos})
}
