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
// needs it later must store it in a credential cache before it returns.
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
