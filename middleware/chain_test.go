package middleware

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/negotiate-go/negotiate/internal/syncbuf"
)

// chain is the pattern of issue 14: an outer Middleware, optional, in
// front of a ServeMux whose /private/ routes an inner Middleware guards,
// both over one fake acceptor that accepts a token once, as a real one with
// its replay cache does. They log into one buffer.
type chain struct {
	t     *testing.T
	acc   *fakeAcceptor
	outer *Middleware
	inner *Middleware
	h     http.Handler
	logs  *syncbuf.Buffer

	mu       sync.Mutex
	seen     *Auth // a copy of the Auth the last handler saw; nil if none
	outcomes map[string][]Outcome
}

// newChain builds a chain; the outer Middleware gets optional added to
// outerOpts, both get the log and an outcome hook.
func newChain(t *testing.T, acc *fakeAcceptor, outerOpts, innerOpts []Option) *chain {
	t.Helper()
	c := &chain{t: t, acc: acc, outcomes: map[string][]Outcome{}}
	var logger Option
	c.logs, logger = newLog(slog.LevelDebug)
	hook := func(name string) Option {
		return WithOutcomeHook(func(_ *http.Request, o Outcome) {
			c.mu.Lock()
			c.outcomes[name] = append(c.outcomes[name], o)
			c.mu.Unlock()
		})
	}
	build := func(name string, opts []Option) *Middleware {
		mw, err := New(acc, append([]Option{logger, hook(name)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mw.Close() })
		return mw
	}
	c.outer = build("outer", append([]Option{WithAuthRequired(func(*http.Request) bool { return false })}, outerOpts...))
	c.inner = build("inner", innerOpts)
	inner := http.NewServeMux()
	inner.Handle("/private/", c.inner.Wrap(c.record()))
	inner.Handle("/", c.record())
	c.h = c.outer.Wrap(inner)
	return c
}

// record is a handler that keeps a copy of the Auth it sees, then runs
// nextHandler.
func (c *chain) record() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := FromContext(r.Context()); ok {
			cp := *a
			c.mu.Lock()
			c.seen = &cp
			c.mu.Unlock()
		}
		nextHandler(w, r)
	})
}

// do sends GET path with the Authorization value auth ("" for none) and the
// Cookie values cookies, and returns the response and the Auth the last
// handler saw. It clears the outcomes.
func (c *chain) do(path, auth string, cookies ...string) (*http.Response, *Auth) {
	c.t.Helper()
	c.mu.Lock()
	c.seen, c.outcomes = nil, map[string][]Outcome{}
	c.mu.Unlock()
	req := httptest.NewRequest("GET", path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, v := range cookies {
		req.Header.Add("Cookie", v)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	c.mu.Lock()
	defer c.mu.Unlock()
	return rec.Result(), c.seen
}

// outcome returns the one outcome the named Middleware reported for the
// last request, Duration zeroed.
func (c *chain) outcome(name string) Outcome {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.outcomes[name]); n != 1 {
		c.t.Fatalf("%s reported %d outcomes, want 1", name, n)
	}
	o := c.outcomes[name][0]
	if o.Inherited && o.Duration != 0 {
		c.t.Errorf("%s: an inherited outcome with Duration %v", name, o.Duration)
	}
	o.Duration = 0
	return o
}

// TestChainOptionalThenRequired checks that a request an optional outer
// Middleware authenticated passes an inner required one without a second
// accept, which a real acceptor refuses as a replay, session cookie or
// ccache store; that one it failed is refused by the inner one with that
// failure, logged once; and that one without credentials is challenged as
// before.
func TestChainOptionalThenRequired(t *testing.T) {
	c := newChain(t, newOnceFake(), nil, nil)
	for _, path := range []string{"/private/x", "/public"} {
		res, a := c.do(path, neg("alice#"+path))
		if res.StatusCode != 200 || a == nil || a.Principal != alice || res.Header.Get("WWW-Authenticate") != mutualHeader {
			t.Errorf("%s: status %d, Auth %+v, WWW-Authenticate %q", path, res.StatusCode, a, res.Header.Values("WWW-Authenticate"))
		}
	}
	if n := c.acc.calls.Load(); n != 2 {
		t.Errorf("%d accepts for two requests", n)
	}
	if o := c.outcome("outer"); o != (Outcome{Principal: alice}) {
		t.Errorf("outer outcome %+v", o)
	}
	c.do("/private/x", neg("bob"))
	if o := c.outcome("inner"); o != (Outcome{Principal: bob, Inherited: true}) {
		t.Errorf("inner outcome %+v", o)
	}

	// Without credentials: as with one Middleware.
	res, a := c.do("/private/x", "")
	if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != "Negotiate" || a != nil {
		t.Errorf("no credentials: status %d, Auth %+v", res.StatusCode, a)
	}
	if o := c.outcome("inner"); o != (Outcome{Reason: "no_credentials", Status: 401}) {
		t.Errorf("no credentials: inner outcome %+v", o)
	}
	if res, a := c.do("/public", ""); res.StatusCode != 200 || a != nil {
		t.Errorf("no credentials, public: status %d, Auth %+v", res.StatusCode, a)
	}

	// A token that fails: refused once, logged once.
	before := strings.Count(c.logs.String(), "authentication failed")
	res, a = c.do("/private/x", neg("skew"))
	if res.StatusCode != 403 || a != nil {
		t.Errorf("a failed token: status %d, Auth %+v", res.StatusCode, a)
	}
	if n := c.acc.calls.Load(); n != 4 {
		t.Errorf("%d accepts after four tokens", n)
	}
	if o := c.outcome("inner"); o != (Outcome{Reason: "clock_skew", Status: 403, Inherited: true}) {
		t.Errorf("a failed token: inner outcome %+v", o)
	}
	if n := strings.Count(c.logs.String(), "authentication failed") - before; n != 1 {
		t.Errorf("the failure was logged %d times:\n%s", n, c.logs)
	}
	if strings.Contains(c.logs.String(), "replay") {
		t.Errorf("a replay in the log:\n%s", c.logs)
	}
	res, a = c.do("/public", neg("skew#2"))
	if res.StatusCode != 200 || a == nil || Reason(a.Err) != "clock_skew" {
		t.Errorf("a failed token, public: status %d, Auth %+v", res.StatusCode, a)
	}
}

// TestChainOneSessionOneStore checks that the inner Middleware neither
// issues a second session cookie nor stores the credential again, and
// that the outer one's session serves the inner route.
func TestChainOneSessionOneStore(t *testing.T) {
	acc := delegFake()
	acc.seen = map[string]bool{}
	outerDir, innerDir := delegDir(t), delegDir(t)
	c := newChain(t, acc,
		[]Option{WithSessions(), WithSessionKeys(keyA), WithDelegationDir(outerDir)},
		[]Option{WithSessions(), WithSessionKeys(keyB), WithDelegationDir(innerDir)})
	res, a := c.do("/private/x", neg("deleg:"+carol))
	if res.StatusCode != 200 || a == nil || a.Principal != carol || a.CCache != "FILE:"+outerDir+"/"+carol {
		t.Fatalf("status %d, Auth %+v", res.StatusCode, a)
	}
	cookies := res.Header.Values("Set-Cookie")
	if len(cookies) != 1 {
		t.Errorf("Set-Cookie %q, want one", cookies)
	}
	if names := dirNames(t, innerDir); len(names) != 0 {
		t.Errorf("the inner Middleware stored %q", names)
	}
	creds := acc.issuedCreds()
	if len(creds) != 1 || creds[0].stored.Load() != 1 {
		t.Errorf("%d credentials, stored %d times", len(creds), creds[0].stored.Load())
	}
	checkReleased(t, acc)

	cookie := sessionCookieOf(res.Header, DefaultSessionCookieName)
	res, a = c.do("/private/x", "", cookie.Name+"="+cookie.Value)
	if res.StatusCode != 200 || a == nil || !a.FromSession || a.Principal != carol || res.Header.Get("Cache-Control") != "private" {
		t.Errorf("by cookie: status %d, Auth %+v", res.StatusCode, a)
	}
	if o := c.outcome("inner"); o != (Outcome{Principal: carol, Session: true, Inherited: true}) {
		t.Errorf("by cookie: inner outcome %+v", o)
	}
	if n := acc.calls.Load(); n != 1 {
		t.Errorf("%d accepts", n)
	}
}

// TestChainInnerRules checks that the inner Middleware applies its own
// authorization rules to what the outer one let in, and refuses with its
// own forbidden response.
func TestChainInnerRules(t *testing.T) {
	optional := WithAuthRequired(func(*http.Request) bool { return false })
	tests := []struct {
		name   string
		inner  []Option
		kind   string
		status int
		reason string // the inner outcome's
		body   string
	}{
		{"realm allowed", []Option{WithAllowedRealms("EXAMPLE.TEST")}, "alice", 200, "", "ok\n"},
		{"realm refused", []Option{WithAllowedRealms("OTHER.TEST"), WithForbiddenHandler(customDenied(451, false))},
			"alice", 451, "realm_not_allowed", "custom realm_not_allowed\n"},
		{"principal refused", []Option{WithAllowedPrincipals(bob)}, "alice", 403, "principal_not_allowed", "Forbidden\n"},
		{"local name refused", []Option{WithRequireLocalName()}, "bob", 403, "no_local_name", "Forbidden\n"},
		{"predicate refuses", []Option{WithAuthorize(func(a *Auth) bool { return a.Principal == bob })}, "alice", 403, "not_authorized", "Forbidden\n"},
		{"group member", []Option{WithAllowedGroups(sidStaff)}, "ad", 200, "", "ok\n"},
		{"group non-member", []Option{WithAllowedGroups(sidAdmins)}, "ad", 403, "group_not_allowed", "Forbidden\n"},
		{"group, no PAC", []Option{WithAllowedGroups(sidStaff)}, "alice", 403, "group_not_allowed", "Forbidden\n"},
		{"indicator", []Option{WithRequiredAuthIndicators("otp")}, "otp", 200, "", "ok\n"},
		{"indicator missing", []Option{WithRequiredAuthIndicators("otp")}, "alice", 403, "no_auth_indicator", "Forbidden\n"},
		{"delegation", []Option{WithDelegationRequired()}, "deleg", 200, "", "ok\n"},
		{"no delegation", []Option{WithDelegationRequired()}, "alice", 403, "no_delegated_credential", "Forbidden\n"},
		{"refused, inner optional", []Option{WithAllowedRealms("OTHER.TEST"), optional}, "alice", 200, "realm_not_allowed", "ok\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := newOnceFake()
			c := newChain(t, acc, nil, tt.inner)
			res, a := c.do("/private/x", neg(tt.kind))
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status || string(body) != tt.body {
				t.Errorf("status %d, body %q; want %d, %q", res.StatusCode, body, tt.status, tt.body)
			}
			if n := acc.calls.Load(); n != 1 {
				t.Errorf("%d accepts", n)
			}
			o := c.outcome("inner")
			if o.Reason != tt.reason || !o.Inherited {
				t.Errorf("inner outcome %+v, want reason %q", o, tt.reason)
			}
			switch {
			case tt.reason == "":
				if a == nil || a.Principal == "" {
					t.Errorf("Auth %+v, want a principal", a)
				}
			case tt.status == 200: // optional: anonymous, with the inner's reason
				if a == nil || a.Principal != "" || Reason(a.Err) != tt.reason {
					t.Errorf("Auth %+v, want anonymous with %s", a, tt.reason)
				}
			default:
				if a != nil {
					t.Errorf("a refused request reached the handler with %+v", a)
				}
				if n := strings.Count(c.logs.String(), "level=INFO"); n != 1 {
					t.Errorf("%d lines at Info, want the inner's one:\n%s", n, c.logs)
				}
			}
		})
	}
}

// TestChainSessionLacks checks that a session the outer Middleware
// authenticated, whose cookie cannot tell what an inner rule needs (a
// ccache, or groups the outer cookies do not keep), counts as no
// credentials at the inner Middleware: 401, so that the client
// negotiates, or anonymous where the inner one is optional.
func TestChainSessionLacks(t *testing.T) {
	optional := WithAuthRequired(func(*http.Request) bool { return false })
	sessions := []Option{WithSessions(), WithSessionKeys(keyA)}
	tests := []struct {
		name   string
		outer  []Option
		inner  []Option
		kind   string
		status int    // of the session request
		seen   string // the principal the inner handler sees; "" for no Auth
	}{
		{"no ccache", nil, []Option{WithDelegationRequired()}, "deleg", 401, ""},
		{"no ccache, optional", nil, []Option{WithDelegationRequired(), optional}, "deleg", 200, ""},
		{"groups not kept", nil, []Option{WithAllowedGroups(sidStaff)}, "ad", 401, ""},
		{"groups kept", []Option{WithAllowedGroups(sidStaff)}, []Option{WithAllowedGroups(sidStaff)}, "ad", 200, adAlice},
		{"groups kept, not a member", []Option{WithAllowedGroups(sidStaff, sidAdmins)}, []Option{WithAllowedGroups(sidAdmins)}, "ad", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChain(t, newOnceFake(), append(slices.Clone(sessions), tt.outer...), tt.inner)
			res, _ := c.do("/public", neg(tt.kind))
			cookie := sessionCookieOf(res.Header, DefaultSessionCookieName)
			if cookie == nil {
				t.Fatalf("no session cookie: status %d", res.StatusCode)
			}
			res, a := c.do("/private/x", "", cookie.Name+"="+cookie.Value)
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
			switch tt.status {
			case 401:
				if res.Header.Get("WWW-Authenticate") != "Negotiate" {
					t.Errorf("WWW-Authenticate %q", res.Header.Values("WWW-Authenticate"))
				}
				if o := c.outcome("inner"); o != (Outcome{Reason: "no_credentials", Status: 401, Session: true, Inherited: true}) {
					t.Errorf("inner outcome %+v", o)
				}
			}
			// The inner Middleware's handler sees what that one let in: the
			// principal, or nobody, never the outer one's session else.
			if tt.seen == "" && a != nil || tt.seen != "" && (a == nil || a.Principal != tt.seen) {
				t.Errorf("Auth %+v, want principal %q", a, tt.seen)
			}
		})
	}
}

// TestChainOneMiddleware checks Optional and Require of one Middleware in
// one chain: its rules run once, and what Optional failed Require refuses.
func TestChainOneMiddleware(t *testing.T) {
	acc := newOnceFake()
	var calls int
	buf, logger := newLog(slog.LevelInfo)
	var outcomes []Outcome
	mw, err := New(acc, logger, WithAuthorize(func(a *Auth) bool { calls++; return a.Principal == alice }),
		WithOutcomeHook(func(_ *http.Request, o Outcome) { outcomes = append(outcomes, o) }))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/private/", mw.Require(nextHandler))
	mux.Handle("/", nextHandler)
	h := mw.Optional(mux)
	if rec := serveAt(h, "/private/x", "alice"); rec.Code != 200 || rec.Header().Get("X-Principal") != alice || calls != 1 {
		t.Errorf("alice: status %d, %d predicate calls", rec.Code, calls)
	}
	if len(outcomes) != 2 || outcomes[0].Inherited || !outcomes[1].Inherited {
		t.Errorf("outcomes %+v", outcomes)
	}
	if rec := serveAt(h, "/private/x", "bob"); rec.Code != 403 || calls != 2 {
		t.Errorf("bob: status %d, %d predicate calls", rec.Code, calls)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Errorf("%d log lines, want 1:\n%s", n, buf)
	}
	if rec := serveAt(h, "/public", "bob#2"); rec.Code != 200 || rec.Header().Get("X-Failure") != "not_authorized" {
		t.Errorf("bob, public: status %d, failure %q", rec.Code, rec.Header().Get("X-Failure"))
	}
	if rec := serveAt(h, "/private/x", ""); rec.Code != 401 {
		t.Errorf("no credentials: status %d", rec.Code)
	}
}

// TestChainEarlierFailureOptional checks that an inner optional
// Middleware passes on the outer one's failure as it is.
func TestChainEarlierFailureOptional(t *testing.T) {
	c := newChain(t, newOnceFake(), nil, []Option{WithAuthRequired(func(*http.Request) bool { return false })})
	res, a := c.do("/private/x", neg("expired"))
	if res.StatusCode != 200 || a == nil || a.Principal != "" || Reason(a.Err) != "ticket_expired" {
		t.Errorf("status %d, Auth %+v", res.StatusCode, a)
	}
	if o := c.outcome("inner"); o != (Outcome{Reason: "ticket_expired", Inherited: true}) {
		t.Errorf("inner outcome %+v", o)
	}
	if n := strings.Count(c.logs.String(), "level=INFO"); n != 1 {
		t.Errorf("%d lines at Info:\n%s", n, c.logs)
	}
}

// TestChainNewContextIsNoRecord checks that an Auth put in the context with
// NewContext, by a test or other middleware, does not stand for a
// Middleware's: the request is authenticated as any other.
func TestChainNewContextIsNoRecord(t *testing.T) {
	mw, err := New(newFake(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Wrap(nextHandler)
	planted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(NewContext(r.Context(), &Auth{Principal: "mallory@EXAMPLE.TEST"})))
	})
	if rec := serveAt(planted, "/", ""); rec.Code != 401 {
		t.Errorf("no credentials under a planted Auth: status %d", rec.Code)
	}
	if rec := serveAt(planted, "/", "bob"); rec.Code != 200 || rec.Header().Get("X-Principal") != bob {
		t.Errorf("a token under a planted Auth: status %d, principal %q", rec.Code, rec.Header().Get("X-Principal"))
	}
}

// TestRequireOptional checks that Require and Optional override
// WithAuthRequired for the handlers they wrap, and that Wrap keeps it.
func TestRequireOptional(t *testing.T) {
	for _, required := range []bool{false, true} {
		mw, err := New(newFake(), quiet, WithAuthRequired(func(*http.Request) bool { return required }))
		if err != nil {
			t.Fatal(err)
		}
		for name, tt := range map[string]struct {
			h    http.Handler
			want int // without credentials
		}{
			"Require":  {mw.Require(nextHandler), 401},
			"Optional": {mw.Optional(nextHandler), 200},
			"Wrap":     {mw.Wrap(nextHandler), map[bool]int{false: 200, true: 401}[required]},
		} {
			if rec := serveAt(tt.h, "/", ""); rec.Code != tt.want {
				t.Errorf("%s, WithAuthRequired %v, no credentials: status %d, want %d", name, required, rec.Code, tt.want)
			}
			want := map[int]int{401: 403, 200: 200}[tt.want]
			if rec := serveAt(tt.h, "/", "replay"); rec.Code != want {
				t.Errorf("%s, WithAuthRequired %v, a failed token: status %d, want %d", name, required, rec.Code, want)
			}
			if rec := serveAt(tt.h, "/", "alice"); rec.Code != 200 || rec.Header().Get("X-Principal") != alice {
				t.Errorf("%s, WithAuthRequired %v: status %d", name, required, rec.Code)
			}
		}
		for name, wrap := range map[string]func(http.Handler) http.Handler{"Require": mw.Require, "Optional": mw.Optional} {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(r.(string), name) {
						t.Errorf("%s(nil): panic %v", name, r)
					}
				}()
				wrap(nil)
			}()
		}
	}
}

// serveAt sends GET path, with a fake token of kind unless kind is "",
// through h.
func serveAt(h http.Handler, path, kind string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	if kind != "" {
		req.Header.Set("Authorization", neg(kind))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
