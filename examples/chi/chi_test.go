package chiexample_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/negotiate-go/negotiate/examples/internal/fake"
	"github.com/negotiate-go/negotiate/internal/syncbuf"
	"github.com/negotiate-go/negotiate/middleware"
)

// TestUseAndWith sends requests through chi routers that put an optional
// Middleware on the router and a required one on /private, in each of
// chi's ways, over an acceptor that refuses a token it saw before, as a
// real one does: a good token passes both with one accept, a failed one
// is refused once and logged once, and a request without credentials is
// challenged on /private only.
func TestUseAndWith(t *testing.T) {
	routers := map[string]func(opt, req, one *middleware.Middleware) http.Handler{
		"Use, then Use in a Group": func(opt, req, _ *middleware.Middleware) http.Handler {
			r := chi.NewRouter()
			r.Use(opt.Wrap)
			r.Get("/public", hello)
			r.Group(func(r chi.Router) {
				r.Use(req.Wrap)
				r.Get("/private", hello)
			})
			return r
		},
		"Use, then With": func(opt, req, _ *middleware.Middleware) http.Handler {
			r := chi.NewRouter()
			r.Use(opt.Wrap)
			r.Get("/public", hello)
			r.With(req.Wrap).Get("/private", hello)
			return r
		},
		"Use, then Use in a Route": func(opt, req, _ *middleware.Middleware) http.Handler {
			r := chi.NewRouter()
			r.Use(opt.Wrap)
			r.Get("/public", hello)
			r.Route("/private", func(r chi.Router) {
				r.Use(req.Wrap)
				r.Get("/", hello)
			})
			return r
		},
		"one Middleware, Optional and Require": func(_, _, one *middleware.Middleware) http.Handler {
			r := chi.NewRouter()
			r.Use(one.Optional)
			r.Get("/public", hello)
			r.With(one.Require).Get("/private", hello)
			return r
		},
	}
	for name, router := range routers {
		t.Run(name, func(t *testing.T) {
			acc := new(fake.Acceptor)
			logs := new(syncbuf.Buffer)
			logger := middleware.WithLogger(slog.New(slog.NewTextHandler(logs, nil))) // Info and up
			newMW := func(opts ...middleware.Option) *middleware.Middleware {
				mw, err := middleware.New(acc, append([]middleware.Option{logger}, opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				return mw
			}
			opt := newMW(middleware.WithAuthRequired(func(*http.Request) bool { return false }))
			h := router(opt, newMW(), newMW())

			send := func(path, auth string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", path, nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			for _, path := range []string{"/private", "/public"} {
				if rec := send(path, fake.Token("alice")); rec.Code != 200 || rec.Body.String() != "hello alice@EXAMPLE.TEST" {
					t.Errorf("%s, a good token: %d %q", path, rec.Code, rec.Body)
				}
			}
			if n := acc.Calls(); n != 2 {
				t.Errorf("%d accepts for two tokens", n)
			}
			if rec := send("/private", ""); rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != "Negotiate" {
				t.Errorf("/private, no credentials: %d %q", rec.Code, rec.Header().Values("WWW-Authenticate"))
			}
			if rec := send("/public", ""); rec.Code != 200 || rec.Body.String() != "hello stranger" {
				t.Errorf("/public, no credentials: %d %q", rec.Code, rec.Body)
			}
			replayed := fake.Token("bob")
			send("/public", replayed)
			if logs.String() != "" {
				t.Fatalf("a good token logged at Info:\n%s", logs)
			}
			if rec := send("/private", replayed); rec.Code != 403 {
				t.Errorf("/private, a replayed token: %d %q", rec.Code, rec.Body)
			}
			if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "reason=replay") {
				t.Errorf("the replay logged %d times:\n%s", n, logs)
			}
			if n := acc.Calls(); n != 4 {
				t.Errorf("%d accepts for four tokens", n)
			}
		})
	}
}
