package middleware

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
)

// BenchmarkSession is a request that authenticates with a session cookie
// alone: one AES-GCM open, no acceptor call. Compare with BenchmarkPass.
func BenchmarkSession(b *testing.B) {
	acc := newFake()
	_, h := wrapBench(b, acc, needPrincipal(b), WithSessions(), WithSessionKeys(benchKey))
	cookie := issueCookie(b, h, neg("alice"))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", "theme=dark; "+cookie.Name+"="+cookie.Value+"; lang=en")
	acc.calls.Store(0)
	if w := loop(b, h, req); w.status != 200 {
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
	_, h := wrapBench(b, acc, answer200, WithSessions(), WithSessionKeys(benchKey))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", neg("alice"))
	w := loop(b, h, req)
	if w.status != 200 || len(w.h["Set-Cookie"]) != 1 {
		b.Fatalf("status %d, Set-Cookie %q", w.status, w.h["Set-Cookie"])
	}
}

// BenchmarkSessionTampered is a request whose cookie does not open: it
// costs the failed open and the 401.
func BenchmarkSessionTampered(b *testing.B) {
	mw, h := wrapBench(b, fixedAcceptor{}, answer200, WithSessions(), WithSessionKeys(benchKey))
	v := mw.sess.codec.seal(&session{issued: time.Now().Unix(), expiry: time.Now().Add(time.Hour).Unix(), principal: alice})
	v = v[:20] + flip(v[20]) + v[21:]
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", DefaultSessionCookieName+"="+v)
	w := loop(b, h, req)
	if w.status != 401 {
		b.Fatalf("status %d, want 401", w.status)
	}
}
