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

// wrapBench returns a quiet Middleware over acc with opts, and the handler
// it makes of next.
func wrapBench(b *testing.B, acc Acceptor, next http.Handler, opts ...Option) (*Middleware, http.Handler) {
	b.Helper()
	mw, err := New(acc, append([]Option{quiet}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return mw, mw.Wrap(next)
}

// needPrincipal is the next handler of a benchmark whose requests
// authenticate: it answers 200, and fails the benchmark when it runs
// without a principal.
func needPrincipal(b *testing.B) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := PrincipalFromContext(r.Context()); !ok {
			b.Fatal("no principal")
		}
		w.WriteHeader(200)
	})
}

// answer200 is a next handler that answers 200.
var answer200 = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })

// loop serves req through h in the benchmark's loop, with one writer
// reused across iterations, which it returns.
func loop(b *testing.B, h http.Handler, req *http.Request) *discardWriter {
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	return w
}

// benchmark measures a request with the Authorization value auth ("" for
// none) that acc answers with wantStatus.
func benchmark(b *testing.B, acc Acceptor, auth string, wantStatus int) {
	b.Helper()
	_, h := wrapBench(b, acc, needPrincipal(b))
	req := httptest.NewRequest("GET", "/", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if w := loop(b, h, req); w.status != wantStatus {
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
