package adrealm

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/pac"
)

// needAD skips t unless NEGOTIATE_AD=1: the domain holds fixed ports and
// takes seconds, so `make test` leaves it out and `make test-ad` runs it.
func needAD(t testing.TB) {
	t.Helper()
	if os.Getenv("NEGOTIATE_AD") != "1" {
		t.Skip("Samba AD tests run with NEGOTIATE_AD=1 (make test-ad)")
	}
}

// startDomain starts a domain in a fresh temporary directory, closed when
// the test ends.
func startDomain(t *testing.T) *Domain {
	t.Helper()
	needAD(t)
	d, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	t.Logf("domain started: %v", d.Timings)
	return d
}

var sidRE = regexp.MustCompile(`^S-1-5-21-\d+-\d+-\d+-\d+$`)

func TestDomain(t *testing.T) {
	d := startDomain(t)
	step := func(name string, f func() error) {
		t.Helper()
		start := time.Now()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %v", name, time.Since(start).Round(time.Millisecond))
	}
	step("add alice", func() error { return d.AddUser("alice", "Al1ce-Pass!") })
	step("add groups", func() error { return d.AddGroups("engineers", "readers") })
	step("add alice to engineers", func() error { return d.AddMember("engineers", "alice") })
	step("add alice to readers", func() error { return d.Join("alice", "readers") })
	step("add websvc", func() error { return d.AddService("websvc", "W3bsvc-Pass!", "HTTP/localhost") })
	keytab := filepath.Join(d.Dir, "websvc.keytab")
	step("export keytab", func() error { return d.ExportKeytab(keytab, "websvc", "HTTP/localhost") })

	// klist -k -e: AES keys for both principals, the SPN included.
	out, err := d.Run("klist", "-k", "-e", keytab)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("klist -k -e:\n%s", out)
	for _, p := range []string{"HTTP/localhost@" + Realm, "websvc@" + Realm} {
		for _, enc := range []string{"aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"} {
			if !regexp.MustCompile(`(?m)^\s*\d+ ` + regexp.QuoteMeta(p) + ` \(` + enc + `\)`).MatchString(out) {
				t.Errorf("keytab has no %s key for %s", enc, p)
			}
		}
	}

	cc := filepath.Join(d.Dir, "alice.ccache")
	step("kinit alice", func() error { return d.Kinit("alice", "Al1ce-Pass!", cc) })
	out, err = d.Run("kvno", "-c", "FILE:"+cc, "HTTP/localhost")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "HTTP/localhost@"+Realm+": kvno = ") {
		t.Errorf("kvno HTTP/localhost: %q", out)
	}
	out, err = d.Run("klist", "-e", "-f", "-c", "FILE:"+cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("alice's ccache:\n%s", out)
	if !regexp.MustCompile(`krbtgt/` + Realm + `@` + Realm + `\n\s+renew until [^\n]*Flags: F`).MatchString(out) {
		t.Errorf("alice's TGT is not forwardable:\n%s", out)
	}
	if !strings.Contains(out, "HTTP/localhost@"+Realm+"\n") ||
		!strings.Contains(out, "Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96") {
		t.Errorf("no AES service ticket for HTTP/localhost:\n%s", out)
	}

	// The service's own TGT, for S4U, comes from the account name.
	step("kinit -k websvc", func() error {
		return d.KinitKeytab("websvc", keytab, filepath.Join(d.Dir, "websvc.ccache"))
	})

	sids, err := d.SIDs("alice", "engineers", "readers", "websvc")
	if err != nil {
		t.Fatal(err)
	}
	dom, err := d.DomainSID()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sids {
		if !sidRE.MatchString(s) || !strings.HasPrefix(s, dom+"-") {
			t.Errorf("SID %q is not in domain %s", s, dom)
		}
	}
	if u, err := d.UserSID("alice"); err != nil || u != sids[0] {
		t.Errorf("UserSID(alice) = %q, %v; want %q", u, err, sids[0])
	}
	if g, err := d.GroupSID("readers"); err != nil || g != sids[2] {
		t.Errorf("GroupSID(readers) = %q, %v; want %q", g, err, sids[2])
	}
	t.Logf("domain %s; alice %s; engineers %s; readers %s", dom, sids[0], sids[1], sids[2])
}

func TestDelegationSettings(t *testing.T) {
	d := startDomain(t)
	if err := d.AddUser("bob", "B0b-Pass!"); err != nil {
		t.Fatal(err)
	}
	if err := d.AddService("websvc", "W3bsvc-Pass!", "HTTP/localhost"); err != nil {
		t.Fatal(err)
	}
	if err := d.AddService("backend", "B4ckend-Pass!", "HTTP/backend.localhost"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    func() error
	}{
		{"for-any-protocol on", func() error { return d.ForAnyProtocol("websvc", true) }},
		{"for-any-protocol on again", func() error { return d.ForAnyProtocol("websvc", true) }},
		{"add-service", func() error { return d.AddDelegationService("websvc", "HTTP/backend.localhost") }},
		{"for-any-service on", func() error { return d.TrustedForDelegation("websvc", true) }},
		{"for-any-service off", func() error { return d.TrustedForDelegation("websvc", false) }},
		{"sensitive bob", func() error { return d.MarkSensitive("bob") }},
		{"for-any-protocol off, never on", func() error { return d.ForAnyProtocol("backend", false) }},
	} {
		if err := c.f(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	out, err := d.sambaTool("delegation", "show", "websvc")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "UF_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION: True") ||
		!strings.Contains(string(out), "UF_TRUSTED_FOR_DELEGATION: False") ||
		!strings.Contains(string(out), "msDS-AllowedToDelegateTo: HTTP/backend.localhost") {
		t.Errorf("delegation show websvc:\n%s", out)
	}
	out, err = d.sambaTool("user", "sensitive", "bob", "show")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "UF_NOT_DELEGATED: True") {
		t.Errorf("user sensitive bob show:\n%s", out)
	}

	// S4U2Self then S4U2Proxy against the domain, with MIT's kvno.
	keytab := filepath.Join(d.Dir, "websvc.keytab")
	if err := d.ExportKeytab(keytab, "websvc", "HTTP/localhost"); err != nil {
		t.Fatal(err)
	}
	cc := filepath.Join(d.Dir, "websvc.ccache")
	if err := d.KinitKeytab("websvc", keytab, cc); err != nil {
		t.Fatal(err)
	}
	if err := d.AddUser("carol", "C4rol-Pass!"); err != nil {
		t.Fatal(err)
	}
	out2, err := d.Run("kvno", "-c", "FILE:"+cc, "-U", "carol", "-P", "HTTP/backend.localhost")
	if err != nil {
		t.Fatalf("S4U2Proxy for carol: %v", err)
	}
	t.Logf("kvno -U carol -P: %s", strings.TrimSpace(out2))

	// Samba's own client gets the S4U2Self PAC for carol, and it is carol's.
	pacFile := filepath.Join(d.Dir, "carol-s4u2self.pac")
	if err := d.SavePAC("websvc", "W3bsvc-Pass!", "websvc", keytab, pacFile, "carol"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pacFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pac.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	carol, err := d.UserSID("carol")
	if err != nil {
		t.Fatal(err)
	}
	if p.LogonInfo.UserSID() != carol || !slices.Contains(p.LogonInfo.GroupSIDs(), "S-1-18-2") {
		t.Errorf("S4U2Self PAC: user %s (want carol, %s), groups %v (want S-1-18-2 among them)",
			p.LogonInfo.UserSID(), carol, p.LogonInfo.GroupSIDs())
	}
	// bob is sensitive: S4U2Proxy must refuse him.
	if out2, err := d.Run("kvno", "-c", "FILE:"+cc, "-U", "bob", "-P", "HTTP/backend.localhost"); err == nil {
		t.Errorf("S4U2Proxy for sensitive bob succeeded: %s", out2)
	} else {
		t.Logf("S4U2Proxy for sensitive bob fails, as it should: %v", err)
	}
}

// TestOneDomainAtATime: a second Start waits for the lock, and says so
// when it gives up.
func TestOneDomainAtATime(t *testing.T) {
	startDomain(t)
	old := lockWait
	lockWait = 200 * time.Millisecond
	defer func() { lockWait = old }()
	d2, err := Start(t.TempDir())
	if err == nil {
		d2.Close()
		t.Fatal("a second domain started while the first ran")
	}
	if !strings.Contains(err.Error(), LockFile) || !strings.Contains(err.Error(), "one runs at a time") {
		t.Errorf("error does not explain the lock: %v", err)
	}
	t.Logf("second Start: %v", err)
}

// TestDamagedTemplateIsRemade: a cached template that no longer starts is
// provisioned anew, once (this costs a provisioning, about 5 s).
func TestDamagedTemplateIsRemade(t *testing.T) {
	needAD(t)
	startDomain(t).Close() // the template exists now
	lock, err := acquireLock(lockWait)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := templateDir()
	if err == nil {
		err = os.Remove(filepath.Join(dir, "private", "sam.ldb"))
	}
	lock.Close()
	if err != nil {
		t.Fatal(err)
	}
	d := startDomain(t)
	if d.Timings.Provision == 0 {
		t.Errorf("the damaged template was used: %v", d.Timings)
	}
	if err := d.AddUser("dave", "D4ve-Pass!"); err != nil {
		t.Fatal(err)
	}
}

func TestStartRefusesNonEmptyDir(t *testing.T) {
	needAD(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if d, err := Start(dir); err == nil {
		d.Close()
		t.Fatal("Start accepted a non-empty directory")
	}
}

func TestPortTakenIsExplained(t *testing.T) {
	needAD(t)
	// Under the lock, no domain of ours runs: take port 389 ourselves, as
	// a stray LDAP server would, and the check must name the port.
	lock, err := acquireLock(lockWait)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := portsFree(); err != nil {
		t.Fatalf("ports not free under the lock: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:389")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = portsFree()
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:389 is taken") {
		t.Errorf("portsFree with 389 taken = %v; want an error naming the port", err)
	}
}
