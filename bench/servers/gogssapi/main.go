// Command gogssapi serves go-gssapi v3's own http.Handler
// (github.com/golang-auth/go-gssapi/v3/http) on the go-gssapi-c provider,
// with acceptor credentials acquired once from the service keytab. It is
// here because users benchmark it; DESIGN.md lists why this repository does
// not use it (panics, a data race).
package main

import (
	"io"
	"log"
	"net/http"

	gssapic "github.com/golang-auth/go-gssapi-c"
	gssapi "github.com/golang-auth/go-gssapi/v3"
	ghttp "github.com/golang-auth/go-gssapi/v3/http"

	"github.com/negotiate-go/negotiate/bench/internal/serve"
)

func main() {
	cfg := serve.ParseFlags()
	p, err := gssapi.NewProvider(gssapic.LIBID)
	if err != nil {
		log.Fatal(err)
	}
	store, ok := p.(gssapi.ProviderExtCredStore)
	if !ok || !p.HasExtension(gssapi.HasExtCredStore) {
		log.Fatal("go-gssapi-c: no credential store extension")
	}
	name, err := p.ImportName("HTTP@localhost", gssapi.GSS_NT_HOSTBASED_SERVICE)
	if err != nil {
		log.Fatal(err)
	}
	cred, err := store.AcquireCredentialFrom(name, nil, gssapi.CredUsageAcceptOnly, nil,
		gssapi.WithCredStoreServerKeytab(cfg.Keytab))
	if err != nil {
		log.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := ghttp.GetInitiatorName(r)
		if in == nil {
			in = &ghttp.InitiatorName{}
		}
		io.WriteString(w, in.PrincipalName+"\n")
	})
	h, err := ghttp.NewHandler(p, next, ghttp.WithAcceptorCredential(cred))
	if err != nil {
		log.Fatal(err)
	}
	if err := serve.Run(cfg, h); err != nil {
		log.Fatal(err)
	}
}
