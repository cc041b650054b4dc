package integration

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
	"github.com/negotiate-go/negotiate/middleware"
)

// server is the system under test: the real gss acceptor behind
// middleware.New, on a loopback listener, built by startServer. It logs at
// Debug into logs. It remembers every token that went through it, both
// ways, for the checks of its log (leaks_test.go).
type server struct {
	acc     *gss.Acceptor
	counter *acceptCounter // the acceptor as the middleware sees it, if serverConfig.count
	mw      *middleware.Middleware
	url     string // "http://localhost:PORT"
	client  *http.Client
	logs    *realmtest.LockedBuffer

	ccacheDir string       // where /delegate stores delegated credentials
	stored    atomic.Int64 // ccaches /delegate stored

	mu        sync.Mutex
	tokens    []string             // every token sent or received, as sent
	delegated negotiate.Credential // the last one /delegate saw
}

// serverConfig says what startServer builds; each field adds to what every
// server has.
type serverConfig struct {
	// acceptor follows realm.AcceptorOptions(): the fixture's keytab and
	// the key of HTTP/localhost, unless these say otherwise.
	acceptor []gss.Option
	// middleware follows the Debug logger and the rule that /public is
	// the one route where authentication is optional.
	middleware []middleware.Option
	// count puts an acceptCounter between the middleware and the
	// acceptor.
	count bool
	// handler returns what the middleware wraps, given the server with
	// everything set but its address; nil: routes.
	handler func(s *server) http.Handler
	// logChecks run on the complete log when the test ends, once the
	// server has stopped, in order.
	logChecks []func(s *server, t *testing.T)
}

// startServer starts a server for the length of the test.
func startServer(t *testing.T, c serverConfig) *server {
	t.Helper()
	acc, err := gss.NewAcceptor(realm.AcceptorOptions(c.acceptor...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	s := &server{acc: acc, logs: new(realmtest.LockedBuffer), ccacheDir: t.TempDir()}
	var seen middleware.Acceptor = acc
	if c.count {
		s.counter = &acceptCounter{Acceptor: acc}
		seen = s.counter
	}
	logger := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mw, err := middleware.New(seen, append([]middleware.Option{
		middleware.WithLogger(logger),
		middleware.WithAuthRequired(func(r *http.Request) bool { return r.URL.Path != "/public" }),
	}, c.middleware...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close() })
	s.mw = mw
	handler := routes
	if c.handler != nil {
		handler = c.handler
	}
	hs := httptest.NewServer(mw.Wrap(handler(s)))

	// Cleanups run last first: stop serving, then read the complete log.
	t.Cleanup(func() {
		for _, check := range c.logChecks {
			check(s, t)
		}
	})
	t.Cleanup(hs.Close)

	u, err := url.Parse(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + net.JoinHostPort("localhost", u.Port())
	s.client = hs.Client()
	return s
}

// newServer starts a server with routes, whose log must hold no token.
// Its acceptor uses the fixture's keytab and the key of HTTP/localhost,
// unless opts say otherwise.
func newServer(t *testing.T, opts ...gss.Option) *server {
	t.Helper()
	return startServer(t, serverConfig{
		acceptor:  opts,
		logChecks: []func(*server, *testing.T){(*server).checkNoTokenLogged},
	})
}

// routes are newServer's:
//
//   - /whoami: authentication required; answers the principal and "\n",
//     with the local name and the mechanism in X-Local-Name and X-Mech.
//   - /public: authentication optional; answers the principal, or
//     "anonymous", followed by the failure reason in parentheses when a
//     token failed.
//   - /delegate: authentication required; stores the delegated credential
//     in a new ccache and answers "delegated FILE:/path", or answers "not
//     delegated".
func routes(s *server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", whoami)
	mux.HandleFunc("GET /public", public)
	mux.HandleFunc("GET /delegate", s.delegate)
	return mux
}

func whoami(w http.ResponseWriter, r *http.Request) {
	a, ok := middleware.FromContext(r.Context())
	p, pok := middleware.PrincipalFromContext(r.Context())
	if !ok || !pok || a.Principal != p {
		http.Error(w, "the middleware let a request through without a principal", http.StatusInternalServerError)
		return
	}
	w.Header().Set("X-Local-Name", a.LocalName)
	w.Header().Set("X-Mech", a.Mech)
	io.WriteString(w, p+"\n")
}

func public(w http.ResponseWriter, r *http.Request) {
	if p, ok := middleware.PrincipalFromContext(r.Context()); ok {
		io.WriteString(w, p+"\n")
		return
	}
	if err, ok := middleware.FailureFromContext(r.Context()); ok {
		fmt.Fprintf(w, "anonymous (%s)\n", middleware.Reason(err))
		return
	}
	io.WriteString(w, "anonymous\n")
}

func (s *server) delegate(w http.ResponseWriter, r *http.Request) {
	a, ok := middleware.FromContext(r.Context())
	if !ok || a.Err != nil || a.Principal == "" {
		http.Error(w, "the middleware let a request through without a principal", http.StatusInternalServerError)
		return
	}
	asked := a.Flags&negotiate.FlagDelegate != 0
	switch {
	case a.Delegated == nil && !asked:
		io.WriteString(w, "not delegated\n")
		return
	case a.Delegated == nil || !asked:
		// A typed nil inside the interface lands here too.
		http.Error(w, fmt.Sprintf("delegation flag %v but credential %#v", asked, a.Delegated), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.delegated = a.Delegated
	s.mu.Unlock()
	ccache := "FILE:" + filepath.Join(s.ccacheDir, fmt.Sprintf("delegated-%d", s.stored.Add(1)))
	if err := a.Delegated.Store(ccache); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError) // a test server: detail is welcome
		return
	}
	fmt.Fprintf(w, "delegated %s\n", ccache)
}

// lastDelegated returns the credential /delegate saw last, which the
// middleware should have released when the handler returned.
func (s *server) lastDelegated() negotiate.Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delegated
}

// newDelegServer starts a server whose middleware stores delegated
// credentials in dir, with opts. On every path it answers the principal
// and the stored ccache ("alice@EXAMPLE.TEST FILE:/…", or
// "bob@EXAMPLE.TEST " when there is none), or "anonymous". Its log is not
// checked.
func newDelegServer(t *testing.T, dir string, opts ...middleware.Option) *server {
	t.Helper()
	return startServer(t, serverConfig{
		middleware: append([]middleware.Option{middleware.WithDelegationDir(dir)}, opts...),
		handler: func(*server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a, ok := middleware.FromContext(r.Context())
				if !ok || a.Principal == "" {
					io.WriteString(w, "anonymous\n")
					return
				}
				fmt.Fprintf(w, "%s %s\n", a.Principal, a.CCache)
			})
		},
	})
}

// acceptCounter wraps an acceptor and counts the calls that reach it, so
// that a test can tell a session request from a Negotiate one.
type acceptCounter struct {
	middleware.Acceptor
	calls atomic.Int64
}

func (a *acceptCounter) Accept(tok []byte) (negotiate.Result, error) {
	a.calls.Add(1)
	return a.Acceptor.Accept(tok)
}
