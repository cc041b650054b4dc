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
//
// A request authenticated by a session cookie ([WithSessions]) has
// FromSession set, and only what the cookie carries: Principal, LocalName,
// Mech, Flags and AuthIndicators as the Negotiate request that began the
// session found them, part of the PAC (see PAC), and the session's Expiry.
// It has no OutputToken and no Delegated credential; CCache is set only in
// the case its documentation gives.
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
	// be empty, and is on a session request. The handler must not modify
	// it.
	OutputToken []byte

	// Mech is the mechanism that authenticated the client, as a dotted OID,
	// in practice [negotiate.MechKerberos].
	Mech string

	// Flags are the GSS-API context flags the client asked for and got.
	// On a session request they are those of the Negotiate request that
	// began the session: FlagDelegate says that request delegated, not
	// that this one has a credential.
	Flags negotiate.Flags

	// PAC is what an Active Directory KDC says of the client in the
	// ticket's PAC, verified by the acceptor: the user's SID, its groups'
	// SIDs, its UPN ([negotiate.PAC]). It is nil for a ticket without one
	// (an MIT KDC's), for a PAC the acceptor did not verify, and for every
	// ticket under Heimdal. [WithAllowedGroups]
	// admits by its GroupSIDs. On a session request it holds only UserSID,
	// UPN, and those of the GroupSIDs that WithAllowedGroups names (none
	// without it); the other fields are empty. The handler must not modify
	// it.
	PAC *negotiate.PAC

	// AuthIndicators are the ticket's authentication indicators: how the
	// client logged in, "otp" or "pkinit" say, as the KDC's configuration
	// names them ([WithRequiredAuthIndicators]). They are nil when there
	// are none: always from Active Directory and Heimdal KDCs. The handler
	// must not modify them.
	AuthIndicators []string

	// FromSession reports that the request authenticated with a session
	// cookie ([WithSessions]) rather than a Negotiate token. A handler
	// that wants a fresh Negotiate, for a sensitive action say, can answer
	// such a request 401 with "WWW-Authenticate: Negotiate": the browser
	// then sends a token, which the middleware prefers to the cookie.
	FromSession bool

	// Expiry is when the client's security context ends, or the zero Time
	// when the mechanism reports no limit. MIT krb5 reports the service
	// ticket's end plus its clock-skew allowance (5 minutes by default).
	// On a session request it is when the session ends, which is never
	// after the ticket's end.
	Expiry time.Time

	// Delegated is the credential the client forwarded, or the proxy
	// credential of constrained delegation that the acceptor made from the
	// client's ticket (gss.WithConstrainedDelegation), or nil when there
	// is neither; DelegationKind says which. It is valid until the handler
	// returns, when the middleware releases it: a handler that needs it
	// later must store it (see [negotiate.Credential]) before returning,
	// and must not release it itself. It is always nil on a session
	// request: a credential lives in GSS-API memory for one request, and
	// is never put in a cookie.
	Delegated negotiate.Credential

	// DelegationKind says what Delegated is, as
	// [negotiate.Result.DelegationKind] does: "forwarded" for the TGT the
	// client forwarded (unconstrained delegation: good for any service),
	// "proxy" for a proxy credential (constrained delegation, S4U2Proxy:
	// good only for the backends the KDC lets this service delegate to;
	// Flags then lacks FlagDelegate, for the client delegated nothing), ""
	// when Delegated is nil, so always on a session request. A credential
	// from an Acceptor that names no kind counts as "forwarded", the only
	// kind there was before constrained delegation. Either kind is a
	// delegated credential to the middleware: it satisfies
	// [WithDelegationRequired], and [WithDelegationDir] stores it.
	DelegationKind string

	// CCache names the credential cache file the delegated credential was
	// stored in, "FILE:/dir/name" in the style of KRB5CCNAME, or "" when
	// none was written: without [WithDelegationDir], or when Delegated is
	// nil. With the [PerRequest] policy the file is removed when the
	// handler returns; with [PerPrincipal] it stays until the sweeper
	// finds the user's tickets in it expired (see [SweepDir]), and a later
	// request of the same principal that has a credential, of either kind,
	// may replace it meanwhile.
	//
	// On a session request it names the principal's [PerPrincipal] file
	// when the Negotiate request that began the session delegated (its
	// Flags have FlagDelegate, which a request that left only a proxy
	// credential lacks) and the file is still there; it is "" otherwise, and always with
	// [PerRequest].
	CCache string

	// Err is why authentication failed, when it did: a route where
	// authentication is optional still runs, and a custom unauthorized or
	// forbidden handler runs, with Err set. Read its reason with [Reason].
	// The error text may hold GSS-API detail: log it, never send it.
	Err error
}

// authOf returns the Auth of a request whose token the acceptor accepted
// with res.
//
// Auth repeats ten of Result's fields rather than embed a
// negotiate.Result, on purpose. Its fields are documented for the handler,
// and some mean something else there: the middleware owns and releases
// Delegated, where Result tells its receiver to release it; OutputToken has
// already been sent; Expiry is the session's end on a session request.
// Embedded, Result's documentation would tell handlers to release the
// credential, and an Auth built as NewContext's documentation invites, for
// a test or by other middleware (Auth{Principal: "alice@R"}), would no
// longer compile.
func authOf(res *negotiate.Result) Auth {
	return Auth{
		Principal:      res.Principal,
		LocalName:      res.LocalName,
		OutputToken:    res.OutputToken,
		Mech:           res.Mech,
		Flags:          res.Flags,
		PAC:            res.PAC,
		AuthIndicators: res.AuthIndicators,
		Expiry:         res.Expiry,
		Delegated:      res.Delegated,
		DelegationKind: delegationKind(res),
	}
}

// delegationKind is res.DelegationKind as Auth has it: "" exactly when
// there is no credential, and "forwarded" for a credential of an
// acceptor that names no kind.
func delegationKind(res *negotiate.Result) string {
	switch {
	case res.Delegated == nil:
		return ""
	case res.DelegationKind == "":
		return "forwarded"
	}
	return res.DelegationKind
}

// authContext is the context the middleware gives a request that
// authenticated, or that failed on an optional route. It holds the Auth
// itself, where context.WithValue would point to one, and the backing
// array of one response header value (the WWW-Authenticate of a Negotiate
// request, the Cache-Control of a session request), so that the three cost
// one allocation on the hot path. [FromContext] reads it through Value like
// any other.
//
// It is also the record, under doneKey, that the Middleware by dealt with
// the request, for the handlers after it (see earlier). Only the
// middleware makes one: an Auth that NewContext put in a context is no
// such record, and a later handler authenticates that request itself.
type authContext struct {
	context.Context
	auth      Auth
	by        *Middleware
	challenge [1]string
}

// doneKey is the context key of the record an authContext is.
type doneKey struct{}

func (c *authContext) Value(key any) any {
	switch key {
	case ctxKey{}:
		return &c.auth
	case doneKey{}:
		return c
	}
	return c.Context.Value(key)
}

// noAuthContext hides the Auth, and the record, of an earlier handler: it
// is the context of a request that a later handler lets go on anonymous
// because it cannot use that Auth.
type noAuthContext struct{ context.Context }

func (c noAuthContext) Value(key any) any {
	switch key {
	case ctxKey{}:
		return (*Auth)(nil)
	case doneKey{}:
		return (*authContext)(nil)
	}
	return c.Context.Value(key)
}

// NewContext returns a copy of ctx that carries a, for tests and other
// middleware that set up a handler's context. Such an Auth is not the
// record that a Middleware leaves for the handlers after it: a handler of
// this package that the context reaches authenticates the request itself
// (see the package documentation, Several middlewares in one chain).
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
//
// Its results come in the order of the other accessors' and of v, ok :=
// m[k]: the value looked up, then whether there is one. That the value is
// an error does not make it a failure of the lookup, which cannot fail,
// so it does not go last as a returned error would.
func FailureFromContext(ctx context.Context) (error, bool) {
	a, ok := FromContext(ctx)
	if !ok || a.Err == nil {
		return nil, false
	}
	return a.Err, true
}
