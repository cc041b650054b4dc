// Package interop is the client interoperability matrix. It holds tests
// only.
//
// For each GSS-API library a server can link (MIT krb5, the default build,
// and Heimdal, the build `make test-heimdal` uses), TestMatrix builds the demo
// server (cmd/demo) and checks with ldd that the binary links that library
// and not the other. It starts the demo with its embedded throwaway realm
// (-listen 127.0.0.1:0 -realm-dir DIR) and reads the KRB5_CONFIG, KRB5CCNAME
// and URL the demo prints. Then it drives real Negotiate clients against it as
// subprocesses:
//
//   - curl --negotiate -u :, without delegation on /whoami, and with
//     --delegation always on /whoami and /delegated;
//   - Python requests with requests-kerberos (testdata/requests_negotiate.py,
//     run by /usr/bin/python3), mutual authentication required, on /whoami,
//     and with delegate=True on /delegated;
//   - headless Chromium, in a fresh profile seeded so that it answers
//     Negotiate at once and delegates to localhost, on /whoami and
//     /delegated;
//   - the project's own client, cmd/negotiate-client (the default MIT build),
//     on /whoami, and with -delegate on /delegated.
//
// Each cell is a subtest. It asserts a 200 that carried a
// mutual-authentication token, and the principal alice@EXAMPLE.TEST: as the
// /whoami body, or for /delegated as the answer of the second hop, which
// the demo makes with the credential the client delegated. Finally, each
// demo is stopped with SIGTERM and must exit 0, leaving no process behind.
//
// The test logs each client's version and each server library's version,
// then the matrix as a markdown table for README.md. A cell shows ✔ only
// if all its subtests passed, ✘ if one failed, and – if it did not run.
//
// # Running it
//
// The package is in the main module, so `go test ./...` (and so `make test`)
// compiles it. TestMatrix skips itself unless the environment variable
// NEGOTIATE_INTEROP=1 is set: it needs packages beyond `make deps`, builds
// the demo twice and runs a browser, so it has its own Makefile targets:
//
//	make deps-interop    # python3-requests-kerberos chromium curl heimdal-multidev
//	make test-interop    # NEGOTIATE_INTEROP=1 go test -race -count=1 ./interop/
//
// That skip is the only one. When NEGOTIATE_INTEROP=1 is set and a client or
// library is missing, the test fails and names the apt package to install.
//
// # Traffic
//
// Every request goes to the demo on localhost. Client environments carry no
// proxy variables. Chromium 156 fetches from Google at start-up even with
// --disable-background-networking, so it runs with resolver rules under
// which only localhost resolves. The test reads Chromium's net log: there
// it finds the response status, and it checks that every TCP connection
// Chromium attempted went to a loopback address.
package interop
