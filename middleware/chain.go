package middleware

import "net/http"

// earlier returns the record of the handler of this package, of any
// Middleware, that dealt with r earlier in the handler chain: the context
// it passed on, with the Auth it found. It returns nil when there is none,
// and for a request that handler passed on without credentials, which it
// records nothing of.
func earlier(r *http.Request) *authContext {
	c, _ := r.Context().Value(doneKey{}).(*authContext)
	return c
}

// serveInherited serves a request that an earlier handler already dealt
// with, as prior records: it never accepts the request's token again, which
// the acceptor would refuse as a replay, nor opens its session cookie,
// stores its credential or sets its response headers again. It applies
// the Middleware's own authorization rules to the Auth that prior let in,
// unless prior is of this Middleware, whose rules let it in already, and
// refuses a request that prior failed.
func (h *handler) serveInherited(w http.ResponseWriter, r *http.Request, prior *authContext) {
	a := &prior.auth
	at := attempt{principal: a.Principal, session: a.FromSession, inherited: true}
	switch {
	case a.Err != nil:
		at.err, at.logged = a.Err, true
	case prior.by != h.m:
		at.err = h.m.authorizeInherited(a, prior.by)
	}
	if at.err == nil {
		h.pass(w, r, nil, at)
		return
	}
	h.refuse(w, r, at)
}

// authorizeInherited applies m's own rules to a, which the Middleware by
// let in. For a session request whose cookie cannot tell what a rule needs
// (a ccache under WithDelegationRequired, groups that by's cookies do not
// keep) it returns ErrNoCredentials, as if there were no cookie: a client
// that is challenged then negotiates, and the token tells.
func (m *Middleware) authorizeInherited(a *Auth, by *Middleware) error {
	if a.FromSession && m.cfg.authz.groups != nil && !keeps(by, m.cfg.authz.groups) {
		return ErrNoCredentials
	}
	if m.authz {
		if err := m.cfg.authz.authorize(a); err != nil {
			return err
		}
	}
	if m.cfg.delegationRequired && a.Delegated == nil && a.CCache == "" {
		if a.FromSession {
			return ErrNoCredentials
		}
		return ErrNoDelegation
	}
	return nil
}

// keeps reports whether the session cookies of by keep every group of
// groups the user is in, so that a session of by's tells whether the user
// is in one of them.
func keeps(by *Middleware, groups map[string]struct{}) bool {
	for g := range groups {
		if _, ok := by.cfg.authz.groups[g]; !ok {
			return false
		}
	}
	return true
}
