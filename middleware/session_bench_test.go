package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
)

// BenchmarkSession is a request that authenticates with a session cookie
// alone: one AES-GCM open, no acceptor call. Compare with BenchmarkPass.
func BenchmarkSession(b *testing.B) {
	acc := newFake()
	mw, err := New(acc, quiet, WithSessions(), WithSessionKeys(benchKey))
	if err != nil {
		b.Fatal(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := PrincipalFromContext(r.Context()); !ok {
			b.Fatal("no principal")
		}
		w.WriteHeader(200)
	}))
	cookie := issueCookie(b, h, neg("alice"))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", "theme=dark; "+cookie.Name+"="+cookie.Value+"; lang=en")
	w := &discardWriter{h: make(http.Header)}
	acc.calls.Store(0)
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if w.status != 200 {
		b.Fatalf("status %d, want 200", w.status)
	}
	if n := acc.calls.Load(); n != 0 {
		b.Fatalf("the acceptor was called %d times", n)
	}
}

// BenchmarkPassIssuingSession is BenchmarkPass with sessions on: a request
// that authenticates with a token and gets a session cookie.
func BenchmarkPassIssuingSession(b *testing.B) {
	acc := fixedAcceptor{res: negotiate.Result{Principal: alice, Mech: negotiate.MechKerberos, OutputToken: apRep,
		Expiry: time.Now().Add(10 * time.Hour)}}
	mw, err := New(acc, quiet, WithSessions(), WithSessionKeys(benchKey))
	if err != nil {
		b.Fatal(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", neg("alice"))
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if w.status != 200 || len(w.h["Set-Cookie"]) != 1 {
		b.Fatalf("status %d, Set-Cookie %q", w.status, w.h["Set-Cookie"])
	}
}

// BenchmarkSessionTampered is a request whose cookie does not open: it
// costs the failed open and the 401.
func BenchmarkSessionTampered(b *testing.B) {
	mw, err := New(fixedAcceptor{}, quiet, WithSessions(), WithSessionKeys(benchKey))
	if err != nil {
		b.Fatal(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	v := mw.sess.codec.seal(&session{issued: time.Now().Unix(), expiry: time.Now().Add(time.Hour).Unix(), principal: alice})
	v = v[:20] + flip(v[20]) + v[21:]
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", DefaultSessionCookieName+"="+v)
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if w.status != 401 {
		b.Fatalf("status %d, want 401", w.status)
	}
}
