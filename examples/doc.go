// Package examples is the root of the examples module: the middleware of
// github.com/negotiate-go/negotiate with third-party libraries, each in a
// package of its own, kept in their own go.mod so that the library's stays
// free of them.
//
//   - chi: an optional Middleware on a chi router and a required one on a
//     group (Use) or a route (With), and one Middleware's Optional and
//     Require.
//   - prometheus: counters by route, reason and status, fed by the outcome
//     hook and scraped through promhttp.
//   - otel: OpenTelemetry span attributes set by the outcome hook.
//
// The examples run with a fake acceptor (package internal/fake), so that
// they need no Kerberos realm; a server passes a *gss.Acceptor instead:
//
//	acc, err := gss.NewAcceptor(gss.WithKeytab("/etc/http.keytab"))
//
// Run them with "go test ./..." in this directory, or "make test" at the
// root of the repository.
package examples
