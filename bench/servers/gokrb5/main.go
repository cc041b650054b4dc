// Command gokrb5 serves gokrb5 v8's pure-Go SPNEGO handler
// (spnego.SPNEGOKRB5Authenticate) with the service keytab.
//
// PAC decoding is off (service.DecodePAC(false)): gokrb5 v8.4.4 rejects the
// tickets of MIT krb5 1.20, which carry a PAC it cannot verify, so this
// server does less work per request than the MIT-based ones. Its replay
// cache is gokrb5's own, in memory, not MIT's file cache.
package main

import (
	"io"
	"log"
	"net/http"

	"github.com/jcmturner/goidentity/v6"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/negotiate-go/negotiate/bench/internal/serve"
)

func main() {
	cfg := serve.ParseFlags()
	kt, err := keytab.Load(cfg.Keytab)
	if err != nil {
		log.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := ""
		if id := goidentity.FromHTTPRequestContext(r); id != nil {
			name = id.UserName() + "@" + id.Domain()
		}
		io.WriteString(w, name+"\n")
	})
	// gokrb5 logs every request when given a logger; it gets none.
	h := spnego.SPNEGOKRB5Authenticate(next, kt, service.DecodePAC(false))
	if err := serve.Run(cfg, h); err != nil {
		log.Fatal(err)
	}
}
