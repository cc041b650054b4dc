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
// the rest (local name, flags, PAC, delegated credential, whether a session
// cookie authenticated it) with [FromContext]. Options add sessions
// ([WithSessions]) and authorization rules ([WithAllowedRealms],
// [WithAllowedGroups] and others). [Middleware.Require] and
// [Middleware.Optional] set the policy per route.
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
//	a principal an authorization rule         yes            403, text/plain body "Forbidden"
//	refuses (WithAllowedRealms, ...)
//	same                                      no             next runs, no principal;
//	                                                         FailureFromContext tells why
//	no Negotiate token, and a session cookie  either         next runs with the principal and
//	that opens (WithSessions)                                Auth.FromSession; no acceptor call
//	a session cookie that does not open:      as without     as without credentials (401, or next
//	tampered, truncated, expired, wrong key   credentials    runs anonymous); logged at Debug
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
//     [WithAuthRequired], by default always, for the handlers of
//     [Middleware.Wrap]; [Middleware.Require] and [Middleware.Optional]
//     decide it for theirs.
//
// # Fail closed
//
// The middleware lets a request through with a principal only when the
// acceptor returned a nil error and a non-empty principal. Anything else is
// a failure: an incomplete context (GSS_S_CONTINUE_NEEDED, see
// [negotiate.ErrIncomplete]) authenticates nobody, and neither does an
// acceptor that claims success without naming a principal
// ([ErrNoPrincipal]). On a route where authentication is optional, a failed
// request runs as anonymous, never as anyone. With sessions, a cookie lets a
// request through only when it opens with a configured key, names a
// principal, and is current; a cookie that does not counts as no
// credentials, never as a principal. The authorization rules apply to both
// paths.
//
// # Browsers and optional routes
//
// A browser sends a Negotiate token only in answer to a 401 that carries
// "WWW-Authenticate: Negotiate", which an optional route never sends. So a
// browser user without a session cookie is anonymous on an optional route,
// ticket or not. curl --negotiate sends its token unasked, which hides this
// in tests. To know browser users on optional routes, give them a route
// that requires authentication and starts a session ([WithSessions]), a
// login link that redirects back, say ([Middleware.Require] shows one):
// their requests carry the cookie from then on.
//
// # Several middlewares in one chain
//
// A request is authenticated once, however many handlers of this package
// it meets: an optional Middleware on a router and a required one on a
// group of its routes, say, or [Middleware.Optional] and [Middleware.Require]
// of one. The first records in the request's context what it found; the
// later ones read that record, not the token, which a replay cache would
// refuse the second time, nor the cookie. They store no credential, set no
// header and issue no cookie; each applies its own authorization rules,
// unless it is the one that recorded, and answers as its own mode says:
//
//	earlier handler           this one requires auth            this one is optional
//	------------------------  --------------------------------  ---------------------------
//	let a principal in        its rules pass: next runs, same   the same, but a refusal
//	                          Auth; they refuse: its forbidden  runs next anonymous, with
//	                          response, logged at Info          the reason
//	failed (Auth.Err set)     its forbidden response for that   next runs with that Auth
//	                          failure, not logged again
//	let a session in that     its unauthorized response, so     next runs anonymous
//	lacks what a rule needs   that the client negotiates
//	found no credentials      as if alone: it tries the token or the cookie itself
//
// A session lacks what a rule needs when the rule requires delegation and
// the session has no ccache, or allows groups that the cookies of the
// earlier Middleware do not keep (a cookie keeps only the groups of the
// Middleware that issued it). An Auth that [NewContext] put in a context is
// no record: that request is authenticated as any other. Each handler
// reports its outcome; a later one's has Outcome.Inherited set.
//
// # Authorization and local names
//
// Authentication says who the client is; the authorization rules say whom
// to let in. Each is off by default, and all that are set must pass, in
// this order:
//
//   - [WithAllowedRealms]: the principal's realm is one of the list
//     ([ErrRealmNotAllowed]).
//   - [WithAllowedPrincipals]: the principal is one of the list, compared
//     exactly ([ErrPrincipalNotAllowed]).
//   - [WithRequireLocalName]: an auth_to_local rule maps the principal to
//     a local name ([ErrNoLocalName]).
//   - [WithAllowedGroups]: the ticket's PAC puts the user in one of the
//     Active Directory groups of the list, named by SID
//     ([ErrGroupNotAllowed]). A ticket without a PAC, from an MIT KDC say,
//     is in no group.
//   - [WithRequiredAuthIndicators]: the ticket carries one of the
//     authentication indicators of the list, "otp" or "pkinit" say
//     ([ErrNoAuthIndicator]).
//   - [WithAuthorize]: a predicate of the request's [Auth]
//     ([ErrNotAuthorized]).
//
// They run after authentication, on Negotiate and session requests alike,
// and before anything else: a refused principal gets no session cookie, no
// mutual-authentication token, and its delegated credential is released
// unstored. A refusal is logged at Info with the principal and the reason,
// and answered as a failed token is: the forbidden response (403 and
// "Forbidden" by default, see [WithForbiddenStatus], [WithForbiddenBody]
// and [WithForbiddenHandler]) where authentication is required; where it is
// optional ([WithAuthRequired], [Middleware.Optional]), the next handler
// runs anonymous, without a principal, and [FailureFromContext] gives the
// reason. An optional route thus never sees a refused principal, only that
// someone was refused.
//
// Auth.PAC and Auth.AuthIndicators hold what the ticket says of the user
// and of how it logged in, for a handler to read.
//
// Auth.LocalName is what the acceptor found with gss_localname, that is
// what the auth_to_local rules of krb5.conf say; the middleware never makes
// one up. In particular it never strips the realm, which would turn
// alice@OTHER.REALM into the local user alice. With MIT's default rules,
// only single-component principals of the default realm map, to their name.
//
// # Sessions
//
// With plain Negotiate every request costs a full accept (about 100 to 200
// µs) and every browser request a 401 round trip. [WithSessions] lets a
// client that negotiated once go on with a cookie:
//
//   - Issue. When a request authenticates with a Negotiate token and is let
//     in, the response sets the session cookie, "__Host-negotiate_session"
//     by default ([WithSessionCookieName]), before the next handler runs. The
//     cookie is sealed with AES-256-GCM and holds the principal, the local
//     name, the mechanism, the context flags, the authentication
//     indicators, the issue time and the expiry, and of the PAC the user's
//     SID, its UPN and only those of its groups that [WithAllowedGroups]
//     names, so that a user of hundreds of groups fits in a cookie; never
//     the delegated credential, nor anything else secret.
//   - Use. A request that carries no Negotiate token but a cookie that
//     opens is authenticated by it: one AES-GCM open, no acceptor call, no
//     cgo. Its Auth has FromSession set. A request that carries a token is
//     authenticated by the token whatever cookies it has, and gets a fresh
//     cookie.
//   - Expiry. A session ends at the earlier of the maximum age (an hour,
//     [WithSessionMaxAge]) and the end of the client's service ticket: a
//     session never outlives the ticket. The ticket's end is Result.Expiry
//     (package gss takes off the clock-skew allowance MIT adds to the
//     context's lifetime); a ticket accepted in the library's skew grace
//     after its end, whose Expiry is past, gets no session. The cookie's
//     Max-Age and Expires say the same to the browser, and the server
//     checks the sealed expiry and the maximum age from the issue time
//     itself.
//   - Keys ([WithSessionKeys]). The first key seals, all keys open, so
//     keys rotate without logging anyone out; instances that share keys
//     share sessions. Without keys, [New] makes a random key for the
//     process: sessions end when it exits, and other instances cannot open
//     them. [ParseSessionKeys] reads keys from a file's text.
//   - Attributes. The cookie is HttpOnly, Secure (unless
//     [WithInsecureSessionCookie], for plain-HTTP development), SameSite=Lax,
//     and has the path and domain of [WithSessionCookiePath] and
//     [WithSessionCookieDomain], by default "/" and none.
//   - Name. The default name's "__Host-" prefix makes browsers refuse the
//     cookie unless this very host set it over HTTPS, Secure, with Path=/
//     and no Domain, so that a sibling subdomain cannot toss in a cookie of
//     that name, its own session say, for the parent domain. With another
//     path or a domain, which a __Host- cookie cannot have, the default is
//     "__Secure-negotiate_session" (Secure over HTTPS, but settable by any
//     host of the domain); with [WithInsecureSessionCookie],
//     "negotiate_session".
//   - Bad cookies. A cookie that is tampered with, truncated, expired,
//     sealed with a key no longer configured, or otherwise does not open is
//     ignored: the request goes on as one without credentials, so the client
//     is challenged and negotiates again, or runs anonymous on an optional
//     route. Why is logged at Debug; the cookie never is. It is never a 500.
//   - Log out. [Middleware.EndSession] expires the cookie in the browser.
//     Sessions are stateless: a copy of a cookie stays valid until it
//     expires, and only dropping its key ends every session at once.
//   - Caching. A cookie, unlike an Authorization header, does not keep
//     shared caches from storing a response, so the middleware sets
//     "Cache-Control: private" on the response to a session request. The
//     handler may set its own.
//
// What a session does not carry:
//
//   - The delegated credential. It lives in GSS-API memory for the one
//     Negotiate request that brought it, and is never put in a cookie: on a
//     session request Auth.Delegated is nil. With [WithDelegationDir] and
//     the [PerPrincipal] policy, the principal's ccache file outlives that
//     request, so a session begun by a delegating request names the file in
//     Auth.CCache while it is there (the sweeper removes it once its
//     tickets expire, and a later delegating request of the same principal
//     may replace it). With [PerRequest] a session request has no CCache.
//     With [WithDelegationRequired], sessions need a PerPrincipal directory
//     ([New] says so), and a session whose file is gone is ignored, so that
//     the client negotiates, and delegates, again.
//   - The output token: mutual authentication happened on the Negotiate
//     request.
//   - Freshness. Auth.FromSession tells a handler that the client proved
//     itself earlier, within the session's life. For a sensitive action a
//     handler can demand a fresh Negotiate by answering 401 with
//     "WWW-Authenticate: Negotiate": a browser then negotiates, and the
//     token wins over the cookie.
//
// Cross-site request forgery. Cookie authentication is ambient: a browser
// attaches the cookie to requests that other sites make it send.
// SameSite=Lax keeps it off cross-site POST, PUT and DELETE requests and
// subresource loads, but not off top-level GET navigations, nor off
// requests from sibling subdomains, which count as the same site. Negotiate
// is ambient too: a browser that holds a ticket answers a challenge on a
// cross-site request as well, so a request that SameSite stripped of its
// cookie may still authenticate after a 401 round trip. Neither is a
// defence against CSRF, then: GET and HEAD handlers must change nothing,
// and handlers of unsafe methods should check an anti-CSRF token, or at
// least the Origin or Sec-Fetch-Site header.
//
// The cookie value is base64url (no padding) of a version byte, a 4-byte
// key id, a 12-byte random nonce, the ciphertext and the 16-byte GCM tag;
// the version, key id and cookie name are authenticated with it. A key
// seals at most 2^32 cookies safely (random nonces): rotate long before.
// The format is version 2; a cookie of version 1, from before sessions
// held the PAC, does not open, and its client negotiates again.
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
// An acceptor with constrained delegation (gss.WithConstrainedDelegation,
// S4U2Proxy) hands the middleware a proxy credential for a client that
// does not delegate: Auth.Delegated holds it, and Auth.DelegationKind says
// "proxy" rather than "forwarded". The handler uses it as it would a
// forwarded TGT, and the KDC lets it reach only the backends the service
// may delegate to. To the middleware it is a delegated credential like the
// other: it satisfies WithDelegationRequired and is stored as below, and
// the Debug line of each request that authenticated with a credential
// says delegation=forwarded or delegation=proxy.
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
//     percent-encoding ([CCacheName], [PrincipalFromCCacheName]). Digits,
//     "@_+=,-", lower-case letters before the realm (the part after the
//     last "@"), upper-case letters in it, and a "." that neither begins
//     the name nor follows a "." stand for themselves; every other byte is
//     %XX with upper-case hex digits. So "alice@EXAMPLE.TEST" is
//     "alice@EXAMPLE.TEST", "Alice@EXAMPLE.TEST" is
//     "%41lice@EXAMPLE.TEST" and "svc/admin@R" is "svc%2Fadmin@R". A name
//     never holds "/", "..", or NUL, never begins with ".", and two
//     principals never share one, nor get names that differ only in case:
//     "Alice@R" and "alice@R" keep separate files on a case-insensitive
//     file system (APFS, SMB, ext4 with casefold). A per-request file adds
//     "~" and 16 random hex digits.
//   - Hashed names. A principal that has no realm, or whose escaped name
//     would exceed [MaxCCacheNameLen] (200) bytes (an escaped byte takes
//     three, so a Cyrillic letter six), is named "sha256-" and the SHA-256
//     of the principal in 64 lower-case hex digits instead. The principal
//     is then recorded, its bytes exactly, in a sidecar file beside it, the
//     hashed name and ".principal", written as atomically and privately as
//     a ccache before each store, and read back by
//     [PrincipalFromCCacheFile], which checks it against the hash. No name
//     is a server fault: any principal can be stored.
//   - Writes. The credential is stored into a temporary file (".tmp-" and
//     32 random hex digits) in the same directory, made mode 0600 whatever
//     the umask, and renamed into place: a reader sees a whole file, the old
//     one or the new, however many requests of one principal race. No step
//     follows a symbolic link: the temporary file is created with O_EXCL
//     and O_NOFOLLOW, and after the store, which may replace it, it is
//     opened again with O_NOFOLLOW, checked to be a non-empty regular file
//     of the server's user with a single link, and made 0600 through the
//     descriptor. Anything else there fails the store.
//   - Permissions. [New] refuses a directory that is missing, is not a
//     directory, is owned by a user other than the server's effective user
//     and root, is writable by group or others (a shared /tmp would let
//     others plant or pre-create files), or that the process cannot write:
//     whoever owns or can write the directory can plant, swap or read the
//     files. Delegation directories need a Unix system. Files are readable
//     by the server's user only.
//   - Failures. When a store fails (directory removed or made read-only,
//     disk full, ...), the request is answered 500 with a generic body, the
//     cause and the directory are logged at Error, the credential is
//     released, and other requests are served as before.
//   - Sweeping. A background goroutine sweeps the directory every 5 minutes
//     ([WithSweepInterval]), the first time one interval after [New]: it
//     removes each ccache whose user's tickets (those of its default
//     principal) have all expired, so a proxy credential once the user's
//     evidence ticket has ended, though the service's own TGT in it has not
//     ([SweepDir] gives the rule), each temporary file over a minute old (MIT
//     krb5's own, which it names after ours, included), and each sidecar over
//     a minute old that no ccache of its hashed name is left of, and logs
//     each removal at Info. A file a request renames into place while the
//     sweeper looks at the old one survives: the rename and the sweeper's
//     last check and removal hold one lock, and the sweeper removes only the
//     very file it read. It never touches a file whose name the middleware
//     could not have written. [Middleware.Close] stops it, and must be
//     called; [Middleware.SweepNow] sweeps at once, and [SweepDir] sweeps
//     from another program, a cron job say.
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
// Failures are logged with [log/slog] ([WithLogger]) with a reason
// ([Reason]), the principal if the acceptor named one, and, where the cause
// usually lies outside the request (clock skew, replay, keytabs, service
// principals, NTLM, delegation, local names, groups, authentication
// indicators), a hint for the operator. The token is never logged. [WithOutcomeHook] reports each request, with its
// [Outcome], for metrics and traces.
//
// # References
//
//   - RFC 4559: SPNEGO-based Kerberos and NTLM HTTP Authentication in
//     Microsoft Windows.
//   - RFC 4178: The Simple and Protected GSS-API Negotiation Mechanism.
//   - RFC 9110 section 11: HTTP Authentication.
//   - RFC 4648 section 4: Base 64 Encoding.
package middleware
