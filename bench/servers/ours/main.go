// Command ours serves this repository's middleware in front of a handler
// that answers the principal, with a gss.Acceptor over the service keytab:
// the configuration the README recommends, default options throughout.
//
// With -sessions it also turns sessions on (WithSessions, a fixed key,
// WithInsecureSessionCookie for plain HTTP): a request that authenticates
// with a token gets a session cookie, and a request with that cookie alone
// is authenticated without a call to the acceptor.
package main

import (
	"bytes"
	"flag"
	"io"
	"log"
	"net/http"

	"github.com/negotiate-go/negotiate/bench/internal/serve"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/middleware"
)

// sessionKey seals the session cookies. It is fixed, not secret: the
// benchmark's cookies protect nothing, and a fixed key spares the log line
// New writes when it makes a random one.
var sessionKey = bytes.Repeat([]byte{0x5e}, middleware.SessionKeySize)

func main() {
	sessions := flag.Bool("sessions", false, "turn sessions on (a fixed key, cookie without Secure for plain HTTP)")
	cfg := serve.ParseFlags()
	acc, err := gss.NewAcceptor(gss.WithKeytab(cfg.Keytab), gss.WithHostname("localhost"))
	if err != nil {
		log.Fatal(err)
	}
	defer acc.Close()
	var opts []middleware.Option
	if *sessions {
		opts = append(opts, middleware.WithSessions(), middleware.WithSessionKeys(sessionKey),
			middleware.WithInsecureSessionCookie())
	}
	mw, err := middleware.New(acc, opts...)
	if err != nil {
		log.Fatal(err)
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := middleware.PrincipalFromContext(r.Context())
		io.WriteString(w, p+"\n")
	}))
	if err := serve.Run(cfg, h); err != nil {
		log.Fatal(err)
	}
}
