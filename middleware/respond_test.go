package middleware

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestCustomUnauthorizedHandlerWrites checks that the challenge is added
// however the custom 401 handler first sends its header.
func TestCustomUnauthorizedHandlerWrites(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"WriteHeader", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }},
		{"Write only", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }},
		{"nothing", func(w http.ResponseWriter, r *http.Request) {}},
		{"Flusher", func(w http.ResponseWriter, r *http.Request) { w.(http.Flusher).Flush() }},
		{"ResponseController", func(w http.ResponseWriter, r *http.Request) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Error(err)
			}
		}},
		{"informational first", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Set("WWW-Authenticate", "Negotiate, Basic")
			w.WriteHeader(401)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := New(newFake(), quiet, WithUnauthorizedHandler(tt.handler))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(mw.Wrap(nextHandler))
			defer srv.Close()
			res, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			want := []string{"Negotiate"}
			if tt.name == "informational first" {
				want = []string{"Negotiate, Basic"}
			}
			if got := res.Header.Values("WWW-Authenticate"); !slices.Equal(got, want) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
		})
	}
}

// TestChallengeWriterUnwrap checks that the custom 401 handler's writer
// leads back to the server's.
func TestChallengeWriterUnwrap(t *testing.T) {
	rec := httptest.NewRecorder()
	var got http.ResponseWriter
	mw, err := New(newFake(), quiet, WithUnauthorizedHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			t.Fatal("custom 401 writer has no Unwrap")
		}
		got = u.Unwrap()
	})))
	if err != nil {
		t.Fatal(err)
	}
	mw.Wrap(nextHandler).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got != rec {
		t.Errorf("Unwrap = %T %p, want the recorder %p", got, got, rec)
	}
}

// TestMutualAuthHeader checks on a real server that the output token goes
// out however the handler starts its response, and that the handler gets
// the server's own writer.
func TestMutualAuthHeader(t *testing.T) {
	want := mutualHeader
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"WriteHeader", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }},
		{"Write only", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }},
		{"Flusher", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
			io.WriteString(w, "hello")
		}},
		{"ResponseController", func(w http.ResponseWriter, r *http.Request) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Error(err)
			}
			io.WriteString(w, "hello")
		}},
		{"nothing", func(w http.ResponseWriter, r *http.Request) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := New(newFake(), quiet)
			if err != nil {
				t.Fatal(err)
			}
			var outer, inner http.ResponseWriter
			h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = w
				tt.handler(w, r)
			}))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				outer = w
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			res, err := sendToken(srv, "/", "alice")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Values("WWW-Authenticate"); !slices.Equal(got, []string{want}) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
			if inner != outer {
				t.Errorf("next got writer %T, want the server's %T unwrapped", inner, outer)
			}
		})
	}
}

// TestHijack checks that a handler behind the middleware can still take over
// the connection through http.ResponseController.
func TestHijack(t *testing.T) {
	mw, err := New(newFake(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFromContext(r.Context())
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		body := "hijacked " + p
		fmt.Fprintf(brw, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		brw.Flush()
	})))
	defer srv.Close()
	res, err := sendToken(srv, "/", "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if string(b) != "hijacked "+alice {
		t.Errorf("body = %q", b)
	}
}
