// Package gss accepts HTTP Negotiate tokens with the system GSS-API library
// (MIT krb5 or Heimdal) through cgo. It is the only package of this module
// that links C.
//
// # Accepting
//
// [NewAcceptor] acquires, once, at start-up, an acceptor credential that
// names the keytab, through the credential-store extension
// (gss_acquire_cred_from, RFC 5588 as extended by MIT), and fails there,
// naming the keytab, the principal and what the keytab holds, if they
// cannot serve. The library reads the keytab file itself at each accept, so
// a rotated key needs no restart, under MIT and Heimdal alike: a key
// appended to the file (ktadd) or a new file moved over the old one
// (rename) serves the next request. Keep the old key in the keytab until the
// tickets issued with it have expired (their lifetime, 10 hours by
// default), or their holders fail with negotiate.ErrStaleKeytab until they
// get new tickets. [Acceptor.Accept] then takes one token per request
// and returns a [negotiate.Result]: the client's principal, its local name
// (gss_localname, cached per principal), the mutual-authentication reply,
// the context flags and the delegated credential. Anonymous tickets
// (anonymous PKINIT) are refused unless [WithAnonymous] is given.
//
// An optimistic SPNEGO token (RFC 4178) whose first mechanism is Kerberos,
// which is what browsers, curl and Windows send, is unwrapped and its
// Kerberos token accepted directly; the reply is wrapped back exactly as
// MIT's SPNEGO mechanism wraps it. This keeps the Kerberos minor status
// codes intact (MIT renumbers them on their way up through SPNEGO), so a
// replay, a clock skew or a stale keytab is told apart by its code, never by
// message text. Any other token goes to the library's SPNEGO mechanism.
//
// # Errors
//
// Every error unwraps to a category of package negotiate
// (negotiate.ErrReplay, negotiate.ErrWrongService, ...). A failed GSS-API
// call is an [*Error] carrying the operation, the major and minor status and
// the library's text. The text is for logs, never for clients.
//
// # Delegation
//
// When a client delegates, [negotiate.Result.Delegated] holds a
// [*Credential]; [Credential.Store] writes it into a credential cache with
// gss_store_cred_into, and the owner releases it. Such a forwarded TGT
// (Result.DelegationKind "forwarded") is unconstrained delegation: it is
// good for any service, as the user, until it expires.
//
// # Constrained delegation
//
// With [WithConstrainedDelegation] (MIT krb5 only) the acceptor makes a
// proxy credential (Result.DelegationKind "proxy") from the ticket of a
// client that does not delegate, for S4U2Proxy (MS-SFU): a handler gives
// it to [WithCredential], or to client.WithCredential, and calls a backend
// as the user; the KDC issues that ticket only for the backends the
// service may delegate to (in Active Directory, the service account's
// msDS-AllowedToDelegateTo), and refuses the others, which Start reports
// as [ErrDelegationRefused] without ever falling back to the service's own
// name. A client whose ticket is not forwardable gets no proxy credential:
// one whose TGT was not forwardable, or one the KDC marks as sensitive
// (NOT_DELEGATED; on Windows also members of Protected Users). [Acceptor.Impersonate]
// ([WithProtocolTransition]) makes the same kind of credential for a user
// named by the service, through S4U2Self. Resource-based constrained
// delegation (the backend's msDS-AllowedToActOnBehalfOfOtherIdentity) needs
// nothing more from this package: MIT asks for it in every S4U2Proxy
// request, and the KDC decides.
//
// The acceptor needs the service's own TGT for this, from its keytab, which
// must begin with the principal that can get one (in Active Directory the
// account, websvc, before the SPN, HTTP/www.example.com); it keeps that TGT
// in a MEMORY: cache of its own, never in the process's default cache,
// renews it when it is past half its life, and accepts with the account's
// keys, checking the ticket's server name itself, so it stays bound to its
// service as without S4U.
//
// A proxy credential is more than the user's ticket. Stored with
// [Credential.Store], its cache holds (klist -C, against Samba's AD):
//
//	Default principal: alice@AD.EXAMPLE.TEST
//	krbtgt/AD.EXAMPLE.TEST@AD.EXAMPLE.TEST
//		for client websvc@AD.EXAMPLE.TEST, renew until ..., Flags: FRIA
//	config: proxy_impersonator = websvc@AD.EXAMPLE.TEST
//	websvc@AD.EXAMPLE.TEST
//		renew until ..., Flags: FRAT
//	HTTP/backend.localhost@AD.EXAMPLE.TEST
//		renew until ..., Flags: FRAT
//
// that is, the service's own TGT, the user's ticket to the service (filed
// under the service's account name: the evidence that S4U2Proxy presents),
// a marker that names the service as impersonator, and any backend tickets
// already obtained. MIT's libraries (curl --negotiate, kvno, another
// process of this package) use such a cache as the user's: they ask the
// KDC, with the service's TGT, for backend tickets for the user. So
// whoever reads the file acts as the user towards the service's backends;
// with the service's TGT it carries, as the service itself towards any
// service until that TGT expires (10 hours by default); and, where the
// service is trusted for protocol transition, as any user towards the
// service's backends (S4U2Self, then S4U2Proxy). Until it expires it is
// worth nearly as much as the service's keytab. Keep such files 0600,
// owned by the service, short-lived, and never hand them to the user or
// to another service. A stored forwarded TGT is the user's whole identity;
// a stored proxy credential is the service's.
//
// # Client side
//
// [Initiator] makes tokens from a named credential cache or from a delegated
// credential held in memory, SPNEGO by default, and [ClientContext.Finish]
// verifies the server's mutual-authentication reply. Its SPNEGO framing is
// this package's own too: MIT's SPNEGO cannot use a delegated credential
// and silently falls back to the process's default ccache, that is to
// another identity (see [Initiator]).
//
// # MIT krb5 and Heimdal
//
// The package builds against MIT krb5 by default and against Heimdal 7
// (`make test-heimdal`), and reports the same error categories under both.
// [Library] says which one a binary uses. Under Heimdal:
//
//   - there is no credential-store extension: the keytab and the caches are
//     named through gss_krb5_import_cred and gss_krb5_copy_ccache instead,
//     still without touching KRB5_KTNAME or KRB5CCNAME;
//   - the acceptor detects no replays, so this package keeps its own replay
//     cache, keyed on the authenticator's ciphertext, each entry for twice
//     krb5.conf's clockskew (the library takes an authenticator within the
//     skew on either side of its time). It lives in the
//     process: servers behind a load balancer do not share it, as MIT's file
//     cache on a shared directory would. [WithReplayCache] understands only
//     "none:" there;
//   - there is no S4U: [WithConstrainedDelegation] and
//     [WithProtocolTransition] make NewAcceptor fail, saying so;
//   - the acceptor's credential is Kerberos-only: SPNEGO tokens other than
//     the optimistic Kerberos ones every client sends are refused as an
//     unsupported mechanism (MIT would ask for another round trip, which is
//     refused too);
//   - a host-based name, "HTTP@host", means HTTP/host in the default realm;
//   - gss_display_name does not escape "/", "@" or "\" inside a component,
//     so the one-component svc\/admin would read as the two-component
//     svc/admin: the principal comes from gss_export_name instead, in the
//     escaped form MIT's gss_display_name gives;
//   - gss_localname applies Heimdal's own auth_to_local rules: MIT's
//     RULE: mappings in krb5.conf are ignored (a principal the test realm
//     maps from rob to robert stays rob);
//   - where Heimdal reports a failure vaguely (a wrong-service ticket as a
//     failed decryption, a stale or lost keytab as "entry not found"), the
//     acceptor reads the ticket's clear-text server name and key version and
//     probes the keytab to name the real cause.
//
// # Why not go-gssapi-c
//
// go-gssapi-c wraps the same calls, but it hides the minor status code that
// tells a replay from garbage, its handles cannot be shared with other
// calls, and it hands out typed-nil interfaces for an absent delegated
// credential or initiator name. The C surface here is five files: capi.go
// and capi_cred.go, the Go wrappers (names and contexts; keytabs and
// credentials), and capi.h, capi.c and capi_cred.c, the C helpers they call.
//
// # References
//
//   - RFC 2743 and RFC 2744: GSS-API and its C bindings.
//   - RFC 4121: the Kerberos 5 GSS-API mechanism.
//   - RFC 4178: SPNEGO.
//   - RFC 4559: SPNEGO-based HTTP authentication.
package gss
