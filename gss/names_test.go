package gss_test

import (
	"path/filepath"
	"testing"

	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// TestPrincipalNamesAreUnambiguous accepts tickets of two principals
// whose plain text is the same: the two-component "svc/admin" and the
// one-component "svc\/admin", whose only component holds a "/". They must
// get two different principal strings, each the escaped form that
// krb5_parse_name reads back as that principal, under MIT and Heimdal
// alike: authorization, ccache files and sessions key on that string.
// (Heimdal's gss_display_name does not escape, and once gave both
// "svc/admin@EXAMPLE.TEST".)
func TestPrincipalNamesAreUnambiguous(t *testing.T) {
	acc := newAcceptor(t)
	dir := t.TempDir()
	for i, p := range []struct{ kadmin, want string }{
		{`svc/admin`, `svc/admin@EXAMPLE.TEST`},
		{`svc\/admin`, `svc\/admin@EXAMPLE.TEST`},
		{`at\@sign`, `at\@sign@EXAMPLE.TEST`},
		{`back\\slash`, `back\\slash@EXAMPLE.TEST`},
	} {
		if err := realm.AddUser(p.kadmin, "Passw0rd-names"); err != nil {
			t.Fatal(err)
		}
		cc := filepath.Join(dir, string(rune('a'+i))+".ccache")
		if err := realm.Kinit(p.kadmin, "Passw0rd-names", cc, "--no-request-pac"); err != nil {
			t.Fatal(err)
		}
		tok, err := testrealm.Token("FILE:"+cc, "HTTP@localhost", 0, false)
		if err != nil {
			t.Fatal(err)
		}
		res, err := acc.Accept(tok)
		if err != nil {
			t.Fatalf("%s: %v", p.kadmin, err)
		}
		if res.Principal != p.want {
			t.Errorf("principal %s: got %q, want %q", p.kadmin, res.Principal, p.want)
		}
	}
}
