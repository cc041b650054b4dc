package client_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/negotiate-go/negotiate/client"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
	"github.com/negotiate-go/negotiate/middleware"
)

var realm *testrealm.Fixture

func TestMain(m *testing.M) { os.Exit(realmtest.Main(m, &realm)) }

// server is a Negotiate-protected test server for one service principal,
// with its own keytab holding only that principal's key.
type server struct {
	*httptest.Server
	spn string // "HTTP@localhost"

	mu      sync.Mutex
	headers []string // Authorization headers seen, in order
	bodies  []string // request bodies seen, in order
}

// record notes r's Authorization header and body, leaving the body for
// the handler to read.
func (s *server) record(r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headers = append(s.headers, r.Header.Get("Authorization"))
	s.bodies = append(s.bodies, string(body))
}

// seen returns the Authorization headers seen so far.
func (s *server) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.headers)
}

// seenBodies returns the request bodies seen so far.
func (s *server) seenBodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

func newServer(t *testing.T, host string, handler http.Handler, opts ...middleware.Option) *server {
	t.Helper()
	keytab := filepath.Join(t.TempDir(), "http.keytab")
	if err := realm.WriteKeytab(keytab, "HTTP/"+host); err != nil {
		t.Fatal(err)
	}
	acc, err := gss.NewAcceptor(gss.WithKeytab(keytab), gss.WithHostname(host))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	mw, err := middleware.New(acc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{spn: "HTTP@" + host}
	protected := mw.Wrap(handler)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		protected.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// whoami answers the principal, and whether the client delegated.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	a, _ := middleware.FromContext(r.Context())
	fmt.Fprintf(w, "%s delegated=%v", a.Principal, a.Delegated != nil)
})

// get fetches path from s with t as transport, connecting to s's loopback
// address but naming s's service principal.
func get(t *testing.T, tr *client.Transport, s *server, path string) (string, error) {
	t.Helper()
	resp, err := (&http.Client{Transport: tr}).Get(s.URL + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("status %s", resp.Status)
	}
	return string(body), nil
}

func newTransport(t *testing.T, s *server, opts ...client.Option) *client.Transport {
	t.Helper()
	opts = append(opts, client.WithSPN(func(*http.Request) string { return s.spn }))
	tr, err := client.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestGetWithCCache(t *testing.T) {
	s := newServer(t, "localhost", whoami)
	for _, d := range []struct {
		policy client.Delegation
		want   string
	}{
		{client.DelegateNever, "alice@EXAMPLE.TEST delegated=false"},
		{client.DelegateAlways, "alice@EXAMPLE.TEST delegated=true"},
		// The test KDC does not mark services ok-as-delegate.
		{client.DelegateIfOKAsDelegate, "alice@EXAMPLE.TEST delegated=false"},
	} {
		tr := newTransport(t, s, client.WithCCache(realm.AliceCCache), client.WithDelegation(d.policy))
		body, err := get(t, tr, s, "/")
		if err != nil || body != d.want {
			t.Errorf("policy %d: %q, %v; want %q", d.policy, body, err, d.want)
		}
	}
}

func TestEveryRequestAndRedirectGetsAFreshToken(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/whoami", whoami)
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/whoami", http.StatusFound)
	})
	for _, tt := range []struct {
		name string
		opts []client.Option
		// each hop's requests: without a token first, then with one; or
		// with one at once
		challenged bool
	}{
		{"default", nil, true},
		{"preemptive", []client.Option{client.WithPreemptive()}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, "localhost", mux)
			tr := newTransport(t, s, append(tt.opts, client.WithCCache(realm.AliceCCache))...)
			for range 3 {
				if _, err := get(t, tr, s, "/redirect"); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[string]bool{}
			for i, h := range s.seen() {
				if tt.challenged && i%2 == 0 {
					if h != "" {
						t.Errorf("request %d: header %.30q… before the challenge", i, h)
					}
					continue
				}
				if !strings.HasPrefix(h, "Negotiate ") || seen[h] {
					t.Errorf("request %d: header %.30q… missing or sent twice", i, h)
				}
				seen[h] = true
			}
			if len(seen) != 6 {
				t.Errorf("%d distinct tokens for 3 requests with a redirect each, want 6", len(seen))
			}
		})
	}
}

// challenging answers a request without an Authorization header as a
// Negotiate server does, 401 with "WWW-Authenticate: Negotiate", and runs
// next for the others.
func challenging(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", "Negotiate")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

func TestMutualAuth(t *testing.T) {
	// A genuine reply, captured to be replayed to another context.
	real := newServer(t, "localhost", whoami)
	captured := make(chan string, 1)
	capture := newTransport(t, real, client.WithCCache(realm.AliceCCache),
		client.WithBase(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := http.DefaultTransport.RoundTrip(r)
			if err == nil && resp.StatusCode == http.StatusOK {
				captured <- resp.Header.Get("WWW-Authenticate")
			}
			return resp, err
		})))
	if _, err := get(t, capture, real, "/"); err != nil {
		t.Fatal(err)
	}
	stale := <-captured

	trustMe := func(challenge string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if challenge != "" {
				w.Header().Set("WWW-Authenticate", challenge)
			}
			io.WriteString(w, "trust me")
		}
	}
	modes := []client.MutualAuth{client.MutualRequired, client.MutualOptional, client.MutualDisabled}
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: the genuine server
		ok      []bool           // by mode: required, optional, disabled
	}{
		{"genuine token", nil, []bool{true, true, true}},
		{"no token", trustMe(""), []bool{false, true, true}},
		{"bare Negotiate", trustMe("Negotiate"), []bool{false, true, true}},
		{"another context's token", trustMe(stale), []bool{false, false, true}},
		{"garbage token", trustMe("Negotiate Z2FyYmFnZQ=="), []bool{false, false, true}},
		{"bad base64", trustMe("Negotiate !!!"), []bool{false, false, true}},
	}
	for _, tt := range tests {
		for i, mode := range modes {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				s := real
				if tt.handler != nil {
					impostor := httptest.NewServer(challenging(tt.handler))
					defer impostor.Close()
					s = &server{Server: impostor, spn: "HTTP@localhost"}
				}
				tr := newTransport(t, s, client.WithCCache(realm.AliceCCache), client.WithMutualAuth(mode))
				resp, err := (&http.Client{Transport: tr}).Get(s.URL)
				if err == nil {
					resp.Body.Close()
				}
				switch {
				case tt.ok[i] && err != nil:
					t.Errorf("error %v, want the response", err)
				case tt.ok[i] && resp.StatusCode != http.StatusOK:
					t.Errorf("status %s, want 200", resp.Status)
				case !tt.ok[i] && !errors.Is(err, client.ErrMutualAuth):
					t.Errorf("error %v, want ErrMutualAuth", err)
				}
			})
		}
	}
	if _, err := client.New(client.WithMutualAuth(client.MutualAuth(42))); err == nil {
		t.Error("New accepted an unknown mutual authentication mode")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRefusalIsReturnedAsIs(t *testing.T) {
	s := newServer(t, "localhost", whoami)
	// A token for a service this server holds no key for: 403, no proof.
	tr := newTransport(t, &server{Server: s.Server, spn: "HTTP@nokey.localhost"}, client.WithCCache(realm.AliceCCache))
	resp, err := (&http.Client{Transport: tr}).Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", resp.StatusCode)
	}
}

func TestNewFailsWithoutTickets(t *testing.T) {
	_, err := client.New(client.WithCCache("FILE:" + filepath.Join(t.TempDir(), "none")))
	if err == nil {
		t.Fatal("New succeeded with an empty ccache")
	}
	if _, err := client.New(client.WithDelegation(client.Delegation(42))); err == nil {
		t.Error("New accepted an unknown delegation policy")
	}
}

// TestDoubleHop: alice calls service A with delegation; A's handler calls
// service B (another principal, another keytab) as alice, once with the
// delegated credential in memory and once through a ccache file it stores.
// KRB5CCNAME names bob's cache throughout: if any step fell back to the
// default ccache, B would see bob.
func TestDoubleHop(t *testing.T) {
	t.Setenv("KRB5CCNAME", realm.BobCCache)
	back := newServer(t, "other.localhost", whoami)
	hop := func(via string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			a, _ := middleware.FromContext(r.Context())
			if a.Delegated == nil {
				http.Error(w, "no delegated credential", http.StatusBadRequest)
				return
			}
			var source client.Option
			switch via {
			case "memory":
				source = client.WithCredential(a.Delegated)
			case "ccache":
				path := "FILE:" + filepath.Join(t.TempDir(), "alice.ccache")
				if err := a.Delegated.Store(path); err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				source = client.WithCCache(path)
			}
			tr, err := client.New(source, client.WithSPN(func(*http.Request) string { return back.spn }))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			defer tr.Close()
			resp, err := (&http.Client{Transport: tr}).Get(back.URL)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			fmt.Fprintf(w, "A saw %s; B saw ", a.Principal)
			io.Copy(w, resp.Body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/memory", hop("memory"))
	mux.Handle("/ccache", hop("ccache"))
	front := newServer(t, "localhost", mux)

	for _, via := range []string{"memory", "ccache"} {
		t.Run(via, func(t *testing.T) {
			tr := newTransport(t, front, client.WithCCache(realm.AliceCCache), client.WithDelegation(client.DelegateAlways))
			body, err := get(t, tr, front, "/"+via)
			want := "A saw alice@EXAMPLE.TEST; B saw alice@EXAMPLE.TEST delegated=false"
			if err != nil || body != want {
				t.Errorf("%q, %v; want %q", body, err, want)
			}
		})
	}
	t.Run("without delegation", func(t *testing.T) {
		tr := newTransport(t, front, client.WithCCache(realm.AliceCCache))
		body, err := get(t, tr, front, "/memory")
		if err == nil || !strings.Contains(body, "no delegated credential") {
			t.Errorf("%q, %v; want a refusal naming the missing delegation", body, err)
		}
	})
}

func TestDefaultSPNIsHTTPAtHost(t *testing.T) {
	s := newServer(t, "localhost", whoami)
	tr, err := client.New(client.WithCCache(realm.AliceCCache))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	u, _ := url.Parse(s.URL)
	u.Host = "localhost:" + u.Port()
	resp, err := (&http.Client{Transport: tr}).Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d for http://localhost:PORT", resp.StatusCode)
	}
}
