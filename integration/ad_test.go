package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/adrealm"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// Tests against a real Active Directory: a throwaway Samba AD DC
// (internal/adrealm). They hold Samba's fixed ports, so they run only with
// NEGOTIATE_AD=1 (make test-ad), one domain at a time.

// adPasswords of the AD tests' accounts. They protect throwaway keys only.
const (
	adAlicePassword  = "Al1ce-AD-Pass!"
	adBobPassword    = "B0b-AD-Pass!"
	adWebsvcPassword = "W3bsvc-AD-Pass!"
	adService        = "HTTP/localhost"
)

// adFixture is a domain with alice (in engineers and readers), bob (in no
// group of his own) and the service account websvc, which holds
// HTTP/localhost, its AES keys in keytab.
type adFixture struct {
	*adrealm.Domain
	keytab string
}

// startAD starts the AD fixture, stopped when the test ends.
func startAD(t *testing.T) *adFixture {
	t.Helper()
	if os.Getenv("NEGOTIATE_AD") != "1" {
		t.Skip("Samba AD tests run with NEGOTIATE_AD=1 (make test-ad)")
	}
	d, err := adrealm.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	f := &adFixture{Domain: d, keytab: filepath.Join(d.Dir, "websvc.keytab")}
	for _, step := range []func() error{
		func() error { return d.AddUser("alice", adAlicePassword) },
		func() error { return d.AddUser("bob", adBobPassword) },
		func() error { return d.AddGroups("engineers", "readers") },
		func() error { return d.Join("alice", "engineers", "readers") },
		func() error { return d.AddService("websvc", adWebsvcPassword, adService) },
		func() error { return d.ExportKeytab(f.keytab, "websvc", adService) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// ccache returns a ccache for user with a TGT and a ticket for
// HTTP/localhost: this process's krb5.conf is the MIT fixture's, so
// tokens are made from the cached ticket alone.
func (f *adFixture) ccache(t *testing.T, user, password string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), user+".ccache")
	if err := f.Kinit(user, password, path); err != nil {
		t.Fatal(err)
	}
	if out, err := f.Run("kvno", "-c", "FILE:"+path, adService+"@"+adrealm.Realm); err != nil {
		t.Fatalf("kvno: %v\n%s", err, out)
	}
	return "FILE:" + path
}

func (f *adFixture) acceptor(t *testing.T) *gss.Acceptor {
	t.Helper()
	acc, err := gss.NewAcceptor(gss.WithKeytab(f.keytab), gss.WithPrincipal(adService+"@"+adrealm.Realm))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	return acc
}

// TestADGroupsFromPAC accepts alice's real AD ticket and reads her SIDs
// from its PAC: the user SID and the domain groups are the ones the
// domain's directory holds.
func TestADGroupsFromPAC(t *testing.T) {
	f := startAD(t)
	acc := f.acceptor(t)
	tok, err := testrealm.Token(f.ccache(t, "alice", adAlicePassword), adService+"@"+adrealm.Realm, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := acc.Accept(tok)
	if err != nil {
		t.Fatal(err)
	}
	if res.Principal != "alice@"+adrealm.Realm {
		t.Errorf("principal %q", res.Principal)
	}
	if res.PAC == nil {
		t.Fatal("no PAC in an AD ticket")
	}
	want, err := f.SIDs("alice", "engineers", "readers", "Domain Users")
	if err != nil {
		t.Fatal(err)
	}
	domain, err := f.DomainSID()
	if err != nil {
		t.Fatal(err)
	}
	if res.PAC.UserSID != want[0] {
		t.Errorf("user SID %s, want %s", res.PAC.UserSID, want[0])
	}
	var domainGroups []string
	for _, g := range res.PAC.GroupSIDs {
		if strings.HasPrefix(g, domain+"-") {
			domainGroups = append(domainGroups, g)
		}
	}
	slices.Sort(domainGroups)
	groups := slices.Sorted(slices.Values(want[1:]))
	if !slices.Equal(domainGroups, groups) {
		t.Errorf("domain groups %q, want %q (engineers, readers, Domain Users)", domainGroups, groups)
	}
	if res.PAC.PrimaryGroupSID != want[3] || res.PAC.LogonName != "alice" || !strings.EqualFold(res.PAC.UPN, "alice@"+adrealm.Realm) {
		t.Errorf("primary group %s, logon name %q, UPN %q", res.PAC.PrimaryGroupSID, res.PAC.LogonName, res.PAC.UPN)
	}
}

// TestADKeytabWithoutAES is the most common AD keytab mistake: a keytab
// exported while the account allowed RC4 only (msDS-SupportedEncryptionTypes
// unset, for example), and tickets that the KDC encrypts with AES once the
// account allows it. The log names it keytab_enctype, with a hint about
// the account's enctypes, never a stale or lost keytab, and never a 500.
func TestADKeytabWithoutAES(t *testing.T) {
	f := startAD(t)
	const svc = "HTTP/rc4.localhost"
	keytab := filepath.Join(f.Dir, "rc4.keytab")
	for _, step := range []func() error{
		func() error { return f.AddService("rc4svc", adWebsvcPassword, svc) },
		func() error { return f.SetEncryptionTypes("rc4svc", adrealm.EncRC4) },
		func() error { return f.ExportKeytab(keytab, svc) },
		func() error { return f.SetEncryptionTypes("rc4svc", adrealm.EncAES) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := f.Run("klist", "-k", "-e", keytab); err != nil || strings.Contains(out, "aes") || !strings.Contains(out, "arcfour") {
		t.Fatalf("the keytab should hold arcfour-hmac only: %v\n%s", err, out)
	}
	s := newServer(t, gss.WithKeytab(keytab), gss.WithPrincipal(svc+"@"+adrealm.Realm))
	cc := filepath.Join(t.TempDir(), "alice.ccache")
	if err := f.Kinit("alice", adAlicePassword, cc); err != nil {
		t.Fatal(err)
	}
	if out, err := f.Run("kvno", "-c", "FILE:"+cc, svc+"@"+adrealm.Realm); err != nil {
		t.Fatalf("kvno: %v\n%s", err, out)
	}
	tok, err := testrealm.Token("FILE:"+cc, svc+"@"+adrealm.Realm, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.get(t, "/whoami", negotiateValue(tok)); r.status != 403 {
		t.Errorf("an AES ticket for an RC4-only keytab: %d %q, want 403", r.status, r.body)
	}
	line := logLine(s.logs.String(), "reason=keytab_enctype")
	if line == "" || !strings.Contains(line, "msDS-SupportedEncryptionTypes") {
		t.Errorf("no keytab_enctype line with the enctype hint:\n%s", s.logs.String())
	}
}
