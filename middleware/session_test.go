package middleware

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
)

// Session keys of the tests. benchKey is the third.
var (
	keyA = bytes.Repeat([]byte{0xaa}, SessionKeySize)
	keyB = bytes.Repeat([]byte{0xbb}, SessionKeySize)
)

// countingAcceptor counts the calls that reach the acceptor it wraps.
type countingAcceptor struct {
	Acceptor
	calls atomic.Int32
}

func (a *countingAcceptor) Accept(tok []byte) (negotiate.Result, error) {
	a.calls.Add(1)
	return a.Acceptor.Accept(tok)
}

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
	logs *syncBuffer

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
	g := &rig{t: t, acc: acc, logs: new(syncBuffer)}
	logger := slog.New(slog.NewTextHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts = append([]Option{WithLogger(logger), WithOutcomeHook(func(o Outcome) {
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

func TestSessionReplacesNegotiate(t *testing.T) {
	g := newRig(t, WithSessions(), WithSessionKeys(keyA))
	res, a := g.do("/", neg("alice"))
	if res.StatusCode != 200 || a == nil || a.FromSession || a.Principal != alice {
		t.Fatalf("Negotiate: status %d, Auth %+v", res.StatusCode, a)
	}
	if g.lastOutcome().Session {
		t.Error("a Negotiate request reported as a session one")
	}
	c := sessionCookieOf(res.Header, DefaultSessionCookieName)
	if c == nil {
		t.Fatalf("no session cookie: %q", res.Header.Values("Set-Cookie"))
	}
	cookie := c.Name + "=" + c.Value
	for i := range 100 {
		res, a := g.do("/", "", "theme=dark; "+cookie+"; lang=en")
		if res.StatusCode != 200 || a == nil {
			t.Fatalf("request %d on the cookie: status %d", i, res.StatusCode)
		}
		want := Auth{Principal: alice, LocalName: "alice", Mech: negotiate.MechKerberos, Flags: negotiate.FlagMutual,
			FromSession: true, Expiry: a.Expiry}
		if a.OutputToken != nil || a.Delegated != nil || a.Err != nil || !a.Expiry.After(time.Now()) {
			t.Fatalf("request %d: Auth %+v", i, a)
		}
		a.OutputToken = nil
		if fmt.Sprint(*a) != fmt.Sprint(want) {
			t.Fatalf("request %d: Auth %+v, want %+v", i, *a, want)
		}
		if got := res.Header.Values("Set-Cookie"); got != nil {
			t.Fatalf("a session request sets cookies %q", got)
		}
		if got := res.Header.Values("WWW-Authenticate"); got != nil {
			t.Fatalf("a session request carries WWW-Authenticate %q", got)
		}
		if got := res.Header.Get("Cache-Control"); got != "private" {
			t.Fatalf("Cache-Control %q, want private", got)
		}
	}
	if n := g.acc.calls.Load(); n != 1 {
		t.Errorf("the acceptor was called %d times, want once", n)
	}
	if o := g.lastOutcome(); o != (Outcome{Principal: alice, Session: true, Duration: o.Duration}) {
		t.Errorf("outcome %+v", o)
	}
	if !strings.Contains(g.logs.String(), `msg="negotiate: authenticated by session cookie" principal=alice@EXAMPLE.TEST`) {
		t.Errorf("log lacks the session's debug line:\n%s", g.logs)
	}
	if strings.Contains(g.logs.String(), c.Value[:16]) {
		t.Error("the log holds the cookie")
	}
}

// TestSessionHandlerCacheControl checks that a handler can replace the
// Cache-Control the middleware sets on a session response.
func TestSessionHandlerCacheControl(t *testing.T) {
	mw, err := New(newFake(), quiet, WithSessions())
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
	}))
	c := issueCookie(t, h, neg("alice"))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Values("Cache-Control"); !slices.Equal(got, []string{"no-store"}) {
		t.Errorf("Cache-Control %q, want [no-store]", got)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want http.Cookie // Raw, Value, Expires and MaxAge not compared
	}{
		// The default name of a Secure cookie has the __Host- prefix, so
		// that browsers take it only from this host over HTTPS, with the
		// path / and no domain: a sibling subdomain cannot toss one in.
		{"defaults", nil, http.Cookie{Name: "__Host-negotiate_session", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}},
		{"path / set", []Option{WithSessionCookiePath("/")},
			http.Cookie{Name: "__Host-negotiate_session", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}},
		// A __Host- cookie cannot have another path or a domain: the
		// default is then __Secure-, still refused over plain HTTP.
		{"path", []Option{WithSessionCookiePath("/app")},
			http.Cookie{Name: "__Secure-negotiate_session", Path: "/app", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}},
		{"domain", []Option{WithSessionCookieDomain("example.test")},
			http.Cookie{Name: "__Secure-negotiate_session", Path: "/", Domain: "example.test", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}},
		{"configured", []Option{WithSessionCookieName("app_sess"), WithSessionCookiePath("/app"), WithSessionCookieDomain("example.test")},
			http.Cookie{Name: "app_sess", Path: "/app", Domain: "example.test", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}},
		// Browsers refuse a prefixed cookie that is not Secure.
		{"insecure", []Option{WithInsecureSessionCookie()}, http.Cookie{Name: "negotiate_session", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}},
		{"insecure with a domain", []Option{WithInsecureSessionCookie(), WithSessionCookieDomain("example.test")},
			http.Cookie{Name: "negotiate_session", Path: "/", Domain: "example.test", HttpOnly: true, SameSite: http.SameSiteLaxMode}},
		{"__Host-", []Option{WithSessionCookieName("__Host-s")}, http.Cookie{Name: "__Host-s", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, append([]Option{WithSessions()}, tt.opts...)...)
			before := time.Now()
			res, _ := g.do("/", neg("alice"))
			sets := res.Header.Values("Set-Cookie")
			if len(sets) != 1 {
				t.Fatalf("Set-Cookie %q, want one", sets)
			}
			c, err := http.ParseSetCookie(sets[0])
			if err != nil {
				t.Fatal(err)
			}
			if c.MaxAge < 3599 || c.MaxAge > 3600 {
				t.Errorf("Max-Age %d, want an hour", c.MaxAge)
			}
			if d := c.Expires.Sub(before); d < 3598*time.Second || d > 3601*time.Second {
				t.Errorf("Expires %v, %v after the request", c.Expires, d)
			}
			got := *c
			got.Raw, got.Value, got.Expires, got.MaxAge, got.RawExpires = "", "", time.Time{}, 0, ""
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("cookie %+v\nwant   %+v", got, tt.want)
			}
			for _, attr := range []string{"HttpOnly", "SameSite=Lax"} {
				if !strings.Contains(sets[0], attr) {
					t.Errorf("Set-Cookie %q lacks %s", sets[0], attr)
				}
			}
			// The cookie opens with its configured name only.
			if res, a := g.do("/", "", c.Name+"="+c.Value); res.StatusCode != 200 || a == nil || !a.FromSession {
				t.Errorf("the cookie did not open: %d", res.StatusCode)
			}
		})
	}
}

func TestSessionExpiry(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		ctxLeft    time.Duration // Result.Expiry from now; 0: no limit
		wantMaxAge int           // ±1
	}{
		// Result.Expiry is the ticket's end.
		{"the default maximum", nil, 10 * time.Hour, 3600},
		{"no context limit", nil, 0, 3600},
		{"a short ticket", nil, 2 * time.Minute, 120},
		{"a short ticket, a long maximum", []Option{WithSessionMaxAge(24 * time.Hour)}, 2 * time.Minute, 120},
		{"a ticket just under the maximum", nil, 59 * time.Minute, 3540},
		{"a shorter maximum", []Option{WithSessionMaxAge(10 * time.Minute)}, 2 * time.Hour, 600},
		{"a ticket ending now", nil, 900 * time.Millisecond, -1},
		{"an expired ticket", nil, -time.Minute, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := negotiate.Result{Principal: alice, Mech: negotiate.MechKerberos}
			if tt.ctxLeft != 0 {
				res.Expiry = time.Now().Add(tt.ctxLeft)
			}
			mw, err := New(fixedAcceptor{res: res}, append([]Option{quiet, WithSessions()}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			var seen Auth
			h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a, _ := FromContext(r.Context())
				seen = *a
			}))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Authorization", neg("x"))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			c := sessionCookieOf(rec.Result().Header, DefaultSessionCookieName)
			if tt.wantMaxAge < 0 {
				if rec.Code != 200 || c != nil {
					t.Fatalf("status %d, cookie %v: want 200 and no cookie", rec.Code, c)
				}
				return
			}
			if c == nil {
				t.Fatal("no cookie")
			}
			if c.MaxAge < tt.wantMaxAge-1 || c.MaxAge > tt.wantMaxAge {
				t.Errorf("Max-Age %d, want %d", c.MaxAge, tt.wantMaxAge)
			}
			// The session, as the cookie says, never outlives the ticket.
			req = httptest.NewRequest("GET", "/", nil)
			req.AddCookie(c)
			h.ServeHTTP(httptest.NewRecorder(), req)
			if !seen.FromSession {
				t.Fatal("the cookie did not open")
			}
			if !res.Expiry.IsZero() && seen.Expiry.After(res.Expiry) {
				t.Errorf("session ends at %v, after the ticket (%v)", seen.Expiry, res.Expiry)
			}
			if !c.Expires.Equal(seen.Expiry) {
				t.Errorf("cookie Expires %v, session expiry %v", c.Expires, seen.Expiry)
			}
		})
	}
}

// sealAt seals a session of alice issued and ending at the given offsets
// from now with g's middleware, and returns it as a Cookie header value.
func (g *rig) sealAt(issued, expiry time.Duration) string {
	now := time.Now()
	return g.mw.sess.name + "=" + g.mw.sess.codec.seal(&session{issued: now.Add(issued).Unix(), expiry: now.Add(expiry).Unix(),
		principal: alice, mech: negotiate.MechKerberos})
}

func TestSessionTimes(t *testing.T) {
	g := newRig(t, WithSessions(), WithSessionMaxAge(time.Hour))
	tests := []struct {
		name           string
		issued, expiry time.Duration
		ok             bool
		why            string
	}{
		{"current", -time.Minute, time.Minute, true, ""},
		{"expired", -time.Hour, -time.Second, false, "expired"},
		{"ends now", -time.Minute, 0, false, "expired"},
		{"older than the maximum age", -61 * time.Minute, time.Hour, false, "expired"},
		{"issued in the future, within the skew", 4 * time.Minute, time.Hour, true, ""},
		{"issued in the future", 10 * time.Minute, time.Hour, false, "issued_in_future"},
		{"ends before it begins", time.Minute, 30 * time.Second, false, "bad_payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(g.logs.String())
			res, a := g.do("/", "", g.sealAt(tt.issued, tt.expiry))
			if tt.ok != (res.StatusCode == 200 && a != nil && a.FromSession) {
				t.Fatalf("status %d, Auth %+v; want ok %v", res.StatusCode, a, tt.ok)
			}
			if !tt.ok {
				if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != "Negotiate" {
					t.Errorf("status %d, WWW-Authenticate %q: want the challenge", res.StatusCode, res.Header.Get("WWW-Authenticate"))
				}
				if log := g.logs.String()[before:]; !strings.Contains(log, `level=DEBUG msg="negotiate: session cookie ignored" session=`+tt.why) {
					t.Errorf("log lacks session=%s:\n%s", tt.why, log)
				}
			}
		})
	}
}

// TestSessionLowerMaxAge checks that lowering the maximum age shortens the
// sessions issued before.
func TestSessionLowerMaxAge(t *testing.T) {
	long := newRig(t, WithSessions(), WithSessionKeys(keyA), WithSessionMaxAge(8*time.Hour))
	short := newRig(t, WithSessions(), WithSessionKeys(keyA), WithSessionMaxAge(time.Hour))
	if res, _ := short.do("/", "", long.sealAt(-2*time.Hour, time.Hour)); res.StatusCode != 401 {
		t.Errorf("a two-hour-old session passed a one-hour maximum: %d", res.StatusCode)
	}
	if res, _ := short.do("/", "", long.sealAt(-30*time.Minute, time.Hour)); res.StatusCode != 200 {
		t.Errorf("a half-hour-old session failed a one-hour maximum: %d", res.StatusCode)
	}
}

func TestSessionKeyRotation(t *testing.T) {
	old := newRig(t, WithSessions(), WithSessionKeys(keyA))
	rotated := newRig(t, WithSessions(), WithSessionKeys(keyB, keyA))
	dropped := newRig(t, WithSessions(), WithSessionKeys(keyB))
	other := newRig(t, WithSessions(), WithSessionKeys(benchKey))
	same := newRig(t, WithSessions(), WithSessionKeys(keyA))

	oldCookie := old.login("alice")
	check := func(g *rig, cookie, name string, ok bool, why string) {
		t.Helper()
		before := len(g.logs.String())
		res, a := g.do("/", "", cookie)
		if got := res.StatusCode == 200 && a != nil && a.Principal == alice; got != ok {
			t.Errorf("%s: status %d, want ok %v", name, res.StatusCode, ok)
		}
		if !ok && !strings.Contains(g.logs.String()[before:], "session="+why) {
			t.Errorf("%s: log lacks session=%s:\n%s", name, why, g.logs.String()[before:])
		}
	}
	check(same, oldCookie, "another instance with the same key", true, "")
	check(rotated, oldCookie, "the old key second", true, "")
	check(dropped, oldCookie, "the old key dropped", false, "unknown_key")
	check(other, oldCookie, "another key", false, "unknown_key")

	// The rotated middleware seals with the new key.
	newCookie := rotated.login("bob")
	if res, a := dropped.do("/", "", newCookie); res.StatusCode != 200 || a.Principal != bob {
		t.Errorf("a cookie sealed with the new key: status %d", res.StatusCode)
	}
	check(old, newCookie, "a new cookie, an instance not yet rotated", false, "unknown_key")
	for _, g := range []*rig{same, rotated, dropped, other, old} {
		if n := g.acc.calls.Load(); n > 1 {
			t.Errorf("an acceptor was called %d times", n)
		}
	}
}

func TestSessionRandomKey(t *testing.T) {
	var logs syncBuffer
	one, err := New(newFake(), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithSessions())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "random key") {
		t.Errorf("New did not say it made a random key:\n%s", logs.String())
	}
	two, err := New(newFake(), quiet, WithSessions())
	if err != nil {
		t.Fatal(err)
	}
	h1 := one.Wrap(nextHandler)
	c := issueCookie(t, h1, neg("alice"))
	for i, h := range []http.Handler{h1, two.Wrap(nextHandler)} {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if want := []int{200, 401}[i]; rec.Code != want {
			t.Errorf("middleware %d: status %d, want %d", i+1, rec.Code, want)
		}
	}
	logs2 := new(syncBuffer)
	if _, err := New(newFake(), WithLogger(slog.New(slog.NewTextHandler(logs2, nil))), WithSessions(), WithSessionKeys(keyA)); err != nil {
		t.Fatal(err)
	}
	if logs2.String() != "" {
		t.Errorf("New logged with keys configured:\n%s", logs2.String())
	}
}

// mutations returns cookie values made from v by tampering with it.
func mutations(v string) map[string]string {
	m := map[string]string{
		"empty":             "",
		"garbage":           "hello",
		"padding":           v + "==",
		"standard base64":   strings.NewReplacer("-", "+", "_", "/").Replace(v) + "+/",
		"appended":          v + "AAAA",
		"doubled":           v + v,
		"huge":              strings.Repeat("A", 5000),
		"non-base64":        v[:10] + "!" + v[11:],
		"another version":   "Ag" + v[2:],
		"white space":       v[:10] + " " + v[10:],
		"non-canonical end": v[:len(v)-1] + string(v[len(v)-1]+1),
	}
	for i := range len(v) {
		m[fmt.Sprintf("flipped at %d", i)] = v[:i] + flip(v[i]) + v[i+1:]
	}
	for n := range len(v) {
		m[fmt.Sprintf("truncated to %d", n)] = v[:n]
	}
	return m
}

func TestSessionTampered(t *testing.T) {
	for _, optional := range []bool{false, true} {
		g := newRig(t, WithSessions(), WithAuthRequired(func(*http.Request) bool { return !optional }))
		cookie := g.login("alice")
		name, v, _ := strings.Cut(cookie, "=")
		g.acc.calls.Store(0)
		for what, bad := range mutations(v) {
			if bad == v {
				continue
			}
			res, a := g.do("/", "", name+"="+bad)
			switch {
			case res.StatusCode == 500:
				t.Fatalf("%s: 500", what)
			case !optional && (res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != "Negotiate"):
				t.Errorf("%s: status %d, WWW-Authenticate %q, want the challenge", what, res.StatusCode, res.Header.Get("WWW-Authenticate"))
			case optional && (res.StatusCode != 200 || a != nil):
				t.Errorf("%s, optional route: status %d, Auth %+v; want anonymous, as without credentials", what, res.StatusCode, a)
			}
			if o := g.lastOutcome(); o.Reason != "no_credentials" || o.Session {
				t.Errorf("%s: outcome %+v", what, o)
			}
		}
		if n := g.acc.calls.Load(); n != 0 {
			t.Errorf("the acceptor was called %d times", n)
		}
		log := g.logs.String()
		for _, why := range []string{"malformed", "unknown_key", "tampered"} {
			if !strings.Contains(log, `level=DEBUG msg="negotiate: session cookie ignored" session=`+why) {
				t.Errorf("log lacks session=%s", why)
			}
		}
		if strings.Contains(log, v[len(v)-16:]) || strings.Contains(log, v[:16]) {
			t.Error("the log holds the cookie")
		}
		// The genuine cookie, quoted or not, still opens.
		for _, c := range []string{cookie, name + `="` + v + `"`} {
			if res, a := g.do("/", "", c); res.StatusCode != 200 || a == nil || !a.FromSession {
				t.Errorf("%s: status %d", c, res.StatusCode)
			}
		}
	}
}

// TestSessionCookieHeader checks how the cookie is found among others.
func TestSessionCookieHeader(t *testing.T) {
	g := newRig(t, WithSessions())
	good := g.login("alice")
	_, v, _ := strings.Cut(good, "=")
	bad := g.mw.sess.name + "=" + v[:len(v)-4] + "AAAA"
	tests := []struct {
		name    string
		cookies []string
		ok      bool
	}{
		{"alone", []string{good}, true},
		{"among others", []string{"a=1; " + good + "; b=2"}, true},
		{"no spaces", []string{"a=1;" + good + ";b=2"}, true},
		{"in a second header", []string{"a=1", good}, true},
		{"after a bad one", []string{bad + "; " + good}, true},
		{"after too many bad ones", []string{strings.Repeat(bad+"; ", maxSessionTries) + good}, false},
		{"a longer name", []string{"x" + good}, false},
		{"a prefix of the name", []string{"negotiate_sessio=" + v}, false},
		{"name in another case", []string{"Negotiate_Session=" + v}, false},
		{"none", []string{"a=1; b=2"}, false},
	}
	for _, tt := range tests {
		res, a := g.do("/", "", tt.cookies...)
		if ok := res.StatusCode == 200 && a != nil; ok != tt.ok {
			t.Errorf("%s: status %d, want ok %v", tt.name, res.StatusCode, tt.ok)
		}
	}
}

// TestSessionCookieNameBound checks that a cookie opens only under the name
// it was sealed for, even with the same key.
func TestSessionCookieNameBound(t *testing.T) {
	a := newRig(t, WithSessions(), WithSessionKeys(keyA), WithSessionCookieName("app_a"))
	b := newRig(t, WithSessions(), WithSessionKeys(keyA), WithSessionCookieName("app_b"))
	cookie := a.login("alice")
	_, v, _ := strings.Cut(cookie, "=")
	if res, _ := b.do("/", "", "app_b="+v); res.StatusCode != 401 {
		t.Errorf("a cookie renamed from app_a to app_b opened: %d", res.StatusCode)
	}
	if !strings.Contains(b.logs.String(), "session=tampered") {
		t.Errorf("log lacks session=tampered:\n%s", b.logs)
	}
}

// TestSessionNegotiateFirst checks that Negotiate credentials, when a
// request carries them, count and the cookie does not.
func TestSessionNegotiateFirst(t *testing.T) {
	g := newRig(t, WithSessions())
	cookie := g.login("alice")
	g.acc.calls.Store(0)

	// A token with a cookie: the token counts, and a new cookie comes.
	res, a := g.do("/", neg("bob"), cookie)
	if res.StatusCode != 200 || a == nil || a.Principal != bob || a.FromSession {
		t.Fatalf("token and cookie: status %d, Auth %+v", res.StatusCode, a)
	}
	if c := sessionCookieOf(res.Header, DefaultSessionCookieName); c == nil {
		t.Error("no new cookie")
	}
	// A failed token with a good cookie fails.
	if res, _ := g.do("/", neg("replay"), cookie); res.StatusCode != 403 {
		t.Errorf("failed token and a cookie: status %d, want 403", res.StatusCode)
	}
	// A bare "Negotiate" carries no credentials: the cookie counts.
	if res, a := g.do("/", "Negotiate", cookie); res.StatusCode != 200 || a == nil || !a.FromSession {
		t.Errorf("bare Negotiate and a cookie: status %d", res.StatusCode)
	}
	if n := g.acc.calls.Load(); n != 2 {
		t.Errorf("acceptor calls %d, want 2", n)
	}
}

func TestEndSession(t *testing.T) {
	g := newRig(t, WithSessions(), WithSessionCookiePath("/"), WithSessionCookieDomain("example.test"))
	cookie := g.login("alice")

	check := func(res *http.Response, what string) {
		t.Helper()
		sets := res.Header.Values("Set-Cookie")
		if len(sets) != 1 {
			t.Fatalf("%s: Set-Cookie %q, want one", what, sets)
		}
		c, err := http.ParseSetCookie(sets[0])
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != SecureSessionCookieName || c.Value != "" || c.MaxAge >= 0 || !c.Expires.Before(time.Now()) ||
			c.Path != "/" || c.Domain != "example.test" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: Set-Cookie %q does not expire the session cookie", what, sets[0])
		}
	}
	res, a := g.do("/logout", "", cookie)
	if res.StatusCode != 200 || a == nil || !a.FromSession {
		t.Fatalf("logout on the cookie: status %d", res.StatusCode)
	}
	check(res, "on the cookie")
	// On a Negotiate request, the cookie just issued gives way.
	res, _ = g.do("/logout", neg("alice"))
	check(res, "on a token")

	// Without sessions, EndSession does nothing.
	mw, err := New(newFake(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	mw.EndSession(rec)
	if len(rec.Header()) != 0 {
		t.Errorf("EndSession without sessions set %v", rec.Header())
	}
}

// TestSessionNoDelegatedCredential checks what a session request has of a
// delegated credential: never the credential, and the ccache file only
// under PerPrincipal when the session began by delegating.
func TestSessionNoDelegatedCredential(t *testing.T) {
	t.Run("no directory", func(t *testing.T) {
		g := newRig(t, WithSessions())
		cookie := g.login("deleg")
		_, a := g.do("/", "", cookie)
		if a == nil || a.Delegated != nil || a.CCache != "" || a.Flags&negotiate.FlagDelegate == 0 {
			t.Errorf("Auth %+v", a)
		}
	})
	t.Run("PerPrincipal", func(t *testing.T) {
		dir := delegDir(t)
		g := newRigWith(t, delegFake(), WithSessions(), WithDelegationDir(dir))
		res, first := g.do("/", neg("deleg:"+carol))
		if res.StatusCode != 200 || first.CCache == "" {
			t.Fatalf("status %d, CCache %q", res.StatusCode, first.CCache)
		}
		cookie := sessionCookieOf(res.Header, DefaultSessionCookieName)
		_, a := g.do("/", "", cookie.Name+"="+cookie.Value)
		if a == nil || !a.FromSession || a.Delegated != nil || a.CCache != first.CCache {
			t.Errorf("session Auth %+v, want CCache %q", a, first.CCache)
		}
		// A session that began without delegation has no file.
		nodeleg := g.login("nodeleg:" + carol)
		if _, a := g.do("/", "", nodeleg); a == nil || a.CCache != "" {
			t.Errorf("a session begun without delegation has CCache %q", a.CCache)
		}
		// Once the file is gone, the session has none.
		if err := os.Remove(strings.TrimPrefix(first.CCache, "FILE:")); err != nil {
			t.Fatal(err)
		}
		if _, a := g.do("/", "", cookie.Name+"="+cookie.Value); a == nil || a.CCache != "" {
			t.Errorf("CCache %q of a removed file", a.CCache)
		}
		checkReleased(t, g.acc)
	})
	t.Run("PerRequest", func(t *testing.T) {
		g := newRigWith(t, delegFake(), WithSessions(), WithDelegationDir(delegDir(t)), WithCCachePolicy(PerRequest))
		cookie := g.login("deleg:" + carol)
		if _, a := g.do("/", "", cookie); a == nil || !a.FromSession || a.CCache != "" {
			t.Errorf("session Auth %+v", a)
		}
	})
	t.Run("required", func(t *testing.T) {
		dir := delegDir(t)
		g := newRigWith(t, delegFake(), WithSessions(), WithDelegationDir(dir), WithDelegationRequired())
		res, first := g.do("/", neg("deleg:"+carol))
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		c := sessionCookieOf(res.Header, DefaultSessionCookieName)
		cookie := c.Name + "=" + c.Value
		if res, a := g.do("/", "", cookie); res.StatusCode != 200 || a.CCache != first.CCache {
			t.Errorf("session with the file: status %d", res.StatusCode)
		}
		os.Remove(strings.TrimPrefix(first.CCache, "FILE:"))
		// Without the file the cookie cannot serve: the client must
		// negotiate, and delegate, again.
		res, _ = g.do("/", "", cookie)
		if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != "Negotiate" {
			t.Errorf("session without the file: status %d, want the challenge", res.StatusCode)
		}
		if !strings.Contains(g.logs.String(), "session=no_delegated_credential") {
			t.Errorf("log lacks why:\n%s", g.logs)
		}
	})
}

func TestNewSessionOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		ok   bool
	}{
		{"on", []Option{WithSessions()}, true},
		{"all", []Option{WithSessions(), WithSessionKeys(keyA, keyB), WithSessionMaxAge(time.Second),
			WithSessionCookieName("s"), WithSessionCookiePath("/a/b"), WithSessionCookieDomain(".example.test"), WithInsecureSessionCookie()}, true},
		{"__Secure-", []Option{WithSessions(), WithSessionCookieName("__Secure-s"), WithSessionCookiePath("/x")}, true},
		{"delegation required, PerPrincipal", []Option{WithSessions(), WithDelegationRequired(), WithDelegationDir(delegDir(t))}, true},

		{"keys without sessions", []Option{WithSessionKeys(keyA)}, false},
		{"max age without sessions", []Option{WithSessionMaxAge(time.Hour)}, false},
		{"name without sessions", []Option{WithSessionCookieName("s")}, false},
		{"path without sessions", []Option{WithSessionCookiePath("/")}, false},
		{"domain without sessions", []Option{WithSessionCookieDomain("example.test")}, false},
		{"insecure without sessions", []Option{WithInsecureSessionCookie()}, false},
		{"no key", []Option{WithSessions(), WithSessionKeys()}, false},
		{"short key", []Option{WithSessions(), WithSessionKeys(keyA[:16])}, false},
		{"long key", []Option{WithSessions(), WithSessionKeys(append(keyA, 0))}, false},
		{"nil key", []Option{WithSessions(), WithSessionKeys(nil)}, false},
		{"same key twice", []Option{WithSessions(), WithSessionKeys(keyA, keyB, bytes.Clone(keyA))}, false},
		{"max age 0", []Option{WithSessions(), WithSessionMaxAge(0)}, false},
		{"max age under a second", []Option{WithSessions(), WithSessionMaxAge(999 * time.Millisecond)}, false},
		{"empty name", []Option{WithSessions(), WithSessionCookieName("")}, false},
		{"name with =", []Option{WithSessions(), WithSessionCookieName("a=b")}, false},
		{"name with ;", []Option{WithSessions(), WithSessionCookieName("a;b")}, false},
		{"name with space", []Option{WithSessions(), WithSessionCookieName("a b")}, false},
		{"non-ASCII name", []Option{WithSessions(), WithSessionCookieName("séance")}, false},
		{"relative path", []Option{WithSessions(), WithSessionCookiePath("app")}, false},
		{"empty path", []Option{WithSessions(), WithSessionCookiePath("")}, false},
		{"path with ;", []Option{WithSessions(), WithSessionCookiePath("/a;b")}, false},
		{"path with a control", []Option{WithSessions(), WithSessionCookiePath("/a\nb")}, false},
		{"empty domain", []Option{WithSessions(), WithSessionCookieDomain("")}, false},
		{"domain with ;", []Option{WithSessions(), WithSessionCookieDomain("a.test;x")}, false},
		{"IP domain", []Option{WithSessions(), WithSessionCookieDomain("127.0.0.1")}, false},
		{"domain with an empty label", []Option{WithSessions(), WithSessionCookieDomain("a..test")}, false},
		{"domain label with a leading hyphen", []Option{WithSessions(), WithSessionCookieDomain("-a.test")}, false},
		{"__Host- with a path", []Option{WithSessions(), WithSessionCookieName("__Host-s"), WithSessionCookiePath("/app")}, false},
		{"__Host- with a domain", []Option{WithSessions(), WithSessionCookieName("__host-s"), WithSessionCookieDomain("example.test")}, false},
		{"__Host- insecure", []Option{WithSessions(), WithSessionCookieName("__Host-s"), WithInsecureSessionCookie()}, false},
		{"__Secure- insecure", []Option{WithSessions(), WithSessionCookieName("__SECURE-s"), WithInsecureSessionCookie()}, false},
		{"delegation required, no directory", []Option{WithSessions(), WithDelegationRequired()}, false},
		{"delegation required, PerRequest", []Option{WithSessions(), WithDelegationRequired(), WithDelegationDir(delegDir(t)), WithCCachePolicy(PerRequest)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := New(newFake(), append([]Option{quiet}, tt.opts...)...)
			if tt.ok != (err == nil) {
				t.Fatalf("New: err = %v, want ok = %v", err, tt.ok)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "middleware: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if err != nil && strings.Contains(err.Error(), hex.EncodeToString(keyA)[:8]) {
				t.Errorf("error %q holds a key", err)
			}
			if mw != nil {
				mw.Close()
			}
		})
	}
}

// TestSessionKeysCopied checks that changing a key after New changes
// nothing.
func TestSessionKeysCopied(t *testing.T) {
	k := bytes.Clone(keyA)
	g := newRig(t, WithSessions(), WithSessionKeys(k))
	cookie := g.login("alice")
	clear(k)
	if res, _ := g.do("/", "", cookie); res.StatusCode != 200 {
		t.Errorf("status %d after the caller's key slice changed", res.StatusCode)
	}
}

func TestParseSessionKeys(t *testing.T) {
	a, b := hex.EncodeToString(keyA), hex.EncodeToString(keyB)
	tests := []struct {
		name string
		text string
		want [][]byte
	}{
		{"one", a + "\n", [][]byte{keyA}},
		{"no final newline", a, [][]byte{keyA}},
		{"two, in order", b + "\n" + a + "\n", [][]byte{keyB, keyA}},
		{"comments, blanks, CRLF and spaces", "# new\r\n  " + strings.ToUpper(b) + " \r\n\n# old, drop after May\n" + a + "\n", [][]byte{keyB, keyA}},
		{"empty", "", nil},
		{"comments only", "# nothing\n\n", nil},
		{"short", a[:62] + "\n", nil},
		{"long", a + "00\n", nil},
		{"not hex", "zz" + a[2:] + "\n", nil},
		{"two on a line", a + " " + b + "\n", nil},
		{"a bad second line", a + "\nxyz\n", nil},
	}
	for _, tt := range tests {
		got, err := ParseSessionKeys([]byte(tt.text))
		if tt.want == nil {
			if err == nil {
				t.Errorf("%s: no error", tt.name)
			} else if strings.Contains(err.Error(), a[:16]) || strings.Contains(err.Error(), "xyz") {
				t.Errorf("%s: error %q holds the line", tt.name, err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%s: %d keys, %v", tt.name, len(got), err)
			continue
		}
		for i := range got {
			if !bytes.Equal(got[i], tt.want[i]) {
				t.Errorf("%s: key %d differs", tt.name, i)
			}
		}
	}
	if _, err := ParseSessionKeys([]byte(a + "\nxyz\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %v does not name line 2", err)
	}
}

// TestSessionConcurrent issues and opens sessions from many goroutines;
// run it with -race.
func TestSessionConcurrent(t *testing.T) {
	g := newRig(t, WithSessions(), WithSessionKeys(keyA, keyB))
	cookies := []string{g.login("alice"), g.login("bob")}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				req := httptest.NewRequest("GET", "/", nil)
				if (i+j)%3 == 0 {
					req.Header.Set("Authorization", neg("alice"))
				} else {
					req.Header.Set("Cookie", cookies[(i+j)%2])
				}
				rec := httptest.NewRecorder()
				g.h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
				}
			}
		})
	}
	wg.Wait()
}

// TestSessionPayload round-trips session contents, the odd ones included.
func TestSessionPayload(t *testing.T) {
	for _, s := range []session{
		{issued: 1, expiry: 2, principal: "a@R"},
		{issued: 1 << 40, expiry: 1<<40 + 10, flags: negotiate.FlagDelegate | negotiate.FlagMutual,
			principal: `alice\@corp.example@EXAMPLE.TEST`, localName: "alice", mech: negotiate.MechKerberos},
		{issued: 5, expiry: 5, principal: strings.Repeat("p", 300), localName: strings.Repeat("l", 200), mech: "1.2.3.4"},
		{issued: 5, expiry: 6, principal: "nul\x00and\xffbytes@R", mech: negotiate.MechSPNEGO},
	} {
		got, ok := parseSession(appendSession(nil, &s))
		if !ok || got != s {
			t.Errorf("round trip of %+v: %+v, %v", s, got, ok)
		}
	}
	good := appendSession(nil, &session{issued: 1, expiry: 2, principal: "a@R", localName: "a"})
	for n := range len(good) {
		if _, ok := parseSession(good[:n]); ok {
			t.Errorf("truncated to %d parsed", n)
		}
	}
	if _, ok := parseSession(append(bytes.Clone(good), 0)); ok {
		t.Error("a trailing byte parsed")
	}
	if _, ok := parseSession(appendSession(nil, &session{issued: 1, expiry: 2})); ok {
		t.Error("an empty principal parsed")
	}
}

// fuzzGenuine is the one cookie FuzzSessionCookie knows to be genuine:
// alice's session, local name alice, sealed with keyA under the default
// cookie name, issued at 2026-01-01T00:00:00Z and ending a hundred years
// later. It is a constant
// because every fuzzing process runs the target's setup, and a cookie
// sealed there would differ in each, nonces being random. Should the format
// change, seal a new one with the same contents and paste it here.
const fuzzGenuine = "AbyYrxaHr1UusXB5O2Q0CIn6UuGW8StF6kQOaEleibwvDesPh4oEABAf7DEMi_7N1UnxikWDW9vNCRZlAPXzDA7jB7M0Wg2N9iZM0ZYmzRpXNz9dGOx4TRXcyz0O0IsplEUo"

// FuzzSessionCookie feeds random cookie values to the opener and to a
// whole middleware: they never panic, never answer 500, and authenticate
// only the one genuine cookie of the seed corpus.
func FuzzSessionCookie(f *testing.F) {
	// A maximum age of two centuries keeps the genuine cookie current.
	mw, err := New(newFake(), quiet, WithSessions(), WithSessionKeys(keyA, keyB), WithSessionMaxAge(200*365*24*time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	genuine := fuzzGenuine
	f.Add(genuine)                                                              // the one cookie that opens
	f.Add(genuine[:len(genuine)-1])                                             // truncated
	f.Add(genuine[:20] + flip(genuine[20]) + genuine[21:])                      // one character changed
	f.Add(genuine + "A")                                                        // one character more
	f.Add(`"` + genuine + `"`)                                                  // quoted, which the opener itself refuses
	f.Add("")                                                                   // empty
	f.Add("AQAAAAA")                                                            // a version byte and a short key id
	f.Add(strings.Repeat("A", 80))                                              // long enough, all zero
	f.Add(mw.sess.codec.seal(&session{issued: 1, expiry: 2, principal: alice})) // expired long ago
	f.Add("bad base64 !!!")                                                     // not base64url
	f.Add(strings.NewReplacer("-", "+", "_", "/").Replace(genuine))             // standard alphabet
	f.Add(genuine[:40] + "\n" + genuine[40:])                                   // a line break, which Go's decoder skips
	f.Add(genuine + " ; other=1")                                               // white space and another cookie after it
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := PrincipalFromContext(r.Context()); ok {
			w.Header().Set("X-Principal", p)
		}
	}))
	f.Fuzz(func(t *testing.T, v string) {
		sess, why := mw.sess.codec.open(v, now)
		if (why == "") != (v == genuine) {
			t.Fatalf("open(%q) = %+v, %q", v, sess, why)
		}
		if why == "" && (sess.principal != alice || sess.localName != "alice") {
			t.Fatalf("the genuine cookie opened as %+v", sess)
		}
		if why != "" && sess != (session{}) {
			t.Fatalf("a refused cookie yields %+v", sess)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["Cookie"] = []string{DefaultSessionCookieName + "=" + v}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code != 200 && rec.Code != 401:
			t.Fatalf("cookie %q: status %d", v, rec.Code)
		case rec.Code == 200 && !strings.Contains(v, genuine):
			t.Fatalf("cookie %q authenticated", v)
		case rec.Code == 200 && rec.Header().Get("X-Principal") != alice:
			t.Fatalf("cookie %q: principal %q", v, rec.Header().Get("X-Principal"))
		case rec.Code != 200 && (v == genuine || v == `"`+genuine+`"`):
			t.Fatalf("the genuine cookie %q: status %d", v, rec.Code)
		}
	})
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
