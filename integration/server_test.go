package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
	"github.com/negotiate-go/negotiate/middleware"
)

// realm is the KDC every test gets its tickets from. TestMain points the
// process at it.
var realm *testrealm.Fixture

func TestMain(m *testing.M) { os.Exit(realmtest.Main(m, &realm)) }

// target is the service the clients ask tickets for.
const target = "HTTP@localhost"

// user is one of the fixture's users: the principal and the ccache that
// holds the user's TGT.
type user struct {
	principal string
	ccache    string
}

// The fixture's users. They are functions because the realm starts in
// TestMain.
func alice() user { return user{realm.Principal("alice"), realm.AliceCCache} }
func bob() user   { return user{realm.Principal("bob"), realm.BobCCache} }

// server is the system under test: the real gss acceptor behind
// middleware.New, on a loopback listener. Its routes:
//
//   - /whoami: authentication required; answers the principal and "\n",
//     with the local name and the mechanism in X-Local-Name and X-Mech.
//   - /public: authentication optional; answers the principal, or
//     "anonymous", followed by the failure reason in parentheses when a
//     token failed.
//   - /delegate: authentication required; stores the delegated credential
//     in a new ccache and answers "delegated FILE:/path", or answers "not
//     delegated".
//
// It logs at Debug into logs. It remembers every token that went through
// it, both ways, and when the test ends it fails the test if a fragment of
// any of them is in the log.
type server struct {
	acc    *gss.Acceptor
	url    string // "http://localhost:PORT"
	client *http.Client
	logs   *lockedBuffer

	ccacheDir string       // where /delegate stores delegated credentials
	stored    atomic.Int64 // ccaches /delegate stored

	mu        sync.Mutex
	tokens    []string             // every token sent or received, as sent
	delegated negotiate.Credential // the last one /delegate saw
}

// newServer starts a server for the length of the test. Its acceptor uses
// the fixture's keytab and the key of HTTP/localhost, unless opts say
// otherwise.
func newServer(t *testing.T, opts ...gss.Option) *server {
	t.Helper()
	opts = append([]gss.Option{gss.WithKeytab(realm.Keytab), gss.WithHostname("localhost")}, opts...)
	acc, err := gss.NewAcceptor(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	s := &server{acc: acc, logs: new(lockedBuffer), ccacheDir: t.TempDir()}
	logger := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mw, err := middleware.New(acc,
		middleware.WithLogger(logger),
		middleware.WithAuthRequired(func(r *http.Request) bool { return r.URL.Path != "/public" }))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", whoami)
	mux.HandleFunc("GET /public", public)
	mux.HandleFunc("GET /delegate", s.delegate)
	hs := httptest.NewServer(mw.Wrap(mux))

	// Cleanups run last first: stop serving, then read the complete log.
	t.Cleanup(func() { s.checkNoTokenLogged(t) })
	t.Cleanup(hs.Close)

	u, err := url.Parse(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + net.JoinHostPort("localhost", u.Port())
	s.client = hs.Client()
	return s
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

// reply is a response, read in full.
type reply struct {
	status int
	header http.Header
	body   string
	conn   string // the client's address on the connection that carried it
}

// challenges returns the WWW-Authenticate values of the reply.
func (r reply) challenges() []string { return r.header.Values("WWW-Authenticate") }

// send sends GET path with authorization as the Authorization header (none
// if it is ""). It is safe to call from any goroutine.
func (s *server) send(path, authorization string) (reply, error) {
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		return reply{}, err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
		s.remember(authorization)
	}
	var conn string
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(c httptrace.GotConnInfo) { conn = c.Conn.LocalAddr().String() },
	}))
	resp, err := s.client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	for _, c := range resp.Header.Values("WWW-Authenticate") {
		s.remember(c)
	}
	return reply{resp.StatusCode, resp.Header, string(body), conn}, nil
}

// get is send for the test's own goroutine: it fails the test on a
// transport error.
func (s *server) get(t *testing.T, path, authorization string) reply {
	t.Helper()
	r, err := s.send(path, authorization)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

// remember records the token in an Authorization or WWW-Authenticate value
// for the log check.
func (s *server) remember(value string) {
	_, tok, _ := strings.Cut(strings.TrimSpace(value), " ")
	if tok = strings.TrimSpace(tok); len(tok) >= leakWindow {
		s.mu.Lock()
		s.tokens = append(s.tokens, tok)
		s.mu.Unlock()
	}
}

// leakWindow is the length of the shortest token fragment the log check
// looks for.
const leakWindow = 16

// checkNoTokenLogged fails the test if the log holds a fragment of
// leakWindow characters of any token that went through the server: of the
// token as sent, of its decoded bytes re-encoded as base64 at any byte
// alignment, or as hex.
func (s *server) checkNoTokenLogged(t *testing.T) {
	t.Helper()
	logged := windows(s.logs.String())
	s.mu.Lock()
	tokens := slices.Clone(s.tokens)
	s.mu.Unlock()
	for _, tok := range tokens {
		for _, enc := range encodings(tok) {
			for i := 0; i+leakWindow <= len(enc); i++ {
				if frag := enc[i : i+leakWindow]; logged[frag] {
					t.Errorf("the log holds %q, a fragment of a token the server saw", frag)
					return
				}
			}
		}
	}
}

// encodings returns tok as sent and, if it is base64, the ways a logger
// could write its bytes: base64 at each of the three byte alignments, and
// hex.
func encodings(tok string) []string {
	encs := []string{tok}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return encs
	}
	for off := 1; off < 3 && off < len(raw); off++ {
		encs = append(encs, base64.StdEncoding.EncodeToString(raw[off:]))
	}
	return append(encs, hex.EncodeToString(raw))
}

// windows returns the set of substrings of s that are leakWindow long.
func windows(s string) map[string]bool {
	set := make(map[string]bool, len(s))
	for i := 0; i+leakWindow <= len(s); i++ {
		set[s[i:i+leakWindow]] = true
	}
	return set
}

// lockedBuffer is the log's destination: the server's goroutines write it
// while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// negotiateValue is the Authorization value that carries tok.
func negotiateValue(tok []byte) string {
	return "Negotiate " + base64.StdEncoding.EncodeToString(tok)
}

// mint returns a fresh token from u for svc: SPNEGO, or raw Kerberos if raw
// is set.
func mint(t *testing.T, u user, svc string, flags negotiate.Flags, raw bool) []byte {
	t.Helper()
	tok, err := testrealm.Token(u.ccache, svc, flags, raw)
	if err != nil {
		t.Fatalf("token from %s for %s: %v", u.principal, svc, err)
	}
	return tok
}

// mutualToken returns the token of the reply's "WWW-Authenticate:
// Negotiate <token>", failing the test unless there is exactly one such
// header.
func mutualToken(t *testing.T, r reply) []byte {
	t.Helper()
	c := r.challenges()
	if len(c) != 1 {
		t.Fatalf("WWW-Authenticate %q, want one Negotiate value with a token", c)
	}
	b64, ok := strings.CutPrefix(c[0], "Negotiate ")
	if !ok {
		t.Fatalf("WWW-Authenticate %q, want Negotiate <token>", c[0])
	}
	tok, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(tok) == 0 {
		t.Fatalf("WWW-Authenticate %q: not a base64 token: %v", c[0], err)
	}
	return tok
}
