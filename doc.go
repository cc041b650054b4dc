// Package negotiate holds the small contract shared by the cgo acceptor
// ([github.com/negotiate-go/negotiate/gss]) and the pure-Go HTTP middleware
// ([github.com/negotiate-go/negotiate/middleware]): the [Result] of accepting
// one Negotiate token, the delegated [Credential], and the error categories
// that tell a client's mistake from a server fault.
//
// It imports nothing but the standard library and builds without cgo, so the
// middleware can depend on it while the acceptor stays the only package that
// links the system GSSAPI library.
//
// # Error categories
//
// Every error an acceptor returns for a token wraps exactly one of the
// sentinels below, so callers decide with [errors.Is]:
//
//   - client errors, answered 403 by the middleware: [ErrDefectiveToken],
//     [ErrReplay], [ErrClockSkew], [ErrTicketExpired], [ErrWrongService],
//     [ErrStaleKeytab], [ErrBadMech], [ErrIncomplete];
//   - server faults, answered 500: [ErrServerCredentials], [ErrInternal].
//
// [Category] turns an error into a short, stable name for logs and metrics.
//
// # References
//
//   - RFC 4559: SPNEGO-based Kerberos and NTLM HTTP Authentication.
//   - RFC 4178: The Simple and Protected GSS-API Negotiation Mechanism.
//   - RFC 2743 and RFC 2744: GSS-API and its C bindings.
//   - RFC 4121: the Kerberos 5 GSS-API mechanism.
package negotiate
