package middleware_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

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

// An outcome hook feeds metrics: one call per request.
func ExampleWithOutcomeHook() {
	mw, err := middleware.New(exampleAcceptor{},
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
		middleware.WithOutcomeHook(func(o middleware.Outcome) {
			fmt.Printf("outcome: principal=%q reason=%q status=%d\n", o.Principal, o.Reason, o.Status)
		}))
	if err != nil {
		panic(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	get(h, "/", "alice-ticket")
	get(h, "/", "")
	// Output:
	// outcome: principal="alice@EXAMPLE.TEST" reason="" status=0
	// 200 "Negotiate YXAtcmVw" ""
	// outcome: principal="" reason="no_credentials" status=401
	// 401 "Negotiate" "Unauthorized\n"
}
