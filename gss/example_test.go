package gss_test

import (
	"fmt"
	"log"

	"github.com/negotiate-go/negotiate/gss"
)

// A service accepts a client's token and proves itself back. Here the test
// realm's keytab and alice's ccache stand for the service's keytab and a
// user's ticket cache; a real server gets the token from the request's
// Authorization header, as package middleware does.
func ExampleAcceptor_Accept() {
	keytab, userCCache := realm.Keytab, realm.AliceCCache

	acc, err := gss.NewAcceptor(gss.WithKeytab(keytab), gss.WithHostname("localhost"))
	if err != nil {
		log.Fatal(err) // names the keytab, what it holds and how to choose
	}
	defer acc.Close()

	// The client side: a token for HTTP@localhost from the user's ticket.
	ini, err := gss.NewInitiator(gss.WithCCache(userCCache))
	if err != nil {
		log.Fatal(err)
	}
	defer ini.Close()
	ctx, token, err := ini.Start("HTTP@localhost", 0)
	if err != nil {
		log.Fatal(err)
	}
	defer ctx.Close()

	res, err := acc.Accept(token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Principal, res.LocalName)
	// The reply proves to the client that the server holds the key.
	fmt.Println(ctx.Finish(res.OutputToken))
	// Output:
	// alice@EXAMPLE.TEST alice
	// <nil>
}

// What a keytab holds, as an operator would check before choosing the
// acceptor's principal.
func ExampleKeytabPrincipals() {
	ps, err := gss.KeytabPrincipals(realm.Keytab)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range ps {
		fmt.Println(p)
	}
	// Output:
	// HTTP/localhost@EXAMPLE.TEST (kvno 1)
	// HTTP/other.localhost@EXAMPLE.TEST (kvno 1)
}
