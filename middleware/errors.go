package middleware

import (
	"errors"
	"fmt"

	"github.com/negotiate-go/negotiate"
)

// reasonError is a failure the middleware finds on its own, before or
// instead of the acceptor's verdict. It carries a stable reason name for logs
// and metrics and wraps the negotiate sentinel it is a kind of, so that
// errors.Is and [negotiate.Category] class it as a client error.
type reasonError struct {
	msg    string
	reason string
	kind   error // a negotiate sentinel, or nil
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.kind }

// Failures found by the middleware itself. All but [ErrNoPrincipal] and
// [ErrNoDelegation] are found before the acceptor is called, and none of
// them is a server fault.
var (
	// ErrNoCredentials: the request carries no Negotiate credentials: no
	// Authorization header, another scheme, or a bare "Negotiate" with no
	// token. Its reason is "no_credentials". It is not a failed attempt: an
	// optional route runs with nothing in the context, and only a custom
	// unauthorized handler sees it through [FailureFromContext].
	ErrNoCredentials error = &reasonError{"no Negotiate credentials", "no_credentials", nil}

	// ErrTokenTooLarge: the token is longer than the cap set by
	// [WithMaxTokenSize]. It is found before decoding. Its reason is
	// "token_too_large"; it wraps [negotiate.ErrDefectiveToken].
	ErrTokenTooLarge error = &reasonError{"token exceeds the size limit", "token_too_large", negotiate.ErrDefectiveToken}

	// ErrBadBase64: the token is not standard, padded base64 (RFC 4648
	// section 4): another alphabet, missing padding, white space or line
	// breaks inside it. Its reason is "bad_base64"; it wraps
	// [negotiate.ErrDefectiveToken].
	ErrBadBase64 error = &reasonError{"token is not valid base64", "bad_base64", negotiate.ErrDefectiveToken}

	// ErrNTLMOffered: the client sent a raw NTLMSSP message, which RFC 4559
	// allows but this server does not accept. Its reason is "ntlm_offered";
	// it wraps [negotiate.ErrBadMech].
	ErrNTLMOffered error = &reasonError{"client offered NTLM", "ntlm_offered", negotiate.ErrBadMech}

	// ErrNoPrincipal: the acceptor reported success but named no principal.
	// The middleware fails closed on it instead of letting an anonymous
	// request through. Its reason is "no_principal"; it wraps
	// [negotiate.ErrIncomplete].
	ErrNoPrincipal error = &reasonError{"acceptor reported success without a principal", "no_principal", negotiate.ErrIncomplete}

	// ErrNoDelegation: the token was good, but the client delegated no
	// credential and [WithDelegationRequired] is set. Its reason is
	// "no_delegated_credential". It wraps no negotiate sentinel.
	ErrNoDelegation error = &reasonError{"client delegated no credential", "no_delegated_credential", nil}
)

// Refusals by the authorization rules ([WithAllowedRealms],
// [WithAllowedPrincipals], [WithRequireLocalName], [WithAllowedGroups],
// [WithRequiredAuthIndicators], [WithAuthorize]). The client proved who it
// is, by a token or a session cookie, but that principal is not let in.
// They are answered like a failed token: the
// forbidden response (403 by default) where authentication is required, and
// anonymous, with the error in the context, where it is optional. They are
// logged at Info with the principal. None wraps a negotiate sentinel, so,
// like [ErrNoDelegation], none has a negotiate category of its own; the
// middleware never treats one as a server fault.
var (
	// ErrRealmNotAllowed: the principal's realm is not among those of
	// [WithAllowedRealms]. Its reason is "realm_not_allowed".
	ErrRealmNotAllowed error = &reasonError{"principal's realm not allowed", "realm_not_allowed", nil}

	// ErrPrincipalNotAllowed: the principal is not among those of
	// [WithAllowedPrincipals]. Its reason is "principal_not_allowed".
	ErrPrincipalNotAllowed error = &reasonError{"principal not allowed", "principal_not_allowed", nil}

	// ErrNoLocalName: [WithRequireLocalName] is set and no auth_to_local
	// rule maps the principal to a local name. Its reason is
	// "no_local_name".
	ErrNoLocalName error = &reasonError{"principal maps to no local name", "no_local_name", nil}

	// ErrGroupNotAllowed: the client is in none of the groups of
	// [WithAllowedGroups], or its ticket has no PAC, so no groups. Its
	// reason is "group_not_allowed". For a ticket without a PAC the
	// middleware's error wraps ErrGroupNotAllowed and says so.
	ErrGroupNotAllowed error = &reasonError{"principal in none of the allowed groups", "group_not_allowed", nil}

	// ErrNoAuthIndicator: the client's ticket carries none of the
	// authentication indicators of [WithRequiredAuthIndicators]. Its
	// reason is "no_auth_indicator".
	ErrNoAuthIndicator error = &reasonError{"ticket has none of the required authentication indicators", "no_auth_indicator", nil}

	// ErrNotAuthorized: the predicate of [WithAuthorize] refused the
	// principal. Its reason is "not_authorized".
	ErrNotAuthorized error = &reasonError{"principal not authorized", "not_authorized", nil}
)

// errNoPAC is ErrGroupNotAllowed for a ticket without a PAC, so that the
// log tells the two cases apart.
var errNoPAC = fmt.Errorf("%w: the ticket has no PAC", ErrGroupNotAllowed)

// authzErrs are the refusals of the authorization rules.
var authzErrs = []error{ErrRealmNotAllowed, ErrPrincipalNotAllowed, ErrNoLocalName, ErrGroupNotAllowed, ErrNoAuthIndicator, ErrNotAuthorized}

// isAuthzErr reports whether err is a refusal by the authorization rules.
func isAuthzErr(err error) bool {
	for _, e := range authzErrs {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ErrCCacheStore is the one server fault the middleware finds itself:
// storing a delegated credential in the delegation directory
// ([WithDelegationDir]) failed. The request is answered 500 and the error
// logged at Error, wrapping the cause and naming the directory. Its reason
// is "ccache_store_failed"; it wraps [negotiate.ErrInternal].
var ErrCCacheStore error = &reasonError{"cannot store the delegated credential", "ccache_store_failed", negotiate.ErrInternal}

// Reason names why err failed authentication, for logs and metrics: the
// reason of one of this package's errors ("no_credentials",
// "token_too_large", "bad_base64", "ntlm_offered", "no_principal",
// "no_delegated_credential", "realm_not_allowed", "principal_not_allowed",
// "no_local_name", "group_not_allowed", "no_auth_indicator",
// "not_authorized", "ccache_store_failed"), else
// [negotiate.Category] ("replay", "clock_skew", ...), and "" for nil.
//
// Reason is thus Category plus the middleware's own reasons, which are
// finer: an error that the middleware found itself, before or instead of
// the acceptor, has a reason of its own even where it wraps a negotiate
// sentinel, whose category Category still gives (ErrBadBase64 is
// "bad_base64" here and "defective_token" there). The authorization
// refusals, ErrNoCredentials and ErrNoDelegation wrap none, so Category
// calls them [negotiate.Unknown]. The acceptor's errors get their
// category. The logs and [Outcome].Reason use Reason.
func Reason(err error) string {
	var e *reasonError
	if errors.As(err, &e) {
		return e.reason
	}
	return negotiate.Category(err)
}

// isServerFault reports whether err is the server's fault. Of the
// middleware's own errors only [ErrCCacheStore] is, whatever
// [negotiate.IsServerFault] says of the cause it wraps. An acceptor's error
// that wraps no category of package negotiate (negotiate.Unknown) is one
// too: the middleware cannot tell it from a broken acceptor, and a client
// cannot fix it.
func isServerFault(err error) bool {
	var e *reasonError
	if errors.As(err, &e) {
		return negotiate.IsServerFault(e.kind)
	}
	return negotiate.IsServerFault(err) || negotiate.Category(err) == negotiate.Unknown
}

// hint is an operator's first step for the failures whose cause usually lies
// outside the client's request, or "" for the others.
func hint(err error) string {
	switch {
	case errors.Is(err, negotiate.ErrClockSkew):
		return "clock skew: check NTP on client and server"
	case errors.Is(err, negotiate.ErrStaleKeytab):
		return "no key of the ticket's key version: if every client fails, the keytab is stale and needs re-exporting; one failing client may be sending an altered token (the version is in the clear)"
	case errors.Is(err, negotiate.ErrKeytabEnctype):
		return "no key of the ticket's enctype: if every client fails, re-export the keytab with that enctype (in AD, check the account's msDS-SupportedEncryptionTypes); one failing client may be sending an altered token (the enctype is in the clear)"
	case errors.Is(err, negotiate.ErrReplay):
		return "replayed token: a client or proxy re-sent a used token, or another authenticator in front of this one (not of this package) accepted it first"
	case errors.Is(err, negotiate.ErrWrongService):
		return "no key for the service principal: check the SPN the client used and the keytab"
	case errors.Is(err, ErrNoDelegation):
		return "no delegation: have the client delegate (curl --delegation always, a browser's delegation allowlist), and if it delegates by KDC policy, mark the service ok-as-delegate"
	case errors.Is(err, ErrNoLocalName):
		return "no local name: no auth_to_local rule of krb5.conf maps the principal; never map one by stripping the realm"
	case errors.Is(err, errNoPAC):
		return "no PAC, so no groups: tickets of an MIT KDC carry none, and a Heimdal build of the library reads none; only Active Directory's tickets name groups"
	case errors.Is(err, ErrGroupNotAllowed):
		return "in no allowed group: check the user's groups in the directory and the SIDs of WithAllowedGroups; a new membership reaches tickets only after a new TGT (kinit, or log on again)"
	case errors.Is(err, ErrNoAuthIndicator):
		return "no required authentication indicator: the KDC adds one only for the login its configuration names (MIT kdc.conf pkinit_indicator, an otp token type's indicator); Active Directory and Heimdal KDCs add none"
	case errors.Is(err, ErrNTLMOffered):
		return "NTLM offered: the client has no Kerberos ticket for this service, or is not set up for Negotiate"
	}
	return ""
}
