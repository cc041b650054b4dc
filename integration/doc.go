// Package integration holds end-to-end tests of the HTTP Negotiate
// middleware ([github.com/negotiate-go/negotiate/middleware]) with the real
// cgo acceptor ([github.com/negotiate-go/negotiate/gss]) and real Kerberos
// tickets from a throwaway MIT KDC
// ([github.com/negotiate-go/negotiate/internal/testrealm]).
//
// The package has no code of its own, only tests. It is separate so that
// the middleware's tests keep using a fake acceptor and the middleware
// package stays free of cgo: it must build with CGO_ENABLED=0.
//
// The tests run a real net/http server on loopback and talk to it as
// http://localhost:PORT, so that clients ask for tickets for the service
// principal HTTP/localhost, whose key the fixture's keytab holds. Clients
// are Go's http.Client with tokens from [gss.Initiator], and curl
// (curl --negotiate), which must be installed: the tests fail, rather than
// skip, when it is missing.
//
// They need MIT krb5 (Debian: libkrb5-dev, krb5-kdc, krb5-admin-server,
// krb5-user) and curl, and run with the rest of the module:
//
//	go test -race ./integration/
package integration
