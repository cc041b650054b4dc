package client_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/negotiate-go/negotiate/client"
)

// A client for an API with public and protected routes. The GET goes
// without a token and, if the server challenges, once more with one. The
// POST's body is a *strings.Reader, so http.NewRequest sets GetBody and the
// retry that answers the challenge sends the body again. The example does
// not run: it needs a realm and a server.
func Example() {
	t, err := client.New(client.WithCCache("FILE:/tmp/krb5cc_alice"))
	if err != nil {
		log.Fatal(err) // no ticket: run kinit first
	}
	defer t.Close()
	c := &http.Client{Transport: t}

	resp, err := c.Get("https://api.example.com/status") // public: no token goes
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	resp, err = c.Post("https://api.example.com/orders", "application/json",
		strings.NewReader(`{"item": 42}`))
	if err != nil {
		log.Fatal(err) // errors.Is(err, client.ErrMutualAuth): not the real server
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
}

// A client that sends its token, and its delegated ticket, up front to a
// backend it calls often. Delegation goes up front only to an origin that
// has challenged this Transport: the first request to the backend still
// waits for the challenge, later ones carry the token at once. The
// example does not run: it needs a realm and a server.
func ExampleWithPreemptive() {
	t, err := client.New(
		client.WithCCache("FILE:/tmp/krb5cc_alice"),
		client.WithDelegation(client.DelegateAlways),
		client.WithPreemptive(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	c := &http.Client{Transport: t}
	for _, path := range []string{"/reports/1", "/reports/2"} {
		resp, err := c.Get("https://backend.example.com" + path)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// A server that does not always send its mutual-authentication token: a
// response without one is accepted, but a token that does not verify
// still fails with client.ErrMutualAuth. The example does not run: it
// needs a realm and a server.
func ExampleWithMutualAuth() {
	t, err := client.New(client.WithMutualAuth(client.MutualOptional))
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	resp, err := (&http.Client{Transport: t}).Get("https://legacy.example.com/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}
