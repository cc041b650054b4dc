package middleware

import (
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/negotiate-go/negotiate"
)

// maxSessionTries caps the cookies of the configured name that one request
// may make the middleware try to open.
const maxSessionTries = 4

// sessions is the request side of sessions: it finds the session cookie of
// a request, issues one on a response, and ends one. It is built by New and
// never written to afterwards.
type sessions struct {
	codec   sessionCodec
	name    string
	prefix  string // name + "="
	path    string
	domain  string
	secure  bool
	expired string // the Set-Cookie value that ends a session
	log     *slog.Logger
	groups  map[string]struct{} // WithAllowedGroups's: the group SIDs a cookie keeps
}

// fromRequest returns the session of the first cookie of the configured
// name, among the first few, that opens and is current at now. It logs each
// ignored cookie at Debug, with why, never the cookie.
func (s *sessions) fromRequest(r *http.Request, now time.Time) (session, bool) {
	tries := 0
	for _, line := range r.Header["Cookie"] {
		for line != "" && tries < maxSessionTries {
			var part string
			part, line, _ = strings.Cut(line, ";")
			v, ok := strings.CutPrefix(textproto.TrimString(part), s.prefix)
			if !ok {
				continue
			}
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1] // RFC 6265 allows a quoted value
			}
			tries++
			sess, why := s.codec.open(v, now)
			if why == "" {
				return sess, true
			}
			s.ignored(r, why)
		}
	}
	return session{}, false
}

// authContext returns the context of a request that authenticates by its
// session cookie at now, or nil when no cookie of r opens. Its Auth has only
// what the cookie carries.
func (s *sessions) authContext(r *http.Request, now time.Time) *authContext {
	sess, ok := s.fromRequest(r, now)
	if !ok {
		return nil
	}
	ctx := &authContext{
		Context: r.Context(),
		auth: Auth{
			Principal:      sess.principal,
			LocalName:      sess.localName,
			Mech:           sess.mech,
			Flags:          sess.flags,
			AuthIndicators: sess.indicators,
			FromSession:    true,
			Expiry:         time.Unix(sess.expiry, 0),
		},
	}
	if sess.pac {
		ctx.auth.PAC = &negotiate.PAC{UserSID: sess.userSID, UPN: sess.upn, GroupSIDs: sess.groups}
	}
	return ctx
}

// admitSession finishes a session request that is let in: it makes the
// response private. Under WithDelegationRequired, a session without a
// ccache cannot serve: admitSession then returns the attempt of a request
// without credentials, so that the client negotiates, and delegates,
// again.
func (m *Middleware) admitSession(w http.ResponseWriter, r *http.Request, ctx *authContext, at attempt) attempt {
	if m.cfg.delegationRequired && ctx.auth.CCache == "" {
		m.sess.ignored(r, "no_delegated_credential")
		return attempt{err: ErrNoCredentials, elapsed: at.elapsed}
	}
	// Unlike an Authorization header, a cookie does not keep shared caches
	// from storing the response (RFC 9111 section 3.5). The handler may
	// set a Cache-Control of its own.
	ctx.challenge[0] = "private"
	w.Header()["Cache-Control"] = ctx.challenge[:]
	return at
}

func (s *sessions) ignored(r *http.Request, why string) {
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: session cookie ignored",
			slog.String("session", why),
			slog.String("remote_addr", r.RemoteAddr))
	}
}

// issue sets a session cookie for a, which authenticated with a Negotiate
// token at now, on the response. The session ends at the earlier of the
// maximum age and the context's end ctxEnd, if ctxEnd is not zero, rounded
// down to the second; none is issued when that leaves
// less than a second.
func (s *sessions) issue(w http.ResponseWriter, r *http.Request, a *Auth, ctxEnd, now time.Time) {
	end := now.Add(s.codec.maxAge)
	if !ctxEnd.IsZero() {
		if ctxEnd.Before(end) {
			end = ctxEnd
		}
	}
	maxAge := int64(end.Sub(now) / time.Second)
	if maxAge < 1 {
		s.notIssued(r, a.Principal, "the ticket ends within a second")
		return
	}
	// now.Unix() <= now, so the expiry is never after end.
	sess := session{
		issued:     now.Unix(),
		expiry:     now.Unix() + maxAge,
		flags:      a.Flags,
		principal:  a.Principal,
		localName:  a.LocalName,
		mech:       a.Mech,
		indicators: a.AuthIndicators,
	}
	if a.PAC != nil {
		// Only the groups that authorization asks for: a user may be in
		// hundreds, of some 45 bytes each.
		sess.pac, sess.userSID, sess.upn = true, a.PAC.UserSID, a.PAC.UPN
		for _, g := range a.PAC.GroupSIDs {
			if _, ok := s.groups[g]; ok {
				sess.groups = append(sess.groups, g)
			}
		}
	}
	v := s.codec.seal(&sess)
	if len(v) > maxSessionValueLen {
		s.notIssued(r, a.Principal, "the cookie would be too long")
		return
	}
	w.Header().Add("Set-Cookie", s.cookie(v, time.Unix(sess.expiry, 0), int(maxAge)))
}

func (s *sessions) notIssued(r *http.Request, principal, why string) {
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: no session cookie issued",
			slog.String("why", why),
			slog.String("principal", principal),
			slog.String("remote_addr", r.RemoteAddr))
	}
}

// cookie returns a Set-Cookie value for the session cookie. A negative
// maxAge deletes it ("Max-Age=0").
func (s *sessions) cookie(value string, expires time.Time, maxAge int) string {
	c := &http.Cookie{
		Name:     s.name,
		Value:    value,
		Path:     s.path,
		Domain:   s.domain,
		Expires:  expires,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
	return c.String()
}

// EndSession ends the client's session (log out): it adds to w's header a
// Set-Cookie that expires the session cookie at once, and drops a session
// cookie the middleware set on this response. It must be called before the
// handler writes the header. It does nothing when sessions are off.
//
// The request that calls it still counts as authenticated, and the cookie
// itself stays valid until it expires: a client that kept a copy can use
// it. To invalidate every session at once, drop the key that sealed them
// from [WithSessionKeys]. A browser that goes on to a route that requires
// authentication negotiates again, at once and silently when it holds a
// Kerberos ticket.
func (m *Middleware) EndSession(w http.ResponseWriter) {
	s := m.sess
	if s == nil {
		return
	}
	h := w.Header()
	if old := h["Set-Cookie"]; len(old) > 0 {
		kept := make([]string, 0, len(old)+1)
		for _, v := range old {
			if !strings.HasPrefix(v, s.prefix) {
				kept = append(kept, v)
			}
		}
		h["Set-Cookie"] = kept
	}
	h.Add("Set-Cookie", s.expired)
}
