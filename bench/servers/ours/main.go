// Command ours serves this repository's middleware in front of a handler
// that answers the principal, with a gss.Acceptor over the service keytab:
// the configuration the README recommends, default options throughout.
package main

import (
	"io"
	"log"
	"net/http"

	"github.com/negotiate-go/negotiate/bench/internal/serve"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/middleware"
)

func main() {
	cfg := serve.ParseFlags()
	acc, err := gss.NewAcceptor(gss.WithKeytab(cfg.Keytab), gss.WithHostname("localhost"))
	if err != nil {
		log.Fatal(err)
	}
	defer acc.Close()
	mw, err := middleware.New(acc)
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
