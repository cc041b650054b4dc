package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/negotiate-go/negotiate"
)

// discardWriter is a ResponseWriter that keeps nothing, reused across
// iterations.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// WriteString spares io.WriteString a conversion, as net/http's writer does.
func (w *discardWriter) WriteString(s string) (int, error) { return len(s), nil }

func benchmark(b *testing.B, acc Acceptor, auth string, wantStatus int) {
	b.Helper()
	mw, err := New(acc, quiet)
	if err != nil {
		b.Fatal(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := PrincipalFromContext(r.Context()); !ok {
			b.Fatal("no principal")
		}
		w.WriteHeader(200)
	}))
	req := httptest.NewRequest("GET", "/", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if w.status != wantStatus {
		b.Fatalf("status %d, want %d", w.status, wantStatus)
	}
}

// BenchmarkPass is a request that authenticates, with a mutual-auth token
// to send back.
func BenchmarkPass(b *testing.B) {
	acc := fixedAcceptor{res: negotiate.Result{Principal: alice, Mech: negotiate.MechKerberos, OutputToken: apRep}}
	benchmark(b, acc, neg("alice"), 200)
}

// BenchmarkUnauthorized is a request without credentials.
func BenchmarkUnauthorized(b *testing.B) {
	benchmark(b, fixedAcceptor{}, "", 401)
}

// BenchmarkForbidden is a request whose token the acceptor refuses.
func BenchmarkForbidden(b *testing.B) {
	benchmark(b, fixedAcceptor{err: gssErr(negotiate.ErrReplay)}, neg("replay"), 403)
}
