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
// gss_store_cred_into, and the owner releases it.
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
// credential or initiator name. The C surface here is three files: capi.go,
// the Go wrappers, and capi.h and capi.c, the C helpers they call.
//
// # References
//
//   - RFC 2743 and RFC 2744: GSS-API and its C bindings.
//   - RFC 4121: the Kerberos 5 GSS-API mechanism.
//   - RFC 4178: SPNEGO.
//   - RFC 4559: SPNEGO-based HTTP authentication.
package gss
