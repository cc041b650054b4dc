package middleware

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

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

func TestSessionRandomKey(t *testing.T) {
	logs, logger := newLog(slog.LevelInfo)
	one, err := New(newFake(), logger, WithSessions())
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
	logs2, logger2 := newLog(slog.LevelInfo)
	if _, err := New(newFake(), logger2, WithSessions(), WithSessionKeys(keyA)); err != nil {
		t.Fatal(err)
	}
	if logs2.String() != "" {
		t.Errorf("New logged with keys configured:\n%s", logs2.String())
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
