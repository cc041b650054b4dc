package gss_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// TestAnonymousRefused sends a real anonymous ticket (anonymous PKINIT,
// kinit -n): the KDC vouches for nobody, so a required route must not let
// it in, and only gss.WithAnonymous accepts it.
func TestAnonymousRefused(t *testing.T) {
	dir := t.TempDir()
	anon, err := testrealm.Start(dir, "ANON.TEST")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { anon.Close() })
	keytab, cc := filepath.Join(dir, "http.keytab"), filepath.Join(dir, "anonymous.ccache")
	const service = "HTTP/localhost@ANON.TEST"
	for _, step := range []func() error{
		func() error { return anon.AddService(service) },
		func() error { return anon.WriteKeytab(keytab, service) },
		func() error { return anon.EnableAnonymousPKINIT() },
		func() error { return anon.Kinit("@ANON.TEST", "", cc, "-n") },
		// This process's krb5.conf does not know ANON.TEST's KDC.
		func() error { return anon.ServiceTicket(cc, service) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	mint := func() []byte {
		tok, err := testrealm.Token("FILE:"+cc, service, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	strict, err := gss.NewAcceptor(gss.WithKeytab(keytab), gss.WithPrincipal(service))
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	res, err := strict.Accept(mint())
	if !errors.Is(err, negotiate.ErrAnonymous) || res.Principal != "" {
		t.Errorf("anonymous ticket by default: %q, %v; want ErrAnonymous and no principal", res.Principal, err)
	}
	if negotiate.Category(err) != "anonymous" || negotiate.IsServerFault(err) {
		t.Errorf("category %q, server fault %v; want anonymous, a client's", negotiate.Category(err), negotiate.IsServerFault(err))
	}

	lenient, err := gss.NewAcceptor(gss.WithKeytab(keytab), gss.WithPrincipal(service), gss.WithAnonymous())
	if err != nil {
		t.Fatal(err)
	}
	defer lenient.Close()
	res, err = lenient.Accept(mint())
	if err != nil {
		t.Fatalf("anonymous ticket with WithAnonymous: %v", err)
	}
	// The anonymous flag is set only if the client asked for it: the name
	// is what tells.
	if res.Principal != testrealm.AnonymousPrincipal {
		t.Errorf("principal %q, want %s", res.Principal, testrealm.AnonymousPrincipal)
	}
}
