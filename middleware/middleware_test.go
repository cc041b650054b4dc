package middleware

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/negotiate-go/negotiate"
)

// semanticsCase is a request of TestSemantics and what must come of it.
type semanticsCase struct {
	name          string
	opts          []Option
	auth          []string // Authorization header values
	wantStatus    int
	wantBody      string
	wantChallenge []string // WWW-Authenticate values; nil: none
	wantPrincipal string   // seen by next
	wantFailure   string   // Reason seen by next, or by a custom handler
	wantCalls     int32    // acceptor calls
	wantOutcome   Outcome  // Duration ignored
}

// unauthorized is a request with the Authorization values auth that
// carries no credentials: the default 401 and its challenge.
func unauthorized(name string, auth ...string) semanticsCase {
	return semanticsCase{name: name, auth: auth, wantStatus: 401, wantBody: "Unauthorized\n", wantChallenge: []string{"Negotiate"},
		wantOutcome: Outcome{Reason: "no_credentials", Status: 401}}
}

// forbidden is a request with the Authorization values auth that fails for
// reason, after calls calls to the acceptor: the default 403.
func forbidden(name, reason string, calls int32, auth ...string) semanticsCase {
	return semanticsCase{name: name, auth: auth, wantStatus: 403, wantBody: "Forbidden\n", wantCalls: calls,
		wantOutcome: Outcome{Reason: reason, Status: 403}}
}

// with returns c with opts.
func (c semanticsCase) with(opts ...Option) semanticsCase {
	c.opts = opts
	return c
}

func TestSemantics(t *testing.T) {
	optional := WithAuthRequired(func(*http.Request) bool { return false })
	mutual := mutualHeader

	tests := []semanticsCase{
		// Not attempted, required.
		unauthorized("no header"),
		unauthorized("other scheme", "Basic YWxpY2U6cHc="),
		unauthorized("scheme prefix only", "NegotiateX "+b64("alice")),
		unauthorized("bare Negotiate", "Negotiate"),
		unauthorized("bare Negotiate with spaces", "  Negotiate \t "),
		unauthorized("empty value", ""),

		// Not attempted, optional.
		{name: "optional no header", opts: []Option{optional}, wantStatus: 200, wantBody: "ok\n",
			wantOutcome: Outcome{Reason: "no_credentials"}},
		{name: "optional bare", opts: []Option{optional}, auth: []string{"negotiate"}, wantStatus: 200, wantBody: "ok\n",
			wantOutcome: Outcome{Reason: "no_credentials"}},

		// Success.
		{name: "success mutual", auth: []string{neg("alice")}, wantStatus: 200, wantBody: "ok\n",
			wantChallenge: []string{mutual}, wantPrincipal: alice, wantCalls: 1, wantOutcome: Outcome{Principal: alice}},
		{name: "success no output token", auth: []string{neg("bob")}, wantStatus: 200, wantBody: "ok\n",
			wantPrincipal: bob, wantCalls: 1, wantOutcome: Outcome{Principal: bob}},
		{name: "success optional", opts: []Option{optional}, auth: []string{neg("alice")}, wantStatus: 200, wantBody: "ok\n",
			wantChallenge: []string{mutual}, wantPrincipal: alice, wantCalls: 1, wantOutcome: Outcome{Principal: alice}},
		{name: "scheme lower case", auth: []string{"negotiate " + b64("bob")}, wantStatus: 200, wantBody: "ok\n",
			wantPrincipal: bob, wantCalls: 1, wantOutcome: Outcome{Principal: bob}},
		{name: "scheme upper case", auth: []string{"NEGOTIATE " + b64("bob")}, wantStatus: 200, wantBody: "ok\n",
			wantPrincipal: bob, wantCalls: 1, wantOutcome: Outcome{Principal: bob}},
		{name: "surrounding white space", auth: []string{" \tNegotiate  \t" + b64("bob") + " \t"}, wantStatus: 200, wantBody: "ok\n",
			wantPrincipal: bob, wantCalls: 1, wantOutcome: Outcome{Principal: bob}},
		unauthorized("other scheme first", "Basic YWxpY2U6cHc=", "Negotiate", neg("bob")),
		{name: "first Negotiate counts (success)", auth: []string{"Basic YWxpY2U6cHc=", neg("bob"), neg("replay")}, wantStatus: 200, wantBody: "ok\n",
			wantPrincipal: bob, wantCalls: 1, wantOutcome: Outcome{Principal: bob}},
		forbidden("first Negotiate counts (failure)", "replay", 1, neg("replay"), neg("bob")),

		// Failures found before the acceptor.
		forbidden("bad base64", "bad_base64", 0, "Negotiate !!!!"),
		forbidden("missing padding", "bad_base64", 0, "Negotiate "+strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(marker+"bob1")), "=")),
		forbidden("url-safe alphabet", "bad_base64", 0, "Negotiate "+base64.URLEncoding.EncodeToString([]byte(marker+"bob\xfb\xff"))),
		forbidden("inner space", "bad_base64", 0, "Negotiate "+b64("bob")[:8]+" "+b64("bob")[8:]),
		forbidden("inner CRLF", "bad_base64", 0, "Negotiate "+b64("bob")[:8]+"\r\n"+b64("bob")[8:]),
		forbidden("trailing LF", "bad_base64", 0, neg("bob")+"\n"),
		forbidden("non-zero padding bits", "bad_base64", 0, "Negotiate QR=="),
		forbidden("two tokens", "bad_base64", 0, neg("bob")+" "+b64("bob")),
		forbidden("over the cap", "token_too_large", 0, neg("bob")).with(WithMaxTokenSize(len(b64("bob")) - 1)),
		{name: "at the cap", opts: []Option{WithMaxTokenSize(len(b64("bob")))}, auth: []string{neg("bob")},
			wantStatus: 200, wantBody: "ok\n", wantPrincipal: bob, wantCalls: 1, wantOutcome: Outcome{Principal: bob}},
		forbidden("over the default cap", "token_too_large", 0, "Negotiate "+strings.Repeat("A", DefaultMaxTokenSize+4)),
		forbidden("NTLM", "ntlm_offered", 0, "Negotiate "+base64.StdEncoding.EncodeToString([]byte("NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\xa2"))),

		// Failures reported by the acceptor.
		forbidden("garbage", "defective_token", 1, "Negotiate "+base64.StdEncoding.EncodeToString([]byte("garbage"))),
		forbidden("replay", "replay", 1, neg("replay")),
		forbidden("clock skew", "clock_skew", 1, neg("skew")),
		forbidden("expired", "ticket_expired", 1, neg("expired")),
		forbidden("wrong service", "wrong_service", 1, neg("wrongsvc")),
		forbidden("stale keytab", "stale_keytab", 1, neg("kvno")),
		forbidden("bad mech", "bad_mech", 1, neg("badmech")),
		forbidden("incomplete", "incomplete", 1, neg("incomplete")),
		forbidden("no principal fails closed", "no_principal", 1, neg("noprincipal")),

		// Failures on an optional route.
		{name: "optional replay", opts: []Option{optional}, auth: []string{neg("replay")}, wantStatus: 200, wantBody: "ok\n",
			wantFailure: "replay", wantCalls: 1, wantOutcome: Outcome{Reason: "replay"}},
		{name: "optional bad base64", opts: []Option{optional}, auth: []string{"Negotiate a b"}, wantStatus: 200, wantBody: "ok\n",
			wantFailure: "bad_base64", wantOutcome: Outcome{Reason: "bad_base64"}},
		{name: "optional no principal", opts: []Option{optional}, auth: []string{neg("noprincipal")}, wantStatus: 200, wantBody: "ok\n",
			wantFailure: "no_principal", wantCalls: 1, wantOutcome: Outcome{Reason: "no_principal"}},
		{name: "optional NTLM", opts: []Option{optional}, auth: []string{"Negotiate TlRMTVNTUAABAAAA"}, wantStatus: 200, wantBody: "ok\n",
			wantFailure: "ntlm_offered", wantOutcome: Outcome{Reason: "ntlm_offered"}},

		// Server faults.
		{name: "server credentials", auth: []string{neg("servercred")}, wantStatus: 500, wantBody: "Internal Server Error\n", wantCalls: 1,
			wantOutcome: Outcome{Reason: "server_credentials", Status: 500}},
		{name: "unknown acceptor error", auth: []string{neg("internal")}, wantStatus: 500, wantBody: "Internal Server Error\n", wantCalls: 1,
			wantOutcome: Outcome{Reason: "unknown", Status: 500}},
		{name: "server fault optional", opts: []Option{optional}, auth: []string{neg("servercred")}, wantStatus: 500,
			wantBody: "Internal Server Error\n", wantCalls: 1, wantOutcome: Outcome{Reason: "server_credentials", Status: 500}},

		// Options.
		unauthorized("auth required by path").with(WithAuthRequired(func(r *http.Request) bool { return r.URL.Path != "/public" })),
		{name: "unauthorized status", opts: []Option{WithUnauthorizedStatus(407)}, wantStatus: 407, wantBody: "Unauthorized\n",
			wantChallenge: []string{"Negotiate"}, wantOutcome: Outcome{Reason: "no_credentials", Status: 407}},
		{name: "unauthorized body", opts: []Option{WithUnauthorizedBody("log in with Kerberos")}, wantStatus: 401,
			wantBody: "log in with Kerberos", wantChallenge: []string{"Negotiate"}, wantOutcome: Outcome{Reason: "no_credentials", Status: 401}},
		{name: "unauthorized handler", opts: []Option{WithUnauthorizedHandler(customDenied(401, false))}, wantStatus: 401,
			wantBody: "custom no_credentials\n", wantChallenge: []string{"Negotiate"}, wantFailure: "no_credentials",
			wantOutcome: Outcome{Reason: "no_credentials", Status: 401}},
		{name: "unauthorized handler own challenge", opts: []Option{WithUnauthorizedHandler(customDenied(401, true))}, wantStatus: 401,
			wantBody: "custom no_credentials\n", wantChallenge: []string{`Basic realm="own"`}, wantFailure: "no_credentials",
			wantOutcome: Outcome{Reason: "no_credentials", Status: 401}},
		{name: "forbidden status", opts: []Option{WithForbiddenStatus(400)}, auth: []string{neg("skew")}, wantStatus: 400,
			wantBody: "Forbidden\n", wantCalls: 1, wantOutcome: Outcome{Reason: "clock_skew", Status: 400}},
		{name: "forbidden status 401 challenges", opts: []Option{WithForbiddenStatus(401)}, auth: []string{neg("skew")}, wantStatus: 401,
			wantBody: "Forbidden\n", wantChallenge: []string{"Negotiate"}, wantCalls: 1, wantOutcome: Outcome{Reason: "clock_skew", Status: 401}},
		{name: "forbidden body", opts: []Option{WithForbiddenBody("no")}, auth: []string{neg("skew")}, wantStatus: 403,
			wantBody: "no", wantCalls: 1, wantOutcome: Outcome{Reason: "clock_skew", Status: 403}},
		{name: "forbidden handler", opts: []Option{WithForbiddenHandler(customDenied(403, false))}, auth: []string{neg("kvno")},
			wantStatus: 403, wantBody: "custom stale_keytab\n", wantFailure: "stale_keytab", wantCalls: 1,
			wantOutcome: Outcome{Reason: "stale_keytab", Status: 403}},
		{name: "forbidden handler status 401", opts: []Option{WithForbiddenStatus(401), WithForbiddenHandler(customDenied(401, false))},
			auth: []string{neg("kvno")}, wantStatus: 401, wantBody: "custom stale_keytab\n", wantChallenge: []string{"Negotiate"},
			wantFailure: "stale_keytab", wantCalls: 1, wantOutcome: Outcome{Reason: "stale_keytab", Status: 401}},
		{name: "forbidden handler not for server faults", opts: []Option{WithForbiddenHandler(customDenied(403, false))},
			auth: []string{neg("servercred")}, wantStatus: 500, wantBody: "Internal Server Error\n", wantCalls: 1,
			wantOutcome: Outcome{Reason: "server_credentials", Status: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := newFake()
			var outcomes []Outcome
			var hooked *http.Request
			opts := append([]Option{quiet, WithOutcomeHook(func(r *http.Request, o Outcome) {
				outcomes, hooked = append(outcomes, o), r
			})}, tt.opts...)
			mw, err := New(acc, opts...)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/private", nil)
			for _, v := range tt.auth {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			mw.Wrap(nextHandler).ServeHTTP(rec, req)
			res := rec.Result()

			if res.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if body := rec.Body.String(); body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			if got := res.Header.Values("WWW-Authenticate"); !slices.Equal(got, tt.wantChallenge) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			wantNext := tt.wantStatus == 200
			if ran := res.Header.Get("X-Next") == "ran"; ran != wantNext {
				t.Errorf("next ran = %v, want %v", ran, wantNext)
			}
			if got := res.Header.Get("X-Principal"); got != tt.wantPrincipal {
				t.Errorf("principal = %q, want %q", got, tt.wantPrincipal)
			}
			if got := res.Header.Get("X-Failure"); wantNext && got != tt.wantFailure {
				t.Errorf("failure in context = %q, want %q", got, tt.wantFailure)
			}
			if !wantNext && !strings.HasPrefix(tt.wantBody, "custom ") {
				if ct := res.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type = %q", ct)
				}
				if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("X-Content-Type-Options = %q", got)
				}
			}
			if got := acc.calls.Load(); got != tt.wantCalls {
				t.Errorf("acceptor calls = %d, want %d", got, tt.wantCalls)
			}
			if len(outcomes) != 1 {
				t.Fatalf("outcome hook called %d times, want 1", len(outcomes))
			}
			// The hook gets the request as the middleware got it.
			if hooked != req {
				t.Errorf("outcome hook got request %p, want %p", hooked, req)
			}
			got := outcomes[0]
			if got.Duration < 0 {
				t.Errorf("outcome duration %v < 0", got.Duration)
			}
			got.Duration = 0
			if got != tt.wantOutcome {
				t.Errorf("outcome = %+v, want %+v", got, tt.wantOutcome)
			}
			if strings.Contains(rec.Body.String(), secretDetail) {
				t.Errorf("body %q carries the acceptor's error text", rec.Body.String())
			}
		})
	}
}

func TestDelegatedCredential(t *testing.T) {
	optional := WithAuthRequired(func(*http.Request) bool { return false })

	t.Run("released after next returns", func(t *testing.T) {
		acc := newFake()
		mw, err := New(acc, quiet)
		if err != nil {
			t.Fatal(err)
		}
		var seen bool
		h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, ok := FromContext(r.Context())
			if !ok || a.Delegated == nil {
				t.Fatal("no delegated credential in the context")
			}
			if a.Delegated != negotiate.Credential(acc.cred) {
				t.Error("context holds another credential")
			}
			if err := a.Delegated.Store("MEMORY:test"); err != nil {
				t.Errorf("credential unusable in the handler: %v", err)
			}
			if n := acc.cred.released.Load(); n != 0 {
				t.Errorf("released %d times before the handler returned", n)
			}
			if a.Flags&negotiate.FlagDelegate == 0 || a.Principal != carol || a.CCache != "" {
				t.Errorf("Auth = %+v", a)
			}
			seen = true
		}))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", neg("deleg"))
		h.ServeHTTP(httptest.NewRecorder(), req)
		if !seen {
			t.Fatal("next did not run")
		}
		if n := acc.cred.released.Load(); n != 1 {
			t.Errorf("released %d times, want 1", n)
		}
	})

	t.Run("released when next panics", func(t *testing.T) {
		acc := newFake()
		mw, _ := New(acc, quiet)
		h := mw.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", neg("deleg"))
		func() {
			defer func() { recover() }()
			h.ServeHTTP(httptest.NewRecorder(), req)
		}()
		if n := acc.cred.released.Load(); n != 1 {
			t.Errorf("released %d times, want 1", n)
		}
	})

	failures := []struct {
		kind   string
		opts   []Option
		status int
	}{
		{"deleg-replay", nil, 403},
		{"deleg-replay", []Option{optional}, 200},
		{"deleg-replay", []Option{WithForbiddenHandler(customDenied(403, false))}, 403},
		{"deleg-fault", nil, 500},
		{"deleg-noprincipal", nil, 403},
		{"deleg-noprincipal", []Option{optional}, 200},
	}
	for _, tt := range failures {
		t.Run(fmt.Sprintf("released on %s %d", tt.kind, tt.status), func(t *testing.T) {
			acc := newFake()
			mw, err := New(acc, append([]Option{quiet}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			check := func(w http.ResponseWriter, r *http.Request) {
				if a, ok := FromContext(r.Context()); ok && a.Delegated != nil {
					t.Error("a failed request's context holds a credential")
				}
				if n := acc.cred.released.Load(); n != 1 {
					t.Errorf("released %d times before the handler ran, want 1", n)
				}
			}
			mw.cfg.forbidden.handler = wrapCheck(mw.cfg.forbidden.handler, check)
			h := mw.Wrap(http.HandlerFunc(check))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Authorization", neg(tt.kind))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if n := acc.cred.released.Load(); n != 1 {
				t.Errorf("released %d times, want 1", n)
			}
		})
	}
}

func TestNew(t *testing.T) {
	var nilFake *fakeAcceptor
	var nilHandler http.HandlerFunc
	ok := http.NotFoundHandler()
	tests := []struct {
		name string
		acc  Acceptor
		opts []Option
		ok   bool
	}{
		{"defaults", newFake(), nil, true},
		{"all options", newFake(), []Option{
			WithAuthRequired(func(*http.Request) bool { return true }),
			WithUnauthorizedBody("u"), WithForbiddenHandler(ok),
			WithUnauthorizedStatus(401), WithForbiddenStatus(599), WithMaxTokenSize(1),
			WithLogger(slog.Default()), WithOutcomeHook(func(*http.Request, Outcome) {}),
		}, true},
		{"statuses at the bounds", newFake(), []Option{WithUnauthorizedStatus(400), WithForbiddenStatus(599)}, true},
		{"empty bodies", newFake(), []Option{WithUnauthorizedBody(""), WithForbiddenBody("")}, true},
		{"nil acceptor", nil, nil, false},
		{"typed nil acceptor", nilFake, nil, false},
		{"nil option", newFake(), []Option{nil}, false},
		{"nil auth-required", newFake(), []Option{WithAuthRequired(nil)}, false},
		{"nil unauthorized handler", newFake(), []Option{WithUnauthorizedHandler(nil)}, false},
		{"typed nil unauthorized handler", newFake(), []Option{WithUnauthorizedHandler(nilHandler)}, false},
		{"nil forbidden handler", newFake(), []Option{WithForbiddenHandler(nil)}, false},
		{"nil logger", newFake(), []Option{WithLogger(nil)}, false},
		{"nil hook", newFake(), []Option{WithOutcomeHook(nil)}, false},
		{"unauthorized status 399", newFake(), []Option{WithUnauthorizedStatus(399)}, false},
		{"unauthorized status 600", newFake(), []Option{WithUnauthorizedStatus(600)}, false},
		{"unauthorized status 200", newFake(), []Option{WithUnauthorizedStatus(200)}, false},
		{"forbidden status 302", newFake(), []Option{WithForbiddenStatus(302)}, false},
		{"forbidden status 0", newFake(), []Option{WithForbiddenStatus(0)}, false},
		{"unauthorized body and handler", newFake(), []Option{WithUnauthorizedBody("x"), WithUnauthorizedHandler(ok)}, false},
		{"unauthorized handler and body", newFake(), []Option{WithUnauthorizedHandler(ok), WithUnauthorizedBody("x")}, false},
		{"forbidden body and handler", newFake(), []Option{WithForbiddenBody("x"), WithForbiddenHandler(ok)}, false},
		{"max token size 0", newFake(), []Option{WithMaxTokenSize(0)}, false},
		{"max token size -1", newFake(), []Option{WithMaxTokenSize(-1)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := New(tt.acc, tt.opts...)
			if tt.ok != (err == nil) {
				t.Fatalf("New: err = %v, want ok = %v", err, tt.ok)
			}
			if tt.ok && mw == nil {
				t.Fatal("New returned a nil Middleware and no error")
			}
			if !tt.ok && mw != nil {
				t.Fatal("New returned a Middleware with its error")
			}
			if err != nil && !strings.HasPrefix(err.Error(), "middleware: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestNewLogsAcceptorWarnings checks that New logs each start-up warning
// of an acceptor that has them at Warn, once, and only when it succeeds.
func TestNewLogsAcceptorWarnings(t *testing.T) {
	warnings := []string{"realm AD.EXAMPLE.TEST: no auth_to_local rule maps its users", "second"}
	buf, logger := newLog(slog.LevelDebug)
	mw, err := New(warningFake{newFake(), warnings}, logger)
	if err != nil {
		t.Fatal(err)
	}
	serve(mw.Wrap(nextHandler), "alice")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want the two warnings and a request's:\n%s", len(lines), buf)
	}
	for i, want := range []string{
		`level=WARN msg="negotiate: acceptor warning" warning="realm AD.EXAMPLE.TEST: no auth_to_local rule maps its users" acceptor="fake HTTP/localhost"`,
		`level=WARN msg="negotiate: acceptor warning" warning=second acceptor="fake HTTP/localhost"`,
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d: %s\nwant %s", i, lines[i], want)
		}
	}

	for name, tt := range map[string]struct {
		acc  Acceptor
		opts []Option
	}{
		"no Warnings method": {newFake(), nil},
		"no warnings":        {warningFake{newFake(), nil}, nil},
		"New fails":          {warningFake{newFake(), warnings}, []Option{WithMaxTokenSize(0)}},
		"New fails late":     {warningFake{newFake(), warnings}, []Option{WithCCachePolicy(PerRequest)}},
	} {
		buf, logger := newLog(slog.LevelDebug)
		New(tt.acc, append([]Option{logger}, tt.opts...)...)
		if strings.Contains(buf.String(), "WARN") {
			t.Errorf("%s: %s", name, buf)
		}
	}
}

func TestWrapNil(t *testing.T) {
	mw, _ := New(newFake())
	defer func() {
		if recover() == nil {
			t.Error("Wrap(nil) did not panic")
		}
	}()
	mw.Wrap(nil)
}

// TestConcurrent runs one Middleware from many goroutines; run it with -race.
func TestConcurrent(t *testing.T) {
	var mu sync.Mutex
	counts := map[string]int{}
	mw, err := New(newFake(), quiet,
		WithAuthRequired(func(r *http.Request) bool { return r.URL.Path != "/public" }),
		WithOutcomeHook(func(_ *http.Request, o Outcome) {
			mu.Lock()
			counts[o.Reason]++
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Wrap(nextHandler)
	kinds := []string{"alice", "bob", "replay", "skew", "noprincipal", "deleg"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				kind := kinds[(g+i)%len(kinds)]
				path := "/private"
				if i%2 == 0 {
					path = "/public"
				}
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", neg(kind))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				p := rec.Header().Get("X-Principal")
				switch kind {
				case "alice", "bob", "deleg":
					if p == "" || rec.Code != 200 {
						t.Errorf("%s: status %d principal %q", kind, rec.Code, p)
					}
				default:
					if p != "" {
						t.Errorf("%s: principal %q", kind, p)
					}
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != 800 {
		t.Errorf("hook called %d times, want 800", total)
	}
}
