package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/negotiate-go/negotiate"
)

// Acceptor accepts one Negotiate token. *gss.Acceptor satisfies it.
//
// Accept returns a nil error only for a complete security context that names
// the client's principal; a context that needs another round trip is
// reported as [negotiate.ErrIncomplete]. Its errors wrap the negotiate
// sentinels, which decide between a refusal and a server fault. Whoever
// receives a non-nil Result.Delegated owns it; the middleware releases it.
// Accept must be safe for concurrent use.
type Acceptor interface {
	Accept(token []byte) (negotiate.Result, error)
}

// Middleware authenticates requests with HTTP Negotiate. Build one with
// [New] and put it in front of handlers with [Middleware.Wrap]. It holds no
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
	if cfg.delegationDir == "" {
		if cfg.policySet {
			return nil, errors.New("middleware: WithCCachePolicy without WithDelegationDir")
		}
		if cfg.sweepSet {
			return nil, errors.New("middleware: WithSweepInterval without WithDelegationDir")
		}
		return m, nil
	}
	// Last, as it writes to the directory.
	dir, err := checkDelegationDir(cfg.delegationDir)
	if err != nil {
		return nil, fmt.Errorf("middleware: WithDelegationDir: %w", err)
	}
	m.store = &store{dir: dir, policy: cfg.ccachePolicy, log: cfg.logger}
	m.startSweeper(cfg.sweepInterval)
	return m, nil
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

// Wrap returns a handler that authenticates each request and then, as the
// package documentation's table says, calls next or answers itself. The
// method value m.Wrap has the usual middleware shape,
// func(http.Handler) http.Handler. Wrap panics if next is nil.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	if next == nil {
		panic("middleware: Wrap of a nil handler")
	}
	return &handler{m: m, next: next}
}

// handler is one wrapped handler. Like Middleware, it is never written to
// after Wrap.
type handler struct {
	m    *Middleware
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.m
	start := time.Now()
	var res negotiate.Result
	tok, err := parseAuthorization(r.Header.Values("Authorization"), m.cfg.maxTokenSize)
	if errors.Is(err, ErrNoCredentials) && m.sess != nil && m.serveSession(w, r, h.next, start) {
		return
	}
	if err == nil {
		res, err = m.acc.Accept(tok)
		if err == nil && res.Principal == "" {
			err = ErrNoPrincipal // fail closed
		}
		if res.Delegated != nil && isNil(res.Delegated) {
			// A typed nil pointer is no credential: it would pass
			// WithDelegationRequired and then fail, or panic, in Store.
			res.Delegated = nil
		}
	}
	elapsed := time.Since(start)
	if err != nil {
		// Nobody gets a failed request's credential.
		m.release(r, res.Delegated)
		m.refuse(w, r, h.next, err, res.Principal, elapsed, false)
		return
	}

	ctx := &authContext{
		Context: r.Context(),
		auth: Auth{
			Principal:   res.Principal,
			LocalName:   res.LocalName,
			OutputToken: res.OutputToken,
			Mech:        res.Mech,
			Flags:       res.Flags,
			Expiry:      res.Expiry,
			Delegated:   res.Delegated,
		},
	}
	if m.authz {
		// Before the credential is stored or a session issued: a refused
		// principal leaves nothing behind.
		if err := m.cfg.authz.authorize(&ctx.auth); err != nil {
			m.release(r, res.Delegated)
			m.refuse(w, r, h.next, err, res.Principal, elapsed, false)
			return
		}
	}
	if res.Delegated != nil {
		// Deferred first, so it runs even if the hook or next panics.
		defer m.release(r, res.Delegated)
	} else if m.cfg.delegationRequired {
		m.refuse(w, r, h.next, ErrNoDelegation, res.Principal, elapsed, false)
		return
	}
	if res.Delegated != nil && m.store != nil {
		path, err := m.store.save(res.Principal, res.Delegated)
		if err != nil {
			m.storeFailed(w, r, res.Principal, err, elapsed)
			return
		}
		if m.store.policy == PerRequest {
			defer m.store.discard(r, path)
		}
		ctx.auth.CCache = "FILE:" + path
	}
	if len(res.OutputToken) > 0 {
		// Set before next runs, so the header goes out with the first
		// WriteHeader, Write, Flush or ResponseController call without
		// wrapping w.
		ctx.challenge[0] = negotiateHeader(res.OutputToken)
		w.Header()["Www-Authenticate"] = ctx.challenge[:]
	}
	if m.sess != nil {
		m.sess.issue(w, r, &ctx.auth, res.Expiry, start)
	}
	if log := m.cfg.logger; log.Enabled(r.Context(), slog.LevelDebug) {
		log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: authenticated",
			slog.String("principal", res.Principal),
			slog.String("mech", res.Mech),
			slog.String("remote_addr", r.RemoteAddr))
	}
	m.report(Outcome{Principal: res.Principal, Duration: elapsed})
	h.next.ServeHTTP(w, r.WithContext(ctx))
}

// serveSession serves r, which carries no Negotiate token, with the session
// of its cookie: it lets it in, or refuses it by an authorization rule. It
// reports false, having written nothing, when r has no cookie that opens,
// or one that cannot serve under WithDelegationRequired: r then goes on as
// a request without credentials, so that the client negotiates.
func (m *Middleware) serveSession(w http.ResponseWriter, r *http.Request, next http.Handler, start time.Time) bool {
	sess, ok := m.sess.fromRequest(r, start)
	if !ok {
		return false
	}
	ctx := &authContext{
		Context: r.Context(),
		auth: Auth{
			Principal:   sess.principal,
			LocalName:   sess.localName,
			Mech:        sess.mech,
			Flags:       sess.flags,
			FromSession: true,
			Expiry:      time.Unix(sess.expiry, 0),
		},
	}
	elapsed := time.Since(start)
	if m.authz {
		if err := m.cfg.authz.authorize(&ctx.auth); err != nil {
			m.refuse(w, r, next, err, sess.principal, elapsed, true)
			return true
		}
	}
	if m.store != nil {
		ctx.auth.CCache = m.store.sessionCCache(&sess)
	}
	if m.cfg.delegationRequired && ctx.auth.CCache == "" {
		m.sess.ignored(r, "no_delegated_credential")
		return false
	}
	// Unlike an Authorization header, a cookie does not keep shared caches
	// from storing the response (RFC 9111 section 3.5). The handler may
	// set a Cache-Control of its own.
	ctx.challenge[0] = "private"
	w.Header()["Cache-Control"] = ctx.challenge[:]
	if log := m.cfg.logger; log.Enabled(r.Context(), slog.LevelDebug) {
		log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: authenticated by session cookie",
			slog.String("principal", sess.principal),
			slog.String("remote_addr", r.RemoteAddr))
	}
	m.report(Outcome{Principal: sess.principal, Duration: elapsed, Session: true})
	next.ServeHTTP(w, r.WithContext(ctx))
	return true
}

// refuse handles a request that did not authenticate, or that an
// authorization rule refused: a server fault, an optional route, a request
// without credentials, a failed token or a refused principal. session
// reports that the request came with a session cookie that opened.
func (m *Middleware) refuse(w http.ResponseWriter, r *http.Request, next http.Handler, err error, principal string, elapsed time.Duration, session bool) {
	noCreds := errors.Is(err, ErrNoCredentials)
	switch {
	case isServerFault(err):
		m.logFailure(r, slog.LevelError, "negotiate: server fault", err, principal)
		m.report(Outcome{Reason: Reason(err), Duration: elapsed, Status: http.StatusInternalServerError})
		writeText(w, http.StatusInternalServerError, "Internal Server Error\n", false)
		return
	case noCreds:
		m.logFailure(r, slog.LevelDebug, "negotiate: no credentials", err, "")
	case errors.Is(err, ErrNTLMOffered):
		m.logFailure(r, slog.LevelInfo, "negotiate: NTLM offered", err, "")
	case errors.Is(err, ErrNoDelegation):
		m.logFailure(r, slog.LevelInfo, "negotiate: no delegated credential", err, principal)
	case isAuthzErr(err):
		m.logFailure(r, slog.LevelInfo, "negotiate: not authorized", err, principal)
	default:
		m.logFailure(r, slog.LevelInfo, "negotiate: authentication failed", err, principal)
	}

	if !m.cfg.required(r) {
		m.report(Outcome{Reason: Reason(err), Duration: elapsed, Session: session})
		if !noCreds {
			r = r.WithContext(NewContext(r.Context(), &Auth{Err: err}))
		}
		next.ServeHTTP(w, r)
		return
	}
	resp, challenge := m.cfg.forbidden, m.cfg.forbidden.status == http.StatusUnauthorized
	if noCreds {
		resp, challenge = m.cfg.unauthorized, true
	}
	m.report(Outcome{Reason: Reason(err), Duration: elapsed, Status: resp.status, Session: session})
	respond(w, r, resp, err, challenge)
}

// storeFailed answers 500 to a request whose delegated credential could not
// be stored, and logs why at Error. The caller releases the credential.
func (m *Middleware) storeFailed(w http.ResponseWriter, r *http.Request, principal string, cause error, elapsed time.Duration) {
	err := fmt.Errorf("%w in %s: %w", ErrCCacheStore, m.store.dir, cause)
	if log := m.cfg.logger; log.Enabled(r.Context(), slog.LevelError) {
		log.LogAttrs(r.Context(), slog.LevelError, "negotiate: storing the delegated credential failed",
			slog.String("reason", Reason(err)),
			slog.String("error", err.Error()),
			slog.String("principal", principal),
			slog.String("delegation_dir", m.store.dir),
			slog.String("remote_addr", r.RemoteAddr))
	}
	m.report(Outcome{Reason: Reason(err), Duration: elapsed, Status: http.StatusInternalServerError})
	writeText(w, http.StatusInternalServerError, "Internal Server Error\n", false)
}

// logFailure logs a request that did not authenticate. It never logs the
// token: only the reason, the acceptor's error text, the principal the
// acceptor named if any, and a hint for the operator.
func (m *Middleware) logFailure(r *http.Request, level slog.Level, msg string, err error, principal string) {
	ctx := r.Context()
	log := m.cfg.logger
	if !log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 5)
	attrs = append(attrs, slog.String("reason", Reason(err)), slog.String("error", err.Error()))
	if principal != "" {
		attrs = append(attrs, slog.String("principal", principal))
	}
	if h := hint(err); h != "" {
		attrs = append(attrs, slog.String("hint", h))
	}
	attrs = append(attrs, slog.String("remote_addr", r.RemoteAddr))
	log.LogAttrs(ctx, level, msg, attrs...)
}

// release releases a delegated credential, if any, and logs a failure to.
func (m *Middleware) release(r *http.Request, c negotiate.Credential) {
	if c == nil {
		return
	}
	if err := c.Release(); err != nil {
		m.cfg.logger.LogAttrs(r.Context(), slog.LevelWarn, "negotiate: releasing the delegated credential failed",
			slog.String("error", err.Error()))
	}
}

func (m *Middleware) report(o Outcome) {
	if m.cfg.hook != nil {
		m.cfg.hook(o)
	}
}
