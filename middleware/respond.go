package middleware

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// pass lets in a request that authenticated and that the authorization
// rules let in: it logs it, reports it, and runs next with ctx, or, for a
// request an earlier handler let in, with the request as it is.
func (h *handler) pass(w http.ResponseWriter, r *http.Request, ctx *authContext, at attempt) {
	m := h.m
	if log := m.cfg.logger; log.Enabled(r.Context(), slog.LevelDebug) {
		switch {
		case at.inherited:
			log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: authenticated by an earlier handler",
				slog.String("principal", at.principal),
				slog.String("remote_addr", r.RemoteAddr))
		case at.session:
			log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: authenticated by session cookie",
				slog.String("principal", at.principal),
				slog.String("remote_addr", r.RemoteAddr))
		default:
			// delegation=forwarded or proxy when the request has a
			// credential.
			attrs := make([]slog.Attr, 0, 4)
			attrs = append(attrs, slog.String("principal", at.principal), slog.String("mech", ctx.auth.Mech))
			if kind := ctx.auth.DelegationKind; kind != "" {
				attrs = append(attrs, slog.String("delegation", kind))
			}
			attrs = append(attrs, slog.String("remote_addr", r.RemoteAddr))
			log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: authenticated", attrs...)
		}
	}
	m.report(r, at, Outcome{Principal: at.principal})
	if at.inherited {
		h.next.ServeHTTP(w, r)
		return
	}
	h.next.ServeHTTP(w, r.WithContext(ctx))
}

// refuse answers a request that did not authenticate, or that an
// authorization rule refused, at.err saying why: a server fault (500), an
// optional route (next runs anonymous), a request without credentials (the
// unauthorized response), a failed token or a refused principal (the
// forbidden response). It logs why, unless an earlier handler did.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, at attempt) {
	m, err := h.m, at.err
	fault, noCreds := isServerFault(err), errors.Is(err, ErrNoCredentials)
	switch {
	case at.logged:
	case at.storeFailed:
		m.logStoreFailed(r, at)
	case fault:
		m.logFailure(r, slog.LevelError, "negotiate: server fault", err, at.principal)
	case noCreds:
		m.logFailure(r, slog.LevelDebug, "negotiate: no credentials", err, "")
	case errors.Is(err, ErrNTLMOffered):
		m.logFailure(r, slog.LevelInfo, "negotiate: NTLM offered", err, "")
	case errors.Is(err, ErrNoDelegation):
		m.logFailure(r, slog.LevelInfo, "negotiate: no delegated credential", err, at.principal)
	case isAuthzErr(err):
		m.logFailure(r, slog.LevelInfo, "negotiate: not authorized", err, at.principal)
	default:
		m.logFailure(r, slog.LevelInfo, "negotiate: authentication failed", err, at.principal)
	}

	switch {
	case fault: // a failure to store the credential is one
		at.session = false
		m.report(r, at, Outcome{Reason: Reason(err), Status: http.StatusInternalServerError})
		writeText(w, http.StatusInternalServerError, "Internal Server Error\n", false)
	case !h.required(r):
		m.report(r, at, Outcome{Reason: Reason(err)})
		switch {
		case at.logged: // the earlier handler's failure, in the context already
		case !noCreds:
			// Recorded for the handlers after this one too.
			r = r.WithContext(&authContext{Context: r.Context(), auth: Auth{Err: err}, by: m})
		case at.inherited:
			// An earlier handler's Auth that this one cannot use: hide it.
			r = r.WithContext(noAuthContext{r.Context()})
		}
		h.next.ServeHTTP(w, r)
	default:
		resp, challenge := m.cfg.forbidden, m.cfg.forbidden.status == http.StatusUnauthorized
		if noCreds {
			resp, challenge = m.cfg.unauthorized, true
		}
		m.report(r, at, Outcome{Reason: Reason(err), Status: resp.status})
		respond(w, r, resp, err, challenge)
	}
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

// logStoreFailed logs at Error why a request's delegated credential could
// not be stored, with the directory.
func (m *Middleware) logStoreFailed(r *http.Request, at attempt) {
	if log := m.cfg.logger; log.Enabled(r.Context(), slog.LevelError) {
		log.LogAttrs(r.Context(), slog.LevelError, "negotiate: storing the delegated credential failed",
			slog.String("reason", Reason(at.err)),
			slog.String("error", at.err.Error()),
			slog.String("principal", at.principal),
			slog.String("delegation_dir", m.store.dir),
			slog.String("remote_addr", r.RemoteAddr))
	}
}

// report gives the outcome hook, if any, the request and its outcome, o
// completed from at.
func (m *Middleware) report(r *http.Request, at attempt, o Outcome) {
	if m.cfg.hook != nil {
		o.Duration, o.Session, o.Inherited = at.elapsed, at.session, at.inherited
		m.cfg.hook(r, o)
	}
}

// respond answers a refused request with resp: its handler, which reads err
// with FailureFromContext, or its status and text body. With challenge set,
// the response carries "WWW-Authenticate: Negotiate", unless a handler sets
// its own WWW-Authenticate.
func respond(w http.ResponseWriter, r *http.Request, resp response, err error, challenge bool) {
	if resp.handler == nil {
		writeText(w, resp.status, resp.body, challenge)
		return
	}
	r = r.WithContext(NewContext(r.Context(), &Auth{Err: err}))
	if !challenge {
		resp.handler.ServeHTTP(w, r)
		return
	}
	cw := &challengeWriter{ResponseWriter: w}
	resp.handler.ServeHTTP(cw, r)
	cw.challenge() // the handler may have written nothing
}

// writeText writes a plain text response, as http.Error does but with the
// body verbatim.
func writeText(w http.ResponseWriter, status int, body string, challenge bool) {
	h := w.Header()
	if challenge {
		h.Set("Www-Authenticate", scheme)
	}
	h.Del("Content-Length")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// challengeWriter adds "WWW-Authenticate: Negotiate" to a custom handler's
// response when the header is about to be sent, unless the handler set a
// WWW-Authenticate of its own by then. It wraps w only on that path: a
// request that authenticated gets the writer unwrapped.
type challengeWriter struct {
	http.ResponseWriter
	done bool
}

func (c *challengeWriter) challenge() {
	if c.done {
		return
	}
	c.done = true
	h := c.ResponseWriter.Header()
	if _, ok := h["Www-Authenticate"]; !ok {
		h.Set("Www-Authenticate", scheme)
	}
}

func (c *challengeWriter) WriteHeader(code int) {
	if code >= 200 { // an informational status does not send the final header
		c.challenge()
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *challengeWriter) Write(p []byte) (int, error) {
	c.challenge()
	return c.ResponseWriter.Write(p)
}

// Flush and FlushError send the header too, so that neither an
// http.Flusher nor an http.ResponseController bypasses the challenge.
func (c *challengeWriter) Flush() { c.FlushError() }

func (c *challengeWriter) FlushError() error {
	c.challenge()
	return http.NewResponseController(c.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the other methods of the
// underlying writer: Hijack, SetReadDeadline, EnableFullDuplex, ...
func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
