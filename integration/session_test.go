package integration

// End-to-end tests of sessions, with real tickets and the real acceptor.
// Authorization rules and local names, on a sessionServer too, are in
// authz_test.go.

import (
	"crypto/rand"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/middleware"
)

// sessionServer is a server (startServer) whose acceptor is counted and
// whose middleware has the options a test gives. Its routes:
//
//   - /session: authentication required; answers the principal and "\n",
//     with X-From-Session, X-Local-Name and X-Expiry (the Auth's, RFC 3339,
//     or "none").
//   - /public: authentication optional, as newServer's.
//   - /logout: authentication required; ends the session.
//
// Its log must hold no token and no session cookie.
type sessionServer struct {
	*server

	mu      sync.Mutex
	cookies []string // session cookie values the server set, for the log check
}

func newSessionServer(t *testing.T, opts ...middleware.Option) *sessionServer {
	t.Helper()
	s := new(sessionServer)
	s.server = startServer(t, serverConfig{
		middleware: opts,
		count:      true,
		handler: func(srv *server) http.Handler {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /session", sessionWhoami)
			mux.HandleFunc("GET /public", public)
			mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
				srv.mw.EndSession(w)
				io.WriteString(w, "bye\n")
			})
			return mux
		},
		logChecks: []func(*server, *testing.T){
			(*server).checkNoTokenLogged,
			func(_ *server, t *testing.T) { s.checkNoCookieLogged(t) },
		},
	})
	return s
}

func sessionWhoami(w http.ResponseWriter, r *http.Request) {
	a, ok := middleware.FromContext(r.Context())
	if !ok || a.Err != nil || a.Principal == "" {
		http.Error(w, "the middleware let a request through without a principal", http.StatusInternalServerError)
		return
	}
	w.Header().Set("X-From-Session", strconv.FormatBool(a.FromSession))
	w.Header().Set("X-Local-Name", a.LocalName)
	expiry := "none"
	if !a.Expiry.IsZero() {
		expiry = a.Expiry.Format(time.RFC3339Nano)
	}
	w.Header().Set("X-Expiry", expiry)
	io.WriteString(w, a.Principal+"\n")
}

// fetch sends GET path with the Authorization value authorization and the
// session cookie value cookie, each if not "". It records both for the log
// checks, and the session cookie the reply sets.
func (s *sessionServer) fetch(t *testing.T, path, authorization, cookie string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
		s.remember(authorization)
	}
	if cookie != "" {
		req.Header.Set("Cookie", middleware.DefaultSessionCookieName+"="+cookie)
	}
	r, err := s.roundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if c := sessionCookieIn(r); c != nil && c.Value != "" {
		s.mu.Lock()
		s.cookies = append(s.cookies, c.Value)
		s.mu.Unlock()
	}
	return r
}

// login negotiates as u on /session and returns the session cookie's value.
func (s *sessionServer) login(t *testing.T, u user) string {
	t.Helper()
	r := s.fetch(t, "/session", negotiateValue(mint(t, u, target, 0, false)), "")
	c := sessionCookieIn(r)
	if r.status != http.StatusOK || c == nil || r.header.Get("X-From-Session") != "false" {
		t.Fatalf("login as %s: %d %q, Set-Cookie %q", u.principal, r.status, r.body, r.header.Values("Set-Cookie"))
	}
	return c.Value
}

// sessionCookieIn returns the session cookie the reply sets, or nil.
func sessionCookieIn(r reply) *http.Cookie {
	for _, v := range r.header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(v); err == nil && c.Name == middleware.DefaultSessionCookieName {
			return c
		}
	}
	return nil
}

// checkNoCookieLogged fails the test if the log holds a fragment of a
// session cookie the server set.
func (s *sessionServer) checkNoCookieLogged(t *testing.T) {
	t.Helper()
	logged := windows(s.logs.String())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cookies {
		if frag := loggedFragment(logged, c); frag != "" {
			t.Errorf("the log holds %q, a fragment of a session cookie", frag)
			return
		}
	}
}

// newSessionKey returns a fresh random session key.
func newSessionKey() []byte {
	k := make([]byte, middleware.SessionKeySize)
	rand.Read(k)
	return k
}

// checkSessionReply checks a reply to /session that the cookie alone
// authenticated, as want.
func checkSessionReply(t *testing.T, r reply, want string) {
	t.Helper()
	if r.status != http.StatusOK || r.body != want+"\n" || r.header.Get("X-From-Session") != "true" {
		t.Fatalf("on the cookie: %d %q, X-From-Session %q; want 200 %q from the session", r.status, r.body, r.header.Get("X-From-Session"), want)
	}
	if c := r.challenges(); len(c) != 0 {
		t.Errorf("a session reply carries WWW-Authenticate %q", c)
	}
	if c := r.header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("a session reply sets cookies %q", c)
	}
	if got := r.header.Get("Cache-Control"); got != "private" {
		t.Errorf("Cache-Control %q, want private", got)
	}
}

// checkChallenged checks a reply to a request whose cookie did not open:
// the bare challenge, as without credentials.
func checkChallenged(t *testing.T, r reply, what string) {
	t.Helper()
	if r.status != http.StatusUnauthorized || r.body != unauthorizedBody {
		t.Errorf("%s: %d %q, want 401 %q", what, r.status, r.body, unauthorizedBody)
	}
	if c := r.challenges(); len(c) != 1 || c[0] != "Negotiate" {
		t.Errorf("%s: WWW-Authenticate %q, want [Negotiate]", what, c)
	}
}

// TestSessionNegotiateOnceThenCookie negotiates once with a real ticket,
// then makes 100 requests on the session cookie alone: the acceptor is
// called once.
func TestSessionNegotiateOnceThenCookie(t *testing.T) {
	s := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(newSessionKey()))
	r := s.fetch(t, "/session", negotiateValue(mint(t, alice(), target, 0, false)), "")
	if r.status != http.StatusOK || r.body != alice().principal+"\n" || r.header.Get("X-From-Session") != "false" {
		t.Fatalf("Negotiate: %d %q", r.status, r.body)
	}
	mutualToken(t, r)
	c := sessionCookieIn(r)
	if c == nil {
		t.Fatalf("no session cookie: Set-Cookie %q", r.header.Values("Set-Cookie"))
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie attributes %+v: want HttpOnly, Secure, SameSite=Lax, Path=/, no Domain", c)
	}
	// The fixture's tickets last 10 hours: the default maximum, an hour,
	// decides.
	if c.MaxAge < 3590 || c.MaxAge > 3600 {
		t.Errorf("Max-Age %d, want an hour", c.MaxAge)
	}
	for i := range 100 {
		r := s.fetch(t, "/session", "", c.Value)
		checkSessionReply(t, r, alice().principal)
		if t.Failed() {
			t.Fatalf("request %d", i)
		}
	}
	if r := s.fetch(t, "/public", "", c.Value); r.status != http.StatusOK || r.body != alice().principal+"\n" {
		t.Errorf("/public on the cookie: %d %q", r.status, r.body)
	}
	if n := s.counter.calls.Load(); n != 1 {
		t.Errorf("the acceptor was called %d times, want once", n)
	}
	// Log out: the cookie is expired in the browser.
	r = s.fetch(t, "/logout", "", c.Value)
	if end := sessionCookieIn(r); r.status != http.StatusOK || end == nil || end.MaxAge >= 0 || end.Value != "" {
		t.Errorf("logout: %d, Set-Cookie %q", r.status, r.header.Values("Set-Cookie"))
	}
}

// TestSessionWithCurlCookieJar runs curl as a browser would: it negotiates
// once and keeps the cookie in a jar; a second curl, with the jar and no
// Kerberos ticket at all, is let in by the cookie.
func TestSessionWithCurlCookieJar(t *testing.T) {
	s := newSessionServer(t, middleware.WithSessions(), middleware.WithInsecureSessionCookie())
	jar := filepath.Join(t.TempDir(), "jar")
	first := s.curl(t, alice(), "/session", "--negotiate", "-u", ":", "--cookie-jar", jar, "--cookie", jar)
	if got := first.last(); got.status != http.StatusOK || got.header.Get("X-From-Session") != "false" {
		t.Fatalf("curl --negotiate: %d %v", got.status, got.header)
	}
	noTicket := user{alice().principal, "FILE:" + filepath.Join(t.TempDir(), "no-ccache")}
	second := s.curl(t, noTicket, "/session", "--cookie", jar)
	if len(second.responses) != 1 || second.last().status != http.StatusOK || second.body != alice().principal+"\n" ||
		second.last().header.Get("X-From-Session") != "true" || len(second.sent) != 0 {
		t.Errorf("curl with the jar only: %d responses, last %d %q, sent %q", len(second.responses), second.last().status, second.body, second.sent)
	}
	if n := s.counter.calls.Load(); n != 1 {
		t.Errorf("the acceptor was called %d times, want once", n)
	}
}

// TestSessionCappedByShortTicket gets a ticket that lasts 2 minutes: the
// session, though allowed a day, ends with it.
func TestSessionCappedByShortTicket(t *testing.T) {
	ccache := filepath.Join(t.TempDir(), "short.ccache")
	before := time.Now()
	if err := realm.Kinit("alice", testrealm.AlicePassword, ccache, "-l", "2m"); err != nil {
		t.Fatal(err)
	}
	ticketEnd := before.Add(2*time.Minute + time.Second) // at the latest, the KDC sharing our clock
	short := user{realm.Principal("alice"), "FILE:" + ccache}

	s := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionMaxAge(24*time.Hour))
	r := s.fetch(t, "/session", negotiateValue(mint(t, short, target, 0, false)), "")
	if r.status != http.StatusOK {
		t.Fatalf("Negotiate with the short ticket: %d %q", r.status, r.body)
	}
	// The context ends with the ticket (gss takes off MIT's skew allowance).
	if ctxEnd, err := time.Parse(time.RFC3339Nano, r.header.Get("X-Expiry")); err != nil || ctxEnd.After(ticketEnd) {
		t.Errorf("the context ends at %q, after the ticket's latest end %v (%v)", r.header.Get("X-Expiry"), ticketEnd, err)
	}
	c := sessionCookieIn(r)
	if c == nil {
		t.Fatal("no session cookie")
	}
	if c.MaxAge > 120 || c.MaxAge < 60 {
		t.Errorf("Max-Age %d, want at most the ticket's 120 s", c.MaxAge)
	}
	if c.Expires.After(ticketEnd) {
		t.Errorf("cookie Expires %v, after the ticket's end %v", c.Expires, ticketEnd)
	}
	r = s.fetch(t, "/session", "", c.Value)
	checkSessionReply(t, r, short.principal)
	sessEnd, err := time.Parse(time.RFC3339Nano, r.header.Get("X-Expiry"))
	if err != nil || sessEnd.After(ticketEnd) || !sessEnd.Equal(c.Expires) {
		t.Errorf("session Auth.Expiry %q (%v): want the cookie's Expires %v, by the ticket's end %v", r.header.Get("X-Expiry"), err, c.Expires, ticketEnd)
	}

	// With the fixture's 10-hour ticket, the same server allows a day's
	// maximum... capped at the ticket's end, well under a day.
	long := sessionCookieIn(s.fetch(t, "/session", negotiateValue(mint(t, alice(), target, 0, false)), ""))
	if long == nil || long.MaxAge > 10*3600 || long.MaxAge < 9*3600 {
		t.Errorf("with a 10-hour ticket: cookie %+v, want Max-Age of about 10 hours", long)
	}
}

// TestSessionKeyRotation rotates keys: a cookie sealed with the old key
// opens once the old key is second, and no longer once it is dropped.
func TestSessionKeyRotation(t *testing.T) {
	oldKey, newKey := newSessionKey(), newSessionKey()
	before := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(oldKey))
	rotated := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(newKey, oldKey))
	dropped := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(newKey))

	oldCookie := before.login(t, alice())
	checkSessionReply(t, rotated.fetch(t, "/session", "", oldCookie), alice().principal)
	checkChallenged(t, dropped.fetch(t, "/session", "", oldCookie), "the old key dropped")
	if !strings.Contains(dropped.logs.String(), `msg="negotiate: session cookie ignored" session=unknown_key`) {
		t.Errorf("the log does not say why:\n%s", dropped.logs)
	}

	// The rotated server seals with the new key: its cookies open where
	// only the new key is, and not where only the old one is.
	newCookie := rotated.login(t, bob())
	checkSessionReply(t, dropped.fetch(t, "/session", "", newCookie), bob().principal)
	checkChallenged(t, before.fetch(t, "/session", "", newCookie), "a new cookie on a server not yet rotated")

	for name, s := range map[string]*sessionServer{"before": before, "rotated": rotated, "dropped": dropped} {
		want := map[string]int64{"before": 1, "rotated": 1, "dropped": 0}[name]
		if n := s.counter.calls.Load(); n != want {
			t.Errorf("%s: the acceptor was called %d times, want %d", name, n, want)
		}
	}
}

// TestSessionSharedKeyAcrossInstances runs two instances that share a key
// and one with another key.
func TestSessionSharedKeyAcrossInstances(t *testing.T) {
	key := newSessionKey()
	one := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(key))
	two := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(key))
	other := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(newSessionKey()))

	cookie := one.login(t, alice())
	for range 10 {
		checkSessionReply(t, two.fetch(t, "/session", "", cookie), alice().principal)
	}
	checkChallenged(t, other.fetch(t, "/session", "", cookie), "another key")
	if n := two.counter.calls.Load() + other.counter.calls.Load(); n != 0 {
		t.Errorf("the other instances called their acceptors %d times", n)
	}
	// A server with its own random key opens none of them either.
	random := newSessionServer(t, middleware.WithSessions())
	checkChallenged(t, random.fetch(t, "/session", "", cookie), "a random key")
}

// TestSessionTamperedCookies sends broken cookies: each falls back to
// Negotiate, never a 500, and a token then succeeds.
func TestSessionTamperedCookies(t *testing.T) {
	s := newSessionServer(t, middleware.WithSessions())
	v := s.login(t, alice())
	flipAt := func(i int) string {
		c := byte('A')
		if v[i] == 'A' {
			c = 'B'
		}
		return v[:i] + string(c) + v[i+1:]
	}
	broken := map[string]string{
		"first character changed": flipAt(0),
		"key id changed":          flipAt(3),
		"nonce changed":           flipAt(10),
		"ciphertext changed":      flipAt(len(v) / 2),
		"tag changed":             flipAt(len(v) - 2),
		"last character changed":  flipAt(len(v) - 1),
		"truncated by one":        v[:len(v)-1],
		"truncated to half":       v[:len(v)/2],
		"truncated to the header": v[:7],
		"one character more":      v + "A",
		"four characters more":    v + "AAAA",
		"doubled":                 v + v,
		"standard base64":         strings.NewReplacer("-", "+", "_", "/").Replace(v) + "+",
		"padded":                  v + "==",
		"empty":                   "",
		"garbage":                 "not-a-session",
		"all zero bits":           strings.Repeat("A", len(v)),
	}
	for what, bad := range broken {
		if bad == v {
			continue
		}
		if bad == "" {
			// fetch sends no cookie for "": send an empty one by hand.
			what, bad = "empty value", `""`
		}
		checkChallenged(t, s.fetch(t, "/session", "", bad), what)
		if r := s.fetch(t, "/public", "", bad); r.status != http.StatusOK || r.body != "anonymous\n" {
			t.Errorf("%s on /public: %d %q, want anonymous, as without credentials", what, r.status, r.body)
		}
	}
	if n := s.counter.calls.Load(); n != 1 {
		t.Errorf("the acceptor was called %d times, want once", n)
	}
	log := s.logs.String()
	for _, why := range []string{"malformed", "tampered", "unknown_key"} {
		if !strings.Contains(log, `level=DEBUG msg="negotiate: session cookie ignored" session=`+why) {
			t.Errorf("the log lacks session=%s", why)
		}
	}
	// Fall back to Negotiate: a token with the broken cookie succeeds and
	// brings a new cookie.
	r := s.fetch(t, "/session", negotiateValue(mint(t, alice(), target, 0, false)), flipAt(len(v)/2))
	if r.status != http.StatusOK || r.header.Get("X-From-Session") != "false" || sessionCookieIn(r) == nil {
		t.Errorf("a token with a broken cookie: %d %q, Set-Cookie %q", r.status, r.body, r.header.Values("Set-Cookie"))
	}
	// The genuine cookie still opens.
	checkSessionReply(t, s.fetch(t, "/session", "", v), alice().principal)
}
