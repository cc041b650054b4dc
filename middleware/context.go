package middleware

import (
	"context"
	"time"

	"github.com/negotiate-go/negotiate"
)

// ctxKey is the context key of the request's *Auth. Being unexported, no
// other package can set or shadow it.
type ctxKey struct{}

// Auth is what the middleware learned about a request, as the handler reads
// it with [FromContext]. It is valid until the handler returns: in
// particular the delegated credential is released then.
//
// A request that authenticated has Principal set and Err nil. A request that
// failed on an optional route, or that reaches a custom failure handler, has
// Err set and nothing else. A request on an optional route that carried no
// credentials has no Auth at all.
type Auth struct {
	// Principal is the client's Kerberos principal, for example
	// "alice@EXAMPLE.TEST". It is "" when authentication failed.
	Principal string

	// LocalName is the local account the principal maps to through the
	// krb5.conf auth_to_local rules, or "" when no rule maps it. Never
	// derive one by stripping the realm.
	LocalName string

	// OutputToken is the acceptor's reply, already sent to the client as
	// "WWW-Authenticate: Negotiate <base64>" (mutual authentication). It may
	// be empty. The handler must not modify it.
	OutputToken []byte

	// Mech is the mechanism that authenticated the client, as a dotted OID,
	// in practice [negotiate.MechKerberos].
	Mech string

	// Flags are the GSS-API context flags the client asked for and got.
	Flags negotiate.Flags

	// Expiry is when the client's security context ends, or the zero Time
	// when the mechanism reports no limit.
	Expiry time.Time

	// Delegated is the credential the client forwarded, or nil when it did
	// not delegate. It is valid until the handler returns, when the
	// middleware releases it: a handler that needs it later must store it
	// (see [negotiate.Credential]) before returning, and must not release
	// it itself.
	Delegated negotiate.Credential

	// CCache names the credential cache file the delegated credential was
	// stored in, "FILE:/dir/name" in the style of KRB5CCNAME, or "" when
	// none was written: without [WithDelegationDir], or when the client did
	// not delegate. With the [PerRequest] policy the file is removed when
	// the handler returns; with [PerPrincipal] it stays until the sweeper
	// finds its tickets expired, and a later request of the same principal
	// may replace it meanwhile.
	CCache string

	// Err is why authentication failed, when it did: a route where
	// authentication is optional still runs, and a custom unauthorized or
	// forbidden handler runs, with Err set. Read its reason with [Reason].
	// The error text may hold GSS-API detail: log it, never send it.
	Err error
}

// authContext is the context the middleware gives a request that
// authenticated. It holds the Auth itself, where context.WithValue would
// point to one, and the backing array of the WWW-Authenticate header value,
// so that the three cost one allocation on the hot path. [FromContext] reads
// it through Value like any other.
type authContext struct {
	context.Context
	auth      Auth
	challenge [1]string
}

func (c *authContext) Value(key any) any {
	if key == (ctxKey{}) {
		return &c.auth
	}
	return c.Context.Value(key)
}

// NewContext returns a copy of ctx that carries a. The middleware calls it
// for every request it passes on; tests and other middleware may use it to
// set up a handler's context.
func NewContext(ctx context.Context, a *Auth) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// FromContext returns the Auth the middleware stored in ctx, if any. It
// reports true for a failed attempt too: check Auth.Err, or use
// [PrincipalFromContext] to learn who the client is.
func FromContext(ctx context.Context) (*Auth, bool) {
	a, ok := ctx.Value(ctxKey{}).(*Auth)
	return a, ok && a != nil
}

// PrincipalFromContext returns the authenticated principal of the request,
// for example "alice@EXAMPLE.TEST". It reports false when the request did not
// authenticate, whether it carried no credentials or failed.
func PrincipalFromContext(ctx context.Context) (string, bool) {
	a, ok := FromContext(ctx)
	if !ok || a.Err != nil || a.Principal == "" {
		return "", false
	}
	return a.Principal, true
}

// FailureFromContext returns why authentication failed, on a route where it
// is optional or in a custom failure handler. It reports false when the
// request authenticated or carried no credentials on an optional route.
func FailureFromContext(ctx context.Context) (error, bool) {
	a, ok := FromContext(ctx)
	if !ok || a.Err == nil {
		return nil, false
	}
	return a.Err, true
}
