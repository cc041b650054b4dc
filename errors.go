package negotiate

import "errors"

// Client errors: the token, not the server, is at fault. The middleware
// answers them 403 (or lets an optional route go on anonymously).
var (
	// ErrDefectiveToken: the token is not a well-formed GSS-API token, or
	// its checksum or encryption does not verify.
	ErrDefectiveToken = errors.New("defective token")
	// ErrReplay: the authenticator was seen before (KRB5KRB_AP_ERR_REPEAT).
	ErrReplay = errors.New("replayed token")
	// ErrClockSkew: the authenticator's time is outside the allowed skew
	// (KRB5KRB_AP_ERR_SKEW).
	ErrClockSkew = errors.New("clock skew too great")
	// ErrTicketExpired: the service ticket has expired or is not yet valid.
	ErrTicketExpired = errors.New("ticket expired")
	// ErrWrongService: the ticket is for a service principal whose key the
	// keytab does not hold.
	ErrWrongService = errors.New("no key for the ticket's service principal")
	// ErrStaleKeytab: the keytab holds the service principal, but not the
	// key version the ticket was encrypted with. The version is in the
	// ticket's clear text: a client can send any, so one client's failure
	// does not show that the keytab is stale; every client's does.
	ErrStaleKeytab = errors.New("no key of the ticket's key version")
	// ErrKeytabEnctype: the keytab holds the ticket's key version, but not
	// of the ticket's encryption type: a keytab exported without that
	// enctype (every client fails), or a token whose clear-text enctype was
	// altered (one client fails).
	ErrKeytabEnctype = errors.New("no key of the ticket's encryption type")
	// ErrBadMech: the token is for a mechanism the server does not accept,
	// NTLMSSP for example.
	ErrBadMech = errors.New("unsupported mechanism")
	// ErrAnonymous: the ticket is anonymous (RFC 8062: anonymous PKINIT,
	// kinit -n). It is genuine, but the KDC vouches for nobody, so an
	// acceptor refuses it unless told to take anonymous clients.
	ErrAnonymous = errors.New("anonymous ticket")
	// ErrIncomplete: the context needs another round trip
	// (GSS_S_CONTINUE_NEEDED); nobody is authenticated by it.
	ErrIncomplete = errors.New("security context not complete")
)

// Server faults: no client can fix them. The middleware answers 500 and logs
// the cause.
var (
	// ErrServerCredentials: the acceptor's own credentials are unusable, a
	// keytab that became unreadable for example.
	ErrServerCredentials = errors.New("server credentials unusable")
	// ErrInternal: any other failure of the GSS-API library.
	ErrInternal = errors.New("internal GSS-API failure")
)

// categories lists every sentinel with its name and whether it is a server
// fault, the one place that says so.
var categories = []struct {
	err         error
	name        string
	serverFault bool
}{
	{ErrDefectiveToken, "defective_token", false},
	{ErrReplay, "replay", false},
	{ErrClockSkew, "clock_skew", false},
	{ErrTicketExpired, "ticket_expired", false},
	{ErrWrongService, "wrong_service", false},
	{ErrStaleKeytab, "stale_keytab", false},
	{ErrKeytabEnctype, "keytab_enctype", false},
	{ErrBadMech, "bad_mech", false},
	{ErrAnonymous, "anonymous", false},
	{ErrIncomplete, "incomplete", false},
	{ErrServerCredentials, "server_credentials", true},
	{ErrInternal, "internal", true},
}

// Unknown is the category of an error that wraps none of this package's
// sentinels: a failure of some other layer, an authorization refusal of
// the middleware for example.
const Unknown = "unknown"

// Category names the category of err for logs and metrics: "replay",
// "clock_skew", and so on, "" for nil, and [Unknown] for an error that
// wraps none of this package's sentinels.
func Category(err error) string {
	if err == nil {
		return ""
	}
	for _, c := range categories {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return Unknown
}

// IsServerFault reports whether err is the server's fault rather than the
// client's: it wraps [ErrServerCredentials] or [ErrInternal]. An error that
// wraps no sentinel of this package is no server fault by this test; the
// middleware, which knows where an error came from, decides for those.
func IsServerFault(err error) bool {
	if err == nil {
		return false
	}
	for _, c := range categories {
		if errors.Is(err, c.err) {
			return c.serverFault
		}
	}
	return false
}
