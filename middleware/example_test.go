package middleware_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/middleware"
)

// exampleAcceptor stands in for *gss.Acceptor: it accepts the token
// "alice-ticket" and refuses any other as a replay.
type exampleAcceptor struct{}

func (exampleAcceptor) Accept(tok []byte) (negotiate.Result, error) {
	if string(tok) != "alice-ticket" {
		return negotiate.Result{}, fmt.Errorf("gss: %w", negotiate.ErrReplay)
	}
	return negotiate.Result{
		Principal:   "alice@EXAMPLE.TEST",
		Mech:        negotiate.MechKerberos,
		OutputToken: []byte("ap-rep"),
	}, nil
}

// get sends one request with an optional Authorization token through h and
// prints the answer.
func get(h http.Handler, path, token string) {
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString([]byte(token)))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Printf("%d %q %q\n", rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body.String())
}

func Example() {
	mw, err := middleware.New(exampleAcceptor{}, middleware.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := middleware.PrincipalFromContext(r.Context())
		io.WriteString(w, p+"\n")
	})
	h := mw.Wrap(whoami)

	get(h, "/whoami", "")             // no credentials: the challenge
	get(h, "/whoami", "alice-ticket") // a good ticket, with mutual authentication
	get(h, "/whoami", "old-ticket")   // a refused ticket
	// Output:
	// 401 "Negotiate" "Unauthorized\n"
	// 200 "Negotiate YXAtcmVw" "alice@EXAMPLE.TEST\n"
	// 403 "" "Forbidden\n"
}

// Authentication can be optional on some routes: a request without
// credentials, or whose token fails, goes on without a principal, and the
// handler can tell the two apart.
func ExampleWithAuthRequired() {
	mw, err := middleware.New(exampleAcceptor{},
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithAuthRequired(func(r *http.Request) bool { return r.URL.Path != "/public" }))
	if err != nil {
		panic(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := middleware.PrincipalFromContext(r.Context()); ok {
			io.WriteString(w, p)
		} else if err, ok := middleware.FailureFromContext(r.Context()); ok {
			io.WriteString(w, "anonymous, failed: "+middleware.Reason(err))
		} else {
			io.WriteString(w, "anonymous")
		}
	}))

	get(h, "/public", "")
	get(h, "/public", "alice-ticket")
	get(h, "/public", "old-ticket")
	get(h, "/private", "")
	// Output:
	// 200 "" "anonymous"
	// 200 "Negotiate YXAtcmVw" "alice@EXAMPLE.TEST"
	// 200 "" "anonymous, failed: replay"
	// 401 "Negotiate" "Unauthorized\n"
}

// A custom failure handler reads the reason from the context. It must not
// send the error's text: that may hold GSS-API detail.
func ExampleWithForbiddenHandler() {
	denied := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err, _ := middleware.FailureFromContext(r.Context())
		msg := "access denied"
		if errors.Is(err, negotiate.ErrClockSkew) || errors.Is(err, negotiate.ErrReplay) {
			msg += ", try again"
		}
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, msg)
	})
	mw, err := middleware.New(exampleAcceptor{},
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithForbiddenHandler(denied))
	if err != nil {
		panic(err)
	}
	get(mw.Wrap(http.NotFoundHandler()), "/", "old-ticket")
	// Output:
	// 403 "" "access denied, try again"
}

// An outcome hook feeds metrics and traces: one call per request, with the
// request. Wrapping the handlers of a ServeMux, it finds the route in
// r.Pattern, a label of few values, unlike the path.
func ExampleWithOutcomeHook() {
	mw, err := middleware.New(exampleAcceptor{},
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithOutcomeHook(func(r *http.Request, o middleware.Outcome) {
			fmt.Printf("outcome: route=%q principal=%q reason=%q status=%d\n", r.Pattern, o.Principal, o.Reason, o.Status)
		}))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /users/{id}", mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	get(mux, "/users/7", "alice-ticket")
	get(mux, "/users/8", "")
	// Output:
	// outcome: route="GET /users/{id}" principal="alice@EXAMPLE.TEST" reason="" status=0
	// 200 "Negotiate YXAtcmVw" ""
	// outcome: route="GET /users/{id}" principal="" reason="no_credentials" status=401
	// 401 "Negotiate" "Unauthorized\n"
}

// delegatingAcceptor stands in for *gss.Acceptor and a client that
// delegates: it accepts any token as alice's, with a credential.
type delegatingAcceptor struct{}

func (delegatingAcceptor) Accept([]byte) (negotiate.Result, error) {
	return negotiate.Result{
		Principal: "alice@EXAMPLE.TEST",
		Mech:      negotiate.MechKerberos,
		Flags:     negotiate.FlagDelegate,
		Delegated: exampleCred{},
	}, nil
}

// exampleCred stands in for a *gss.Credential.
type exampleCred struct{}

func (exampleCred) Store(ccache string) error {
	return os.WriteFile(strings.TrimPrefix(ccache, "FILE:"), []byte("a ccache"), 0o644)
}

func (exampleCred) Release() error { return nil }

// With a delegation directory, each delegated credential is stored in a
// ccache file there, named in Auth.CCache, before the handler runs. Close
// stops the sweeper that removes expired files.
func ExampleWithDelegationDir() {
	dir, err := os.MkdirTemp("", "delegated-") // mode 0700
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	mw, err := middleware.New(delegatingAcceptor{},
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithDelegationDir(dir),
		middleware.WithDelegationRequired())
	if err != nil {
		panic(err)
	}
	defer mw.Close()

	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := middleware.FromContext(r.Context())
		// a.CCache is "FILE:" and the file's path: what gss_acquire_cred_from
		// or a child process's KRB5CCNAME takes to act as the user.
		path := strings.TrimPrefix(a.CCache, "FILE:")
		fi, err := os.Stat(path)
		if err != nil {
			panic(err)
		}
		fmt.Println(filepath.Base(path), fi.Mode())
	}))
	get(h, "/", "any-ticket")
	// Output:
	// alice@EXAMPLE.TEST -rw-------
	// 200 "" ""
}

// Ccache file names are the principal, percent-encoded so that they are
// safe in a directory and map back to exactly one principal. A letter in
// the unusual case for its place, upper case before the realm or lower case
// in it, is escaped too, so that names differ in more than case and
// principals keep files of their own on a case-insensitive file system.
func ExampleCCacheName() {
	for _, p := range []string{
		"alice@EXAMPLE.TEST",
		"Alice@EXAMPLE.TEST",
		"HTTP/web.example.com@EXAMPLE.TEST",
		"svc_admin@EXAMPLE.TEST",
		"../../etc/passwd@EXAMPLE.TEST",
	} {
		name, err := middleware.CCacheName(p)
		if err != nil {
			panic(err)
		}
		back, err := middleware.PrincipalFromCCacheName(name)
		fmt.Println(name, back == p, err)
	}
	// Output:
	// alice@EXAMPLE.TEST true <nil>
	// %41lice@EXAMPLE.TEST true <nil>
	// %48%54%54%50%2Fweb.example.com@EXAMPLE.TEST true <nil>
	// svc_admin@EXAMPLE.TEST true <nil>
	// %2E%2E%2F.%2E%2Fetc%2Fpasswd@EXAMPLE.TEST true <nil>
}

// Sessions spare the acceptor, and the browser a 401 round trip, on every
// request after the first. A handler can still demand a fresh Negotiate for
// a sensitive action, and end the session.
func ExampleWithSessions() {
	// In production, read the keys from a secret file with
	// ParseSessionKeys, and share them between instances.
	key := []byte("example key, 32 bytes, not real!")
	mw, err := middleware.New(exampleAcceptor{},
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithSessions(),
		middleware.WithSessionKeys(key))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		a, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "%s (session: %v)", a.Principal, a.FromSession)
	})
	mux.HandleFunc("POST /transfer", func(w http.ResponseWriter, r *http.Request) {
		if a, _ := middleware.FromContext(r.Context()); a.FromSession {
			// Sensitive: ask for a token; the browser sends one at once.
			w.Header().Set("WWW-Authenticate", "Negotiate")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "done")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		mw.EndSession(w)
		io.WriteString(w, "bye")
	})
	h := mw.Wrap(mux)

	send := func(method, path, token string, cookie *http.Cookie) *http.Response {
		req := httptest.NewRequest(method, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString([]byte(token)))
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		fmt.Printf("%s %s: %d %q\n", method, path, res.StatusCode, body)
		return res
	}

	res := send("GET", "/whoami", "alice-ticket", nil) // Negotiate once
	cookie := res.Cookies()[0]
	fmt.Printf("cookie %s: HttpOnly %v, Secure %v, SameSite Lax %v, Max-Age %d\n",
		cookie.Name, cookie.HttpOnly, cookie.Secure, cookie.SameSite == http.SameSiteLaxMode, cookie.MaxAge)
	send("GET", "/whoami", "", cookie)                // the cookie alone
	send("POST", "/transfer", "", cookie)             // too sensitive for a cookie
	send("POST", "/transfer", "alice-ticket", cookie) // a token wins over the cookie
	res = send("POST", "/logout", "", cookie)         // log out
	fmt.Println("logout cookie Max-Age:", res.Cookies()[0].MaxAge)
	// Output:
	// GET /whoami: 200 "alice@EXAMPLE.TEST (session: false)"
	// cookie __Host-negotiate_session: HttpOnly true, Secure true, SameSite Lax true, Max-Age 3600
	// GET /whoami: 200 "alice@EXAMPLE.TEST (session: true)"
	// POST /transfer: 401 ""
	// POST /transfer: 200 "done"
	// POST /logout: 200 "bye"
	// logout cookie Max-Age: -1
}

// Authorization rules refuse principals that authenticated but are not let
// in: 403 where authentication is required, anonymous with the reason
// where it is optional.
func ExampleWithAllowedRealms() {
	mw, err := middleware.New(exampleAcceptor{},
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithAllowedRealms("CORP.EXAMPLE"),
		middleware.WithAuthRequired(func(r *http.Request) bool { return r.URL.Path != "/public" }))
	if err != nil {
		panic(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only a refused principal reaches it here: on /public.
		err, _ := middleware.FailureFromContext(r.Context())
		io.WriteString(w, "anonymous, refused: "+middleware.Reason(err))
	}))
	get(h, "/private", "alice-ticket") // alice@EXAMPLE.TEST is of another realm
	get(h, "/public", "alice-ticket")
	// Output:
	// 403 "" "Forbidden\n"
	// 200 "" "anonymous, refused: realm_not_allowed"
}

// A browser sends a token only when a 401 asks for one, and an optional
// route never asks: a browser user without a session is anonymous there. A
// login route that requires authentication starts the session, and the
// optional routes know the user from then on. One Middleware serves both:
// Optional in front of the mux, Require on the login route, which does not
// accept the token a second time.
func ExampleMiddleware_Require() {
	mw, err := middleware.New(exampleAcceptor{},
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithSessions(),
		middleware.WithSessionKeys([]byte("example key, 32 bytes, not real!")))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if p, ok := middleware.PrincipalFromContext(r.Context()); ok {
			io.WriteString(w, "hello "+p)
			return
		}
		io.WriteString(w, `hello stranger, <a href="/login">log in</a>`)
	})
	mux.Handle("GET /login", mw.Require(http.RedirectHandler("/", http.StatusSeeOther)))
	h := mw.Optional(mux)

	// browser sends what a browser would, and prints the answer.
	browser := func(path, token string, cookie *http.Cookie) *http.Response {
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString([]byte(token)))
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		if loc := res.Header.Get("Location"); loc != "" {
			fmt.Printf("GET %s: %d to %s, %d cookie\n", path, res.StatusCode, loc, len(res.Cookies()))
		} else {
			fmt.Printf("GET %s: %d %q %q\n", path, res.StatusCode, res.Header.Get("WWW-Authenticate"), rec.Body.String())
		}
		return res
	}
	browser("/", "", nil)                         // no token unasked: anonymous
	browser("/login", "", nil)                    // the challenge
	res := browser("/login", "alice-ticket", nil) // the browser's answer: a session
	browser("/", "", res.Cookies()[0])            // known from now on
	// Output:
	// GET /: 200 "" "hello stranger, <a href=\"/login\">log in</a>"
	// GET /login: 401 "Negotiate" "Unauthorized\n"
	// GET /login: 303 to /, 1 cookie
	// GET /: 200 "" "hello alice@EXAMPLE.TEST"
}
