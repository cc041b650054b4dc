package negotiate

import "time"

// Result is what accepting one Negotiate token yields. An acceptor returns a
// Result with a nil error only for a fully established context: a context
// that needs another round trip (CONTINUE_NEEDED) is reported with
// [ErrIncomplete], never as an authenticated principal.
type Result struct {
	// Principal is the initiator's display name, for example
	// "alice@EXAMPLE.TEST".
	Principal string

	// LocalName is the local account the principal maps to through the
	// krb5.conf auth_to_local rules (gss_localname), or "" when no rule maps
	// it. It is never derived by stripping the realm.
	LocalName string

	// OutputToken is the acceptor's reply (the Kerberos AP-REP wrapped as the
	// mechanism requires). It is sent back to the client as
	// "WWW-Authenticate: Negotiate <base64>" for mutual authentication. It may
	// be empty.
	OutputToken []byte

	// Flags are the context flags the initiator asked for and got.
	Flags Flags

	// Mech is the mechanism that authenticated the client, as a dotted OID:
	// [MechKerberos] in practice, whether the client sent SPNEGO or a raw
	// Kerberos token.
	Mech string

	// Expiry is when the security context, and so the client's service
	// ticket, ends. It is the zero Time only when the mechanism reports no
	// limit at all (GSS_C_INDEFINITE). It may be in the past: libraries
	// accept a ticket for their clock-skew allowance after it ends, and
	// whatever outlives the request, a session for example, must then not
	// be granted.
	Expiry time.Time

	// PAC is what an Active Directory KDC says of the client in the
	// ticket's Privilege Attribute Certificate (MS-PAC): SIDs, groups,
	// UPN. It is nil for a ticket without a PAC's logon information (an
	// MIT KDC's tickets), for a PAC the library did not verify, and under
	// Heimdal, whose GSS-API does not hand the PAC out.
	PAC *PAC

	// AuthIndicators are the authentication indicators the KDC put in the
	// ticket (MIT krb5's "auth-indicators" name attribute): how the client
	// logged in, such as "otp" or "pkinit", as the KDC's configuration
	// names them. Empty when there are none, and under Heimdal.
	AuthIndicators []string

	// Delegated is the credential the client forwarded, or the proxy
	// credential of constrained delegation (S4U2Proxy) that the acceptor
	// made from the client's ticket; nil when there is neither. Whoever
	// receives a non-nil Delegated owns it and must call its Release
	// method.
	Delegated Credential

	// DelegationKind says what Delegated is: "forwarded" for the client's
	// TGT, which it forwarded (unconstrained delegation: good for any
	// service), "proxy" for a proxy credential (constrained delegation:
	// good only for the backends the KDC lets this service delegate to; a
	// stored one holds the service's own TGT as well), "" when Delegated
	// is nil.
	DelegationKind string
}

// PAC is the part of a ticket's Microsoft PAC (MS-PAC) that authorization
// needs, from a PAC whose signatures the GSS-API library verified with the
// service's key.
type PAC struct {
	UserSID         string // the user's SID: "S-1-5-21-…-1104"
	PrimaryGroupSID string // the primary group's: "S-1-5-21-…-513" (Domain Users)
	// GroupSIDs are the groups the KDC put the user in, as Windows builds
	// a token from the PAC (the domain's groups, the primary one among
	// them, extra SIDs such as S-1-18-1, resource groups), each once,
	// without the deny-only ones, which grant nothing.
	GroupSIDs []string
	LogonName string // the sAMAccountName: "alice"
	Domain    string // the NetBIOS domain name: "ADEX"
	UPN       string // the user principal name: "alice@ad.example.test", or ""
	DNSDomain string // the DNS domain name: "AD.EXAMPLE.TEST", or ""
}

// Credential is a delegated credential held in GSSAPI memory.
//
// It is safe to use from one goroutine at a time. Release is nil-safe and
// idempotent; after it, Store fails.
type Credential interface {
	// Store writes the credential into the credential cache named by
	// ccache, for example "FILE:/run/negotiate/alice" or "MEMORY:x",
	// replacing what the cache held.
	Store(ccache string) error

	// Release frees the credential.
	Release() error
}

// Flags are GSS-API context flags (RFC 2744 section 5.1).
type Flags uint32

// The context flags that matter to an HTTP server.
const (
	FlagDelegate Flags = 1 << 0 // GSS_C_DELEG_FLAG: the client forwarded a credential
	FlagMutual   Flags = 1 << 1 // GSS_C_MUTUAL_FLAG: the client asked the server to prove itself
	FlagReplay   Flags = 1 << 2 // GSS_C_REPLAY_FLAG
	FlagSequence Flags = 1 << 3 // GSS_C_SEQUENCE_FLAG
	FlagConf     Flags = 1 << 4 // GSS_C_CONF_FLAG
	FlagInteg    Flags = 1 << 5 // GSS_C_INTEG_FLAG
	FlagAnon     Flags = 1 << 6 // GSS_C_ANON_FLAG

	// FlagDelegPolicy (GSS_C_DELEG_POLICY_FLAG), asked for by a client,
	// delegates only to a service the KDC marks ok-as-delegate.
	FlagDelegPolicy Flags = 1 << 15
)

// Mechanism OIDs, in dotted form as [Result.Mech] reports them.
const (
	MechKerberos = "1.2.840.113554.1.2.2" // RFC 4121
	MechSPNEGO   = "1.3.6.1.5.5.2"        // RFC 4178
)
