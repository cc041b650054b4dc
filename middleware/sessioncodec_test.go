package middleware

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
)

// TestSessionCodec seals and opens cookie values with no request: what
// opens, under which name and key, and when.
func TestSessionCodec(t *testing.T) {
	codec := func(name string, keys ...[]byte) sessionCodec {
		t.Helper()
		c, err := newSessionCodec(keys, name, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := time.Now()
	sess := session{issued: now.Unix(), expiry: now.Add(time.Hour).Unix(), flags: negotiate.FlagMutual,
		principal: alice, localName: "alice", mech: negotiate.MechKerberos}
	sealer := codec("s", keyA)
	v := sealer.seal(&sess)
	tests := []struct {
		name string
		c    sessionCodec
		at   time.Time
		why  string // "" when v opens
	}{
		{"the sealing codec", sealer, now, ""},
		{"the key second", codec("s", keyB, keyA), now, ""},
		{"another key", codec("s", keyB), now, ignoredUnknown},
		{"another cookie name", codec("t", keyA), now, ignoredTampered},
		{"at the expiry", codec("s", keyA), now.Add(time.Hour), ignoredExpired},
		{"before the issue, within the skew", codec("s", keyA), now.Add(-sessionSkew), ""},
		{"before the issue", codec("s", keyA), now.Add(-sessionSkew - time.Second), ignoredFuture},
	}
	for _, tt := range tests {
		got, why := tt.c.open(v, tt.at)
		if why != tt.why || why == "" && !reflect.DeepEqual(got, sess) {
			t.Errorf("%s: open = %+v, %q; want %q", tt.name, got, why, tt.why)
		}
	}
	if _, err := newSessionCodec([][]byte{keyA, keyA}, "s", time.Hour); err == nil {
		t.Error("two keys of one id: no error")
	}
	// A cookie of format version 1 (fuzzGenuine's contents, sealed before
	// sessions held the PAC) no longer opens: its client negotiates again.
	const v1 = "AbyYrxaHr1UusXB5O2Q0CIn6UuGW8StF6kQOaEleibwvDesPh4oEABAf7DEMi_7N1UnxikWDW9vNCRZlAPXzDA7jB7M0Wg2N9iZM0ZYmzRpXNz9dGOx4TRXcyz0O0IsplEUo"
	c, err := newSessionCodec([][]byte{keyA}, DefaultSessionCookieName, 200*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, why := c.open(v1, now); why != ignoredMalformed {
		t.Errorf("a version 1 cookie: %q, want %q", why, ignoredMalformed)
	}
	if _, why := c.open(fuzzGenuine, now); why != "" {
		t.Errorf("fuzzGenuine: %q", why)
	}
}

// TestSessionPayload round-trips session contents, the odd ones included.
func TestSessionPayload(t *testing.T) {
	for _, s := range []session{
		{issued: 1, expiry: 2, principal: "a@R"},
		{issued: 1 << 40, expiry: 1<<40 + 10, flags: negotiate.FlagDelegate | negotiate.FlagMutual,
			principal: `alice\@corp.example@EXAMPLE.TEST`, localName: "alice", mech: negotiate.MechKerberos},
		{issued: 5, expiry: 5, principal: strings.Repeat("p", 300), localName: strings.Repeat("l", 200), mech: "1.2.3.4"},
		{issued: 5, expiry: 6, principal: "nul\x00and\xffbytes@R", mech: negotiate.MechSPNEGO},
		{issued: 1, expiry: 2, principal: adAlice, mech: negotiate.MechKerberos, pac: true}, // a PAC, but no group kept
		{issued: 1, expiry: 2, principal: adAlice, localName: "alice", mech: negotiate.MechKerberos, pac: true,
			userSID: sidAlice, upn: "alice@ad.example.test", groups: []string{sidUsers, sidStaff}, indicators: []string{"otp", "x"}},
		{issued: 1, expiry: 2, principal: bob, indicators: []string{"pkinit"}},
		{issued: 1, expiry: 2, principal: bob, indicators: []string{"", strings.Repeat("i", 200)}},
	} {
		got, ok := parseSession(appendSession(nil, &s))
		if !ok || !reflect.DeepEqual(got, s) {
			t.Errorf("round trip of %+v: %+v, %v", s, got, ok)
		}
	}
	for _, good := range [][]byte{
		appendSession(nil, &session{issued: 1, expiry: 2, principal: "a@R", localName: "a"}),
		appendSession(nil, &session{issued: 1, expiry: 2, principal: "a@R", pac: true, userSID: sidAlice,
			groups: []string{sidUsers}, indicators: []string{"otp"}}),
	} {
		if _, ok := parseSession(good); !ok {
			t.Fatalf("%q did not parse", good)
		}
		for n := range len(good) {
			if _, ok := parseSession(good[:n]); ok {
				t.Errorf("%q truncated to %d parsed", good, n)
			}
		}
		if _, ok := parseSession(append(bytes.Clone(good), 0)); ok {
			t.Errorf("%q and a trailing byte parsed", good)
		}
	}
	for name, s := range map[string]session{
		"an empty principal":      {issued: 1, expiry: 2},
		"an expiry before issue":  {issued: 2, expiry: 1, principal: "a@R"},
		"a user SID without PAC":  {issued: 1, expiry: 2, principal: "a@R", userSID: sidAlice},
		"a UPN without PAC":       {issued: 1, expiry: 2, principal: "a@R", upn: "a@r"},
		"groups without PAC":      {issued: 1, expiry: 2, principal: "a@R", groups: []string{sidUsers}},
		"a list longer than left": {issued: 1, expiry: 2, principal: "a@R", pac: true},
	} {
		p := appendSession(nil, &s)
		if name == "a list longer than left" {
			// Five group SIDs, then one byte.
			p = append(p[:len(p)-2], 5, 0)
		}
		if _, ok := parseSession(p); ok {
			t.Errorf("%s parsed", name)
		}
	}
	p := appendSession(nil, &session{issued: 1, expiry: 2, principal: "a@R"})
	p[sessionFixedLen-1] = 2
	if _, ok := parseSession(p); ok {
		t.Error("a PAC byte of 2 parsed")
	}
	// The principal's length 1 written in two bytes: one session has one
	// plaintext.
	p = slices.Concat(appendSession(nil, &session{issued: 1, expiry: 2})[:sessionFixedLen], []byte("\x81\x00a\x00\x00\x00\x00\x00\x00"))
	if _, ok := parseSession(p); ok {
		t.Error("a length not in its shortest form parsed")
	}
	if _, ok := parseSession(slices.Concat(p[:sessionFixedLen], []byte("\x01a\x00\x00\x00\x00\x00\x00"))); !ok {
		t.Error("the same in its shortest form did not parse")
	}
}

// fuzzGenuine is the one cookie FuzzSessionCookie knows to be genuine:
// alice's session (local name alice, mechanism Kerberos, no PAC) in
// session format version 2, sealed with keyA under the default cookie
// name, issued at 2026-01-01T00:00:00Z and ending a hundred years later.
// It is a constant because every fuzzing process runs the target's setup,
// and a cookie sealed there would differ in each, nonces being random.
// Should the format change, seal a new one with the same contents and
// paste it here.
const fuzzGenuine = "AryYrxZ4-wuMv1CEx2ledBur99kQkuuMl0wSLt5yU9cmBbDilcdjNlBcx7UUi-ffWgCQXDBJVN9hvMU6nKWhsoebys9b7Dmwk1wLOj0Q4LN-z1D5E5Fwsw1LiD6lJlLMbqJVyhTBbkE"

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
		if why != "" && !reflect.DeepEqual(sess, session{}) {
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

// FuzzSessionPayload feeds random plaintexts to parseSession, which only
// ever reads what a configured key sealed: it never panics, and what it
// parses it writes back byte for byte, so that one session has one
// plaintext.
func FuzzSessionPayload(f *testing.F) {
	f.Add(appendSession(nil, &session{issued: 1, expiry: 2, principal: "a@R"}))                     // the least there is
	f.Add(appendSession(nil, &session{issued: 1, expiry: 2, principal: adAlice, localName: "alice", // every field
		mech: negotiate.MechKerberos, pac: true, userSID: sidAlice, upn: "alice@ad.example.test",
		groups: []string{sidUsers, sidStaff}, indicators: []string{"otp"}}))
	f.Add(appendSession(nil, &session{issued: 1, expiry: 2, principal: "a@R", indicators: []string{"", ""}}))                               // empty strings in a list
	f.Add(append(appendSession(nil, &session{issued: 1, expiry: 2, principal: "a@R"})[:sessionFixedLen+8], 0x80))                           // a varint cut short
	f.Add(slices.Concat(appendSession(nil, &session{issued: 1, expiry: 2})[:sessionFixedLen], []byte("\x81\x00a\x00\x00\x00\x00\x00\x00"))) // a length not in its shortest form
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		sess, ok := parseSession(p)
		if !ok {
			return
		}
		if back := appendSession(nil, &sess); !bytes.Equal(back, p) {
			t.Fatalf("%q parsed as %+v, which is %q", p, sess, back)
		}
	})
}
