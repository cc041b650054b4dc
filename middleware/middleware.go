package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/negotiate-go/negotiate"
)

// Acceptor accepts one Negotiate token. *gss.Acceptor satisfies it.
//
// Accept returns a nil error only for a complete security context that names
// the client's principal; a context that needs another round trip is
// reported as [negotiate.ErrIncomplete]. Its errors wrap the negotiate
// sentinels, which decide between a client's failure (403) and a server
// fault (500); one that wraps none counts as a server fault. Whoever
// receives a non-nil Result.Delegated owns it; the middleware releases it.
// Accept must be safe for concurrent use.
type Acceptor interface {
	Accept(token []byte) (negotiate.Result, error)
}

// Middleware authenticates requests with HTTP Negotiate. Build one with
// [New] and put it in front of handlers with [Middleware.Wrap],
// [Middleware.Require] or [Middleware.Optional]. It holds no
// per-request state, so one Middleware may wrap any number of handlers
// serving concurrent requests. With [WithDelegationDir] it runs a sweeper
// that [Middleware.Close] stops.
type Middleware struct {
	acc   Acceptor
	cfg   config
	store *store    // nil without WithDelegationDir
	sess  *sessions // nil without WithSessions
	authz bool      // some authorization rule is set
}

// New returns a Middleware that authenticates with acc. It rejects
// configurations that cannot work: a nil acceptor, a nil option or function,
// a status outside 400 to 599, a body and a handler set for the same
// response, a token cap or sweep interval that is not positive, a ccache
// policy or sweep interval without a delegation directory, a session option
// without [WithSessions], sessions with [WithDelegationRequired] but no
// [PerPrincipal] delegation directory, and a delegation directory that is
// missing, not a directory, owned by a user other than the process's
// effective user and root, writable by group or others, or not writable by
// the process. With a delegation directory it starts the sweeper, which
// [Middleware.Close] stops. With sessions and no [WithSessionKeys], it makes
// a random key for the process, and says so in the log at Info.
//
// When acc has start-up warnings, a method Warnings() []string as
// *gss.Acceptor has (a realm whose users map to no local name, say), New
// logs each once, at Warn, when it succeeds.
func New(acc Acceptor, opts ...Option) (*Middleware, error) {
	if isNil(acc) {
		return nil, errors.New("middleware: nil Acceptor")
	}
	cfg := defaultConfig()
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("middleware: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return nil, fmt.Errorf("middleware: %w", err)
		}
	}
	if cfg.unauthorized.bodySet && cfg.unauthorized.handler != nil {
		return nil, errors.New("middleware: WithUnauthorizedBody and WithUnauthorizedHandler both set")
	}
	if cfg.forbidden.bodySet && cfg.forbidden.handler != nil {
		return nil, errors.New("middleware: WithForbiddenBody and WithForbiddenHandler both set")
	}
	m := &Middleware{acc: acc, cfg: cfg, authz: cfg.authz.set()}
	if cfg.sess.on && cfg.delegationRequired && (cfg.delegationDir == "" || cfg.ccachePolicy != PerPrincipal) {
		// A session request has no delegated credential; only a
		// per-principal file can stand in for it.
		return nil, errors.New("middleware: WithSessions with WithDelegationRequired needs WithDelegationDir and the PerPrincipal policy")
	}
	sess, err := newSessions(&cfg)
	if err != nil {
		return nil, fmt.Errorf("middleware: %w", err)
	}
	m.sess = sess
	switch {
	case cfg.delegationDir != "":
		// Last, as it writes to the directory.
		dir, err := checkDelegationDir(cfg.delegationDir)
		if err != nil {
			return nil, fmt.Errorf("middleware: WithDelegationDir: %w", err)
		}
		m.store = &store{dir: dir, policy: cfg.ccachePolicy, log: cfg.logger}
	case cfg.policySet:
		return nil, errors.New("middleware: WithCCachePolicy without WithDelegationDir")
	case cfg.sweepSet:
		return nil, errors.New("middleware: WithSweepInterval without WithDelegationDir")
	}
	m.logWarnings()
	if m.store != nil {
		m.startSweeper(cfg.sweepInterval)
	}
	return m, nil
}

// logWarnings logs at Warn each start-up warning of an acceptor that has
// them, as *gss.Acceptor does, naming the acceptor when it describes
// itself.
func (m *Middleware) logWarnings() {
	w, ok := m.acc.(interface{ Warnings() []string })
	if !ok {
		return
	}
	for _, s := range w.Warnings() {
		attrs := []slog.Attr{slog.String("warning", s)}
		if d, ok := m.acc.(fmt.Stringer); ok {
			attrs = append(attrs, slog.String("acceptor", d.String()))
		}
		m.cfg.logger.LogAttrs(context.Background(), slog.LevelWarn, "negotiate: acceptor warning", attrs...)
	}
}

// Wrap returns a handler that authenticates each request and then, as the
// package documentation's table says, calls next or answers itself;
// [WithAuthRequired] decides whether a request must authenticate. The
// method value m.Wrap has the usual middleware shape,
// func(http.Handler) http.Handler. Wrap panics if next is nil.
//
// A request that a handler of this package, of any Middleware, already
// dealt with earlier in the chain is not authenticated again: see the
// package documentation, Several middlewares in one chain.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return m.wrap("Wrap", next, nil)
}

// Require is [Middleware.Wrap] with authentication required for every
// request to next, whatever [WithAuthRequired] says: a request without
// credentials gets the unauthorized response, one that fails or is refused
// the forbidden response. With [Middleware.Optional] it lets one Middleware
// set the policy per route, the method values m.Require and m.Optional
// being middlewares of the usual shape, func(http.Handler) http.Handler:
//
//	mux.Handle("/", mw.Optional(home))
//	mux.Handle("/login", mw.Require(login))
//
// Require panics if next is nil.
func (m *Middleware) Require(next http.Handler) http.Handler {
	return m.wrap("Require", next, always)
}

// Optional is [Middleware.Wrap] with authentication optional for every
// request to next, whatever [WithAuthRequired] says: next runs for every
// request that is no server fault, with the principal when one
// authenticated and was let in, else anonymous, [FailureFromContext]
// telling why when a token failed or a rule refused. Browsers send a token
// only when challenged, which an optional route never does: see the
// package documentation, Browsers and optional routes. Optional panics if
// next is nil.
func (m *Middleware) Optional(next http.Handler) http.Handler {
	return m.wrap("Optional", next, never)
}

func always(*http.Request) bool { return true }
func never(*http.Request) bool  { return false }

// wrap returns next behind m, with required deciding whether a request
// must authenticate, or WithAuthRequired's function when it is nil.
func (m *Middleware) wrap(method string, next http.Handler, required func(*http.Request) bool) http.Handler {
	if next == nil {
		panic("middleware: " + method + " of a nil handler")
	}
	if required == nil {
		required = m.cfg.required
	}
	return &handler{m: m, next: next, required: required}
}

// handler is one wrapped handler. Like Middleware, it is never written to
// after Wrap.
type handler struct {
	m        *Middleware
	next     http.Handler
	required func(*http.Request) bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if prior := earlier(r); prior != nil {
		h.serveInherited(w, r, prior)
		return
	}
	m := h.m
	start := time.Now()
	ctx, res, at := m.authenticate(r, start)

	// The ccache: the delegated credential's, or a session's.
	if at.err == nil {
		if res.Delegated != nil {
			// Deferred first, so it runs even if the hook or next panics.
			defer m.release(r, res.Delegated)
		}
		if !at.session {
			var path string
			path, at = m.storeDelegated(&ctx.auth, res.Delegated, at)
			if path != "" && m.store.policy == PerRequest {
				defer m.store.discard(r, path)
			}
		} else if m.store != nil {
			ctx.auth.CCache = m.store.sessionCCache(&ctx.auth)
		}
	}

	// The response's headers, set before next runs, so that they go out
	// with its first WriteHeader, Write, Flush or ResponseController call
	// without wrapping w.
	switch {
	case at.err != nil: // refused: none
	case at.session:
		at = m.admitSession(w, r, ctx, at)
	default:
		if len(res.OutputToken) > 0 {
			ctx.challenge[0] = negotiateHeader(res.OutputToken)
			w.Header()["Www-Authenticate"] = ctx.challenge[:]
		}
		if m.sess != nil {
			m.sess.issue(w, r, &ctx.auth, res.Expiry, start)
		}
	}

	if at.err == nil {
		h.pass(w, r, ctx, at)
		return
	}
	h.refuse(w, r, at)
}

// attempt is what authenticating one request found, as the request path
// passes it on to the outcome, the log and, when err is set, refuse.
type attempt struct {
	err         error         // why the request is refused; nil while it is let in
	principal   string        // whom the acceptor or the session cookie named, if anyone
	elapsed     time.Duration // the time spent authenticating: Outcome.Duration
	session     bool          // the request came with a session cookie that opened
	storeFailed bool          // err is why the delegated credential could not be stored
	inherited   bool          // an earlier handler authenticated the request, or failed it
	logged      bool          // err is the earlier handler's, which logged it
}

// authenticate finds who sent r: the principal of its Negotiate token or,
// when it carries none, of its session cookie. It returns the context of a
// request that authenticated, with the acceptor's Result, and the attempt,
// whose error says why the request is refused: no credentials, a failed
// token or an authorization rule. A refused request's delegated credential
// is released.
func (m *Middleware) authenticate(r *http.Request, start time.Time) (*authContext, negotiate.Result, attempt) {
	tok, err := parseAuthorization(r.Header.Values("Authorization"), m.cfg.maxTokenSize)
	var res negotiate.Result
	var ctx *authContext
	switch {
	case err == nil:
		res, err = m.acc.Accept(tok)
		if err == nil && res.Principal == "" {
			err = ErrNoPrincipal // fail closed
		}
		if res.Delegated != nil && isNil(res.Delegated) {
			// A typed nil pointer is no credential: it would pass
			// WithDelegationRequired and then fail, or panic, in Store.
			res.Delegated = nil
		}
		if err == nil {
			ctx = &authContext{Context: r.Context(), auth: authOf(&res), by: m}
		}
	case errors.Is(err, ErrNoCredentials) && m.sess != nil:
		// No token: a session cookie that opens stands in for one.
		if ctx = m.sess.authContext(r, start); ctx != nil {
			ctx.by, err = m, nil
		}
	}
	at := attempt{err: err, principal: res.Principal, elapsed: time.Since(start)}
	if ctx != nil {
		at.principal, at.session = ctx.auth.Principal, ctx.auth.FromSession
		if m.authz {
			// Before the credential is stored or a session issued: a
			// refused principal leaves nothing behind.
			at.err = m.cfg.authz.authorize(&ctx.auth)
		}
	}
	if at.err != nil {
		// Nobody gets a refused request's credential.
		m.release(r, res.Delegated)
	}
	return ctx, res, at
}
