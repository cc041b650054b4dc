package client_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"slices"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate/client"
	"github.com/negotiate-go/negotiate/middleware"
)

// plain is a server that never challenges: it answers every request with
// handler, and records what it saw.
func plain(t *testing.T, handler http.HandlerFunc) *server {
	t.Helper()
	s := &server{spn: "HTTP@localhost"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// maybeWhoami answers the principal, or "anonymous" on a public route.
var maybeWhoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, ok := middleware.PrincipalFromContext(r.Context())
	if !ok {
		p = "anonymous"
	}
	io.WriteString(w, p)
})

// A mixed API: a public route and a protected one on one server, and a
// server that knows nothing of Negotiate. By default the public ones get no
// token, even with delegation on, and work; the protected one gets one
// after its challenge.
func TestPublicEndpointsWorkByDefault(t *testing.T) {
	mixed := newServer(t, "localhost", maybeWhoami,
		middleware.WithAuthRequired(func(r *http.Request) bool { return r.URL.Path != "/public" }))
	tr := newTransport(t, mixed, client.WithCCache(realm.AliceCCache), client.WithDelegation(client.DelegateAlways))
	if body, err := get(t, tr, mixed, "/public"); err != nil || body != "anonymous" {
		t.Errorf("/public: %q, %v; want anonymous", body, err)
	}
	if h := mixed.seen(); !slices.Equal(h, []string{""}) {
		t.Errorf("/public: Authorization headers %.40q, want one request without", h)
	}
	if body, err := get(t, tr, mixed, "/private"); err != nil || body != "alice@EXAMPLE.TEST" {
		t.Errorf("/private: %q, %v; want alice@EXAMPLE.TEST", body, err)
	}

	public := plain(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	if body, err := get(t, tr, public, "/"); err != nil || body != "hello" {
		t.Errorf("server without Negotiate: %q, %v; want hello", body, err)
	}
	if h := public.seen(); !slices.Equal(h, []string{""}) {
		t.Errorf("server without Negotiate: Authorization headers %.40q, want one request without", h)
	}
}

// By default the first request goes without a token; the 401 challenge is
// answered once, on the same connection.
func TestNoTokenBeforeTheChallenge(t *testing.T) {
	s := newServer(t, "localhost", whoami)
	tr := newTransport(t, s, client.WithCCache(realm.AliceCCache))
	var reused []bool
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", s.URL, nil)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "alice@EXAMPLE.TEST delegated=false"; string(body) != want {
		t.Errorf("body %q, want %q", body, want)
	}
	h := s.seen()
	if len(h) != 2 || h[0] != "" || !strings.HasPrefix(h[1], "Negotiate ") {
		t.Errorf("Authorization headers %.40q, want none, then a token", h)
	}
	if !slices.Equal(reused, []bool{false, true}) {
		t.Errorf("connections reused: %v, want the retry on the first one", reused)
	}
}

// A 401 with no Negotiate challenge is returned as it is, with no token
// sent; so is the answer to the retry, whatever it is.
func TestOnlyANegotiateChallengeIsAnswered(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		requests   int
		preemptive bool
	}{
		{"Basic only", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			w.WriteHeader(http.StatusUnauthorized)
		}, 1, false},
		{"always Negotiate", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", "Negotiate")
			w.WriteHeader(http.StatusUnauthorized)
		}, 2, false},
		{"Negotiate in a list", challenging(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="x", Negotiate`)
			w.WriteHeader(http.StatusUnauthorized)
		}), 2, false},
		// A challenge to a preemptive token gets the one retry too.
		{"always Negotiate, preemptive", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", "Negotiate")
			w.WriteHeader(http.StatusUnauthorized)
		}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := plain(t, tt.handler)
			opts := []client.Option{client.WithCCache(realm.AliceCCache)}
			if tt.preemptive {
				opts = append(opts, client.WithPreemptive())
			}
			tr := newTransport(t, s, opts...)
			resp, err := (&http.Client{Transport: tr}).Get(s.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := s.seen()
			if resp.StatusCode != http.StatusUnauthorized || len(h) != tt.requests {
				t.Errorf("status %d after %d requests, want 401 after %d", resp.StatusCode, len(h), tt.requests)
			}
			for i, a := range h {
				if want := i > 0 || tt.preemptive; want != (a != "") || (i > 0 && a == h[i-1]) {
					t.Errorf("Authorization headers %.40q; want a fresh token on the retry only, or on both if preemptive", h)
					break
				}
			}
		})
	}
}

// echo answers the principal and the request body.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, _ := middleware.PrincipalFromContext(r.Context())
	body, _ := io.ReadAll(r.Body)
	fmt.Fprintf(w, "%s: %s", p, body)
})

// onceReader is a body http.NewRequest cannot rewind: it sets no GetBody.
type onceReader struct{ io.Reader }

func TestBodyOnTheRetry(t *testing.T) {
	post := func(t *testing.T, tr *client.Transport, s *server, body io.Reader) (*http.Response, string, error) {
		t.Helper()
		req, err := http.NewRequest("POST", s.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b), nil
	}

	t.Run("rewound with GetBody", func(t *testing.T) {
		s := newServer(t, "localhost", echo)
		tr := newTransport(t, s, client.WithCCache(realm.AliceCCache))
		_, body, err := post(t, tr, s, strings.NewReader("payload"))
		if want := "alice@EXAMPLE.TEST: payload"; err != nil || body != want {
			t.Errorf("%q, %v; want %q", body, err, want)
		}
		if !slices.Equal(s.seenBodies(), []string{"payload", "payload"}) || s.seen()[0] != "" {
			t.Errorf("request bodies %q, want the body with the first request and with the retry", s.seenBodies())
		}
	})
	t.Run("no GetBody: the challenge is returned", func(t *testing.T) {
		s := newServer(t, "localhost", echo)
		tr := newTransport(t, s, client.WithCCache(realm.AliceCCache))
		resp, _, err := post(t, tr, s, onceReader{strings.NewReader("payload")})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Negotiate" {
			t.Errorf("status %s, WWW-Authenticate %q; want the 401 challenge", resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		if !slices.Equal(s.seenBodies(), []string{"payload"}) {
			t.Errorf("request bodies %q, want one", s.seenBodies())
		}
	})
	t.Run("no GetBody, preemptive: the body goes once", func(t *testing.T) {
		s := newServer(t, "localhost", echo)
		tr := newTransport(t, s, client.WithCCache(realm.AliceCCache), client.WithPreemptive())
		_, body, err := post(t, tr, s, onceReader{strings.NewReader("payload")})
		if want := "alice@EXAMPLE.TEST: payload"; err != nil || body != want {
			t.Errorf("%q, %v; want %q", body, err, want)
		}
		if !slices.Equal(s.seenBodies(), []string{"payload"}) {
			t.Errorf("request bodies %q, want one", s.seenBodies())
		}
	})
	t.Run("GetBody fails", func(t *testing.T) {
		s := newServer(t, "localhost", echo)
		tr := newTransport(t, s, client.WithCCache(realm.AliceCCache))
		req, _ := http.NewRequest("POST", s.URL, strings.NewReader("payload"))
		req.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("gone") }
		_, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil || !strings.Contains(err.Error(), "rewind the request body") {
			t.Errorf("error %v, want one about rewinding the body", err)
		}
	})
}

// In preemptive mode with DelegateAlways, no token, and so no credential,
// goes to an origin before it has challenged this Transport; after that,
// the delegating token goes up front. Without delegation, every request
// carries a token at once.
func TestPreemptiveDelegationOnlyAfterAChallenge(t *testing.T) {
	public := plain(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	s := newServer(t, "localhost", whoami)
	other := newServer(t, "localhost", whoami) // same host, another port: another origin
	tr := newTransport(t, s, client.WithCCache(realm.AliceCCache),
		client.WithDelegation(client.DelegateAlways), client.WithPreemptive())

	if body, err := get(t, tr, public, "/"); err != nil || body != "hello" {
		t.Errorf("server without Negotiate: %q, %v; want hello", body, err)
	}
	if h := public.seen(); !slices.Equal(h, []string{""}) {
		t.Errorf("server without Negotiate: Authorization headers %.40q, want one request without", h)
	}
	for i := range 3 {
		if body, err := get(t, tr, s, "/"); err != nil || body != "alice@EXAMPLE.TEST delegated=true" {
			t.Errorf("request %d: %q, %v; want alice, delegated", i, body, err)
		}
	}
	h := s.seen()
	if len(h) != 4 || h[0] != "" || slices.Contains(h[1:], "") {
		t.Errorf("Authorization headers %.40q, want none, then a token on each request", h)
	}
	if _, err := get(t, tr, other, "/"); err != nil {
		t.Error(err)
	}
	if h := other.seen(); len(h) != 2 || h[0] != "" {
		t.Errorf("another port: Authorization headers %.40q, want none, then a token", h)
	}

	never := newServer(t, "localhost", whoami)
	tr = newTransport(t, never, client.WithCCache(realm.AliceCCache), client.WithPreemptive())
	if body, err := get(t, tr, never, "/"); err != nil || body != "alice@EXAMPLE.TEST delegated=false" {
		t.Errorf("DelegateNever: %q, %v; want alice, not delegated", body, err)
	}
	if h := never.seen(); len(h) != 1 || h[0] == "" {
		t.Errorf("DelegateNever: Authorization headers %.40q, want a token at once", h)
	}
}

// In preemptive mode a public endpoint answers a token with no proof: only
// MutualOptional (or MutualDisabled) accepts it.
func TestPreemptiveToAPublicEndpoint(t *testing.T) {
	public := plain(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	strict := newTransport(t, public, client.WithCCache(realm.AliceCCache), client.WithPreemptive())
	if _, err := get(t, strict, public, "/"); !errors.Is(err, client.ErrMutualAuth) {
		t.Errorf("MutualRequired: error %v, want ErrMutualAuth", err)
	}
	lax := newTransport(t, public, client.WithCCache(realm.AliceCCache), client.WithPreemptive(),
		client.WithMutualAuth(client.MutualOptional))
	if body, err := get(t, lax, public, "/"); err != nil || body != "hello" {
		t.Errorf("MutualOptional: %q, %v; want hello", body, err)
	}
}
