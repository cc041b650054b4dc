package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"time"
)

// DefaultMaxTokenSize is the default cap on a token's length, in base64
// characters: 64 KiB. Kerberos tickets from Active Directory that carry a
// large PAC reach 12 to 48 KiB.
const DefaultMaxTokenSize = 64 << 10

// An Option configures a [Middleware]. [New] reports the first error an
// option returns.
type Option func(*config) error

// config is the Middleware's settings. It is fixed once New returns.
type config struct {
	required     func(*http.Request) bool
	unauthorized response
	forbidden    response
	maxTokenSize int
	logger       *slog.Logger
	hook         func(*http.Request, Outcome)

	delegationDir      string // "" when credentials are not stored
	ccachePolicy       CCachePolicy
	policySet          bool
	sweepInterval      time.Duration
	sweepSet           bool
	delegationRequired bool

	sess  sessionConfig
	authz authzConfig
}

// response is how the middleware answers one kind of refusal: a status and a
// text body, or a handler.
type response struct {
	status  int
	body    string
	bodySet bool
	handler http.Handler
}

func defaultConfig() config {
	return config{
		required:      func(*http.Request) bool { return true },
		unauthorized:  response{status: http.StatusUnauthorized, body: "Unauthorized\n"},
		forbidden:     response{status: http.StatusForbidden, body: "Forbidden\n"},
		maxTokenSize:  DefaultMaxTokenSize,
		logger:        slog.Default(),
		sweepInterval: DefaultSweepInterval,
	}
}

// Outcome describes how the middleware dealt with one request. The hook set
// by [WithOutcomeHook] receives it once the decision is made, before the
// next handler or the failure response runs.
type Outcome struct {
	// Principal is the authenticated principal, or "" when the request did
	// not authenticate.
	Principal string

	// Reason is "" when the request authenticated, else [Reason] of the
	// failure: "no_credentials" when it carried none (a session cookie
	// that does not open counts as none), "replay", "bad_base64",
	// "no_delegated_credential", "realm_not_allowed",
	// "ccache_store_failed" and so on.
	Reason string

	// Duration is the time spent authenticating: parsing the header and
	// calling the acceptor, or opening the session cookie. It does not
	// include the authorization rules, storing a delegated credential,
	// issuing a session cookie, nor the next handler.
	Duration time.Duration

	// Session reports that the request carried a session cookie that
	// opened ([WithSessions]): it authenticated by it, with no call to the
	// acceptor, or was refused by an authorization rule.
	Session bool

	// Status is the status of the response the middleware chose: the
	// unauthorized or forbidden status (even when a custom handler writes
	// the response), or 500 for a server fault, a failure to store a
	// delegated credential included. It is 0 when the next handler runs,
	// with or without a principal.
	Status int

	// Inherited reports that a handler of this package earlier in the
	// chain, of this Middleware or another, authenticated the request or
	// recorded its failure: this one called no acceptor and opened no
	// cookie, and only applied its own authorization rules, or refused the
	// failure (see the package documentation, Several middlewares in one
	// chain). Duration is then 0, and Session says whether the earlier
	// handler's Auth is a session's. Each handler reports once, so a
	// request through two reports twice: a count of authentications skips
	// the inherited outcomes.
	Inherited bool
}

// WithAuthRequired sets the function that decides, per request, whether
// authentication is required for the handlers of [Middleware.Wrap]. When it
// is not, a request without credentials or with a failing token, or refused
// by an authorization rule, goes on to the next handler without a
// principal. It is called only for such requests, never for one that
// authenticated and was let in. It must be safe for concurrent use. The
// handlers of [Middleware.Require] and [Middleware.Optional] ignore it.
//
// Default: authentication is always required.
func WithAuthRequired(required func(*http.Request) bool) Option {
	return func(c *config) error {
		if isNil(required) {
			return errors.New("WithAuthRequired: nil function")
		}
		c.required = required
		return nil
	}
}

// WithUnauthorizedBody sets the text body of the response to a request that
// carries no Negotiate credentials. The status and headers stay:
// "WWW-Authenticate: Negotiate" and "Content-Type: text/plain;
// charset=utf-8". It excludes [WithUnauthorizedHandler].
//
// Default: "Unauthorized\n".
func WithUnauthorizedBody(body string) Option {
	return func(c *config) error {
		c.unauthorized.body, c.unauthorized.bodySet = body, true
		return nil
	}
}

// WithUnauthorizedHandler sets the handler that answers a request that
// carries no Negotiate credentials, in place of the text response. The
// middleware adds "WWW-Authenticate: Negotiate" to its response unless the
// handler sets a WWW-Authenticate header of its own before writing.
// [FailureFromContext] reports [ErrNoCredentials] to it. It excludes
// [WithUnauthorizedBody].
//
// Default: none; the middleware writes the unauthorized status and body.
func WithUnauthorizedHandler(h http.Handler) Option {
	return func(c *config) error {
		if isNil(h) {
			return errors.New("WithUnauthorizedHandler: nil handler")
		}
		c.unauthorized.handler = h
		return nil
	}
}

// WithUnauthorizedStatus sets the status of the response to a request that
// carries no Negotiate credentials. It must be within 400 to 599. Only 401
// makes browsers answer the challenge.
//
// Default: 401 Unauthorized.
func WithUnauthorizedStatus(status int) Option {
	return func(c *config) error {
		if err := checkStatus(status); err != nil {
			return fmt.Errorf("WithUnauthorizedStatus: %w", err)
		}
		c.unauthorized.status = status
		return nil
	}
}

// WithForbiddenBody sets the text body of the response to a request whose
// token failed or that an authorization rule refused. The status and
// headers stay ("Content-Type: text/plain; charset=utf-8"). It excludes
// [WithForbiddenHandler].
//
// Default: "Forbidden\n".
func WithForbiddenBody(body string) Option {
	return func(c *config) error {
		c.forbidden.body, c.forbidden.bodySet = body, true
		return nil
	}
}

// WithForbiddenHandler sets the handler that answers a request whose token
// failed or that an authorization rule refused, in place of the text
// response. [FailureFromContext] gives it the reason. It must not send the
// error's text to the client. It excludes [WithForbiddenBody].
//
// Default: none; the middleware writes the forbidden status and body.
func WithForbiddenHandler(h http.Handler) Option {
	return func(c *config) error {
		if isNil(h) {
			return errors.New("WithForbiddenHandler: nil handler")
		}
		c.forbidden.handler = h
		return nil
	}
}

// WithForbiddenStatus sets the status of the response to a request whose
// token failed or that an authorization rule refused. It must be within 400
// to 599. When it is 401, the response also carries "WWW-Authenticate:
// Negotiate", as RFC 9110 requires of a 401.
//
// Default: 403 Forbidden.
func WithForbiddenStatus(status int) Option {
	return func(c *config) error {
		if err := checkStatus(status); err != nil {
			return fmt.Errorf("WithForbiddenStatus: %w", err)
		}
		c.forbidden.status = status
		return nil
	}
}

// WithMaxTokenSize caps the length of a token, in base64 characters. A longer
// token fails with [ErrTokenTooLarge] before it is decoded. It must be
// positive.
//
// Default: [DefaultMaxTokenSize], 64 KiB.
func WithMaxTokenSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxTokenSize: %d is not positive", n)
		}
		c.maxTokenSize = n
		return nil
	}
}

// WithLogger sets the logger. The middleware logs a server fault at Error, a
// failed token or a refused principal at Info, and a request without
// credentials or that authenticated at Debug. It logs the reason, the
// principal and the acceptor's error, never the token. [New] logs the
// acceptor's start-up warnings, if it has any, at Warn.
//
// Default: [slog.Default], as it is when New runs.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if isNil(l) {
			return errors.New("WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithOutcomeHook sets a function called exactly once per request with the
// request and its [Outcome], for metrics and traces; each handler of a
// chain reports the requests it sees (see Outcome.Inherited). It runs on
// the request's goroutine, before the next handler or the failure
// response, so it must be quick and safe for concurrent use.
//
// The request is the one the middleware received: its context is the
// incoming one, so the span a tracing middleware in front started is in it
// (trace.SpanFromContext in OpenTelemetry), and r.Pattern names the route
// when the middleware wraps a handler of an [http.ServeMux]. Its context
// holds no Auth from this handler (the earlier one's, for an inherited
// outcome): the Outcome says who authenticated. The hook must not modify r
// nor keep it after it returns. The examples module of
// the repository (examples/) has a Prometheus and an OpenTelemetry hook.
//
// Default: none.
func WithOutcomeHook(hook func(r *http.Request, o Outcome)) Option {
	return func(c *config) error {
		if isNil(hook) {
			return errors.New("WithOutcomeHook: nil function")
		}
		c.hook = hook
		return nil
	}
}

func checkStatus(status int) error {
	if status < 400 || status > 599 {
		return fmt.Errorf("status %d is not within 400 to 599", status)
	}
	return nil
}

// isNil reports whether v is nil or an interface holding a nil pointer, map,
// function and the like, which would fail at the first request.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
