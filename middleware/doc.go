// Package middleware authenticates net/http requests with HTTP Negotiate:
// SPNEGO and Kerberos, as RFC 4559 defines them.
//
// It is pure Go and builds without cgo. It needs only an [Acceptor], which
// checks one token; the cgo acceptor in
// [github.com/negotiate-go/negotiate/gss] is one.
//
//	mw, err := middleware.New(acceptor) // a *gss.Acceptor, say
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.Handle("/whoami", mw.Wrap(whoami))
//
// A handler learns who the client is with [PrincipalFromContext], and reads
// the rest (local name, flags, delegated credential) with [FromContext].
//
// # HTTP semantics
//
// With the default options the middleware answers as below. Every status
// can be changed with an option, and every refusal body replaced by a string
// or an [http.Handler].
//
//	request                                   auth required  result
//	----------------------------------------  -------------  -------------------------------------------
//	no Authorization header, another scheme,  yes            401, "WWW-Authenticate: Negotiate",
//	or a bare "Negotiate"                                    text/plain body "Unauthorized"
//	same                                      no             next runs, no principal
//	"Negotiate <token>" that completes        either         next runs with the principal; the response
//	                                                         carries "WWW-Authenticate: Negotiate
//	                                                         <output token>" when there is one
//	a token that fails: bad base64, garbage,  yes            403, text/plain body "Forbidden",
//	wrong key, expired, replay, clock skew,                  no detail
//	NTLMSSP, over the size cap, incomplete
//	same                                      no             next runs, no principal;
//	                                                         FailureFromContext tells why
//	a server fault (unusable keytab, ...)     either         500, generic body, logged at Error
//	or a delegated credential that cannot
//	be stored (WithDelegationDir)
//
// Details:
//
//   - The scheme is matched without regard to case, and white space around
//     the scheme and the token is ignored. When a request carries several
//     Authorization headers, the first one whose scheme is Negotiate counts.
//   - The token must be standard base64 with padding (RFC 4648 section 4),
//     with no white space or line break inside. It may be at most 64 KiB of
//     base64 ([WithMaxTokenSize]); a longer one is refused before decoding.
//   - A raw NTLMSSP token is refused ([ErrNTLMOffered]) without reaching the
//     acceptor: only Kerberos, raw or inside SPNEGO, is accepted.
//   - A failure never answers 500 and never sends error text to the client.
//     Only a server fault ([negotiate.IsServerFault]) answers 500.
//   - Whether authentication is required is decided per request by
//     [WithAuthRequired]; by default it always is.
//
// # Fail closed
//
// The middleware lets a request through with a principal only when the
// acceptor returned a nil error and a non-empty principal. Anything else is
// a failure: an incomplete context (GSS_S_CONTINUE_NEEDED, see
// [negotiate.ErrIncomplete]) authenticates nobody, and neither does an
// acceptor that claims success without naming a principal
// ([ErrNoPrincipal]). On a route where authentication is optional, a failed
// request runs as anonymous, never as anyone.
//
// # Request context
//
// The middleware passes the next handler a request whose context carries an
// [Auth], read with [FromContext], [PrincipalFromContext] and
// [FailureFromContext]. The values are valid until the handler returns. The
// delegated credential, Auth.Delegated, is released then: a handler that
// needs it later must store it in a credential cache before it returns, or
// let the middleware do so (see Delegation).
//
// # Delegation
//
// A client may delegate (forward) its ticket-granting ticket, so that the
// handler can act as the user, calling another Negotiate service for
// example (a double hop). The handler finds the credential in
// Auth.Delegated, valid until it returns, when the middleware releases it.
// Without delegation Auth.Delegated is nil; [WithDelegationRequired] makes
// such a request fail with [ErrNoDelegation] instead, as a bad token
// would.
//
// With [WithDelegationDir] the middleware also stores each delegated
// credential in a credential cache file in that directory, before the
// handler runs, and names it in Auth.CCache as "FILE:/dir/name":
//
//   - Policies ([WithCCachePolicy]). [PerPrincipal], the default, keeps one
//     file per principal, replaced by each request that delegates, and left
//     in place when the request ends. [PerRequest] gives each request its
//     own file and removes it when the handler returns, even by panic.
//   - Names. A file is named after the full principal by a reversible
//     percent-encoding ([CCacheName], [PrincipalFromCCacheName]):
//     "alice@EXAMPLE.TEST" is "alice@EXAMPLE.TEST", "svc/admin@R" is
//     "svc%2Fadmin@R". A name never holds "/", "..", or NUL, never begins
//     with ".", and two principals never share one. A per-request file
//     adds "~" and 16 random hex digits. A principal without a realm, or
//     whose name would exceed [MaxCCacheNameLen] bytes, cannot be stored:
//     its delegating requests fail as below.
//   - Writes. The credential is stored into a temporary file (".tmp-" and
//     32 random hex digits) in the same directory, made mode 0600 whatever
//     the umask, and renamed into place: a reader sees a whole file, the old
//     one or the new, however many requests of one principal race.
//   - Permissions. [New] refuses a directory that is missing, is not a
//     directory, is writable by group or others (a shared /tmp would let
//     others plant or pre-create files), or that the process cannot write.
//     Files are readable by the server's user only.
//   - Failures. When a store fails (directory removed or made read-only,
//     disk full, ...), the request is answered 500 with a generic body, the
//     cause and the directory are logged at Error, the credential is
//     released, and other requests are served as before.
//   - Sweeping. A background goroutine sweeps the directory every 5 minutes
//     ([WithSweepInterval]), the first time one interval after [New]: it
//     removes each ccache whose tickets have all expired, configuration
//     entries aside, and each temporary file over a minute old, and logs
//     each removal at Info. A file a request renames into place while the
//     sweeper looks at the old one survives: the rename and the sweeper's
//     last check and removal hold one lock, and the sweeper removes only
//     the very file it read. It never touches a file
//     whose name the middleware could not have written. [Middleware.Close]
//     stops it, and must be called; [Middleware.SweepNow] sweeps at once,
//     and [SweepDir] sweeps from another program, a cron job say.
//
// The files hold live credentials of the users: treat the directory like a
// keytab's.
//
// # Mutual authentication
//
// When the acceptor produces an output token, the middleware sets
// "WWW-Authenticate: Negotiate <base64>" on the response header before it
// calls the next handler (RFC 4559 section 5). The header thus goes out with
// the first WriteHeader, Write or Flush, and the handler gets the
// [http.ResponseWriter] unwrapped: Flush, Hijack and
// [http.ResponseController] work as without the middleware.
//
// # Logs and metrics
//
// Failures are logged with [log/slog] ([WithLogger]) with a reason ([Reason]),
// the principal if the acceptor named one, and for clock skew, replay,
// stale keytabs and wrong service principals a hint for the operator. The
// token is never logged. [WithOutcomeHook] reports each request's
// [Outcome] for metrics.
//
// # References
//
//   - RFC 4559: SPNEGO-based Kerberos and NTLM HTTP Authentication in
//     Microsoft Windows.
//   - RFC 4178: The Simple and Protected GSS-API Negotiation Mechanism.
//   - RFC 9110 section 11: HTTP Authentication.
//   - RFC 4648 section 4: Base 64 Encoding.
package middleware
