package middleware

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
)

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

// TestSessionConcurrent issues and opens sessions from many goroutines;
// run it with -race.
func TestSessionConcurrent(t *testing.T) {
	g := newRig(t, WithSessions(), WithSessionKeys(keyA, keyB))
	cookies := []string{g.login("alice"), g.login("bob")}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
		}()
	}
	wg.Wait()
}
