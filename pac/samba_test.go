package pac

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate/internal/adrealm"
)

// The accounts of the live Samba domain, and of the PACs under testdata
// captured from it (testdata/README).
const (
	alicePassword  = "Al1ce-Pass!"
	bulkPassword   = "Bulk-Pass!"
	websvcPassword = "W3bsvc-Pass!"

	authorityAsserted = "S-1-18-1" // the KDC checked the client's credentials
	serviceAsserted   = "S-1-18-2" // a service asserted the identity (S4U2Self)
)

// livePAC is one PAC captured from the live domain.
type livePAC struct {
	name     string   // testdata file name, without .pac
	about    string   // what it is, for testdata/README
	client   string   // sAMAccountName of the ticket's client
	groups   []string // the groups (names) the client was put in
	proxy    string   // S4U2Proxy target, for a delegated ticket
	asserted string   // the asserted-identity SID the KDC adds ([MS-DTYP] 2.4.2.4)
	pac      []byte

	logonInfo []byte // urn:mspac:logon-info, if the PAC came through MIT's GSS-API
}

// TestSambaPACs captures PACs from a live Samba AD DC (NEGOTIATE_AD=1,
// make test-ad) and checks that this package decodes from them the SIDs
// that samba-tool reports for the accounts. MIT krb5's pacgrab (testdata/
// pacgrab.c, built here) decrypts each service ticket with the service's
// keytab and checks the PAC's server signature with krb5_pac_verify. With
// NEGOTIATE_WRITE_PAC=1 it also rewrites the samba-*.pac files under
// testdata, their .sids and (with Samba's Python decoder) their .json.
func TestSambaPACs(t *testing.T) {
	if os.Getenv("NEGOTIATE_AD") != "1" {
		t.Skip("Samba AD tests run with NEGOTIATE_AD=1 (make test-ad)")
	}
	d, err := adrealm.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	grab := buildC(t, "pacgrab.c", "krb5")
	gssattr := buildC(t, "gssattr.c", "krb5-gssapi")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	must(d.AddUser("alice", alicePassword))
	must(d.AddGroups("engineers", "readers"))
	must(d.Join("alice", "engineers", "readers"))
	bulk := make([]string, bulkGroups)
	for i := range bulk {
		bulk[i] = fmt.Sprintf("bulk%03d", i+1)
	}
	must(d.AddUser("bulk", bulkPassword))
	must(d.AddGroups(bulk...))
	must(d.Join("bulk", bulk...))
	must(d.AddService("websvc", websvcPassword, "HTTP/localhost"))
	must(d.ForAnyProtocol("websvc", true))
	must(d.AddDelegationService("websvc", "HTTP/localhost"))
	keytab := filepath.Join(d.Dir, "websvc.keytab")
	must(d.ExportKeytab(keytab, "websvc", "HTTP/localhost"))

	dir := d.Dir
	capture := func(name, ccache, service string) []byte {
		t.Helper()
		out := filepath.Join(dir, name+".pac")
		cmd := exec.Command(grab, "FILE:"+ccache, service+"@"+adrealm.Realm, keytab, out)
		cmd.Env = d.Env()
		res, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pacgrab %s: %v: %s", name, err, res)
		}
		t.Logf("pacgrab %s: %s", name, strings.TrimSpace(string(res)))
		// MIT 1.20 checks Samba's server signature with the service key,
		// and refuses a wrong key.
		if !strings.Contains(string(res), "krb5_pac_verify (server key 18): ok") ||
			strings.Contains(string(res), "wrong key: ok") {
			t.Errorf("pacgrab %s: MIT's krb5_pac_verify did not behave: %s", name, res)
		}
		b, err := os.ReadFile(out)
		must(err)
		return b
	}
	kinit := func(user, password string) string {
		t.Helper()
		cc := filepath.Join(dir, user+".ccache")
		must(d.Kinit(user, password, cc))
		return cc
	}
	kvno := func(cc string, args ...string) {
		t.Helper()
		if out, err := d.Run("kvno", append([]string{"-c", "FILE:" + cc}, args...)...); err != nil {
			t.Fatalf("kvno %v: %v: %s", args, err, out)
		}
	}

	var pacs []livePAC
	cc := kinit("alice", alicePassword)
	kvno(cc, "HTTP/localhost")
	pacs = append(pacs, livePAC{name: "samba-alice", client: "alice", groups: []string{"engineers", "readers"},
		about: "alice (in engineers and readers), service ticket to HTTP/localhost: kinit alice; kvno HTTP/localhost",
		pac:   capture("samba-alice", cc, "HTTP/localhost")})

	// The same ticket through MIT's GSS-API acceptor: the whole PAC
	// ("urn:mspac:") and the logon-info buffer alone, both authenticated.
	gssDir := filepath.Join(dir, "gss")
	must(os.Mkdir(gssDir, 0o700))
	cmd := exec.Command(gssattr, keytab, "HTTP@localhost", gssDir)
	cmd.Env = append(d.Env(), "KRB5CCNAME=FILE:"+cc)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gssattr: %v: %s", err, res)
	}
	t.Logf("MIT's name attributes for alice:\n%s", res)
	for _, attr := range []string{MITWholePAC, TypeLogonInfo.MITAttribute(), TypeUPNDNSInfo.MITAttribute()} {
		if !strings.Contains(string(res), attr+" authenticated=1 ") {
			t.Errorf("MIT did not give %s as authenticated", attr)
		}
	}
	whole, err := os.ReadFile(filepath.Join(gssDir, "whole.pac"))
	must(err)
	logonInfo, err := os.ReadFile(filepath.Join(gssDir, "logon-info.bin"))
	must(err)
	pacs = append(pacs, livePAC{name: "mit-gss-alice", client: "alice", groups: []string{"engineers", "readers"},
		about: "alice, as MIT krb5 1.20's gss_get_name_attribute(\"urn:mspac:\") returned it after gss_accept_sec_context (testdata/gssattr.c)",
		pac:   whole, logonInfo: logonInfo})

	cc = kinit("bulk", bulkPassword)
	kvno(cc, "HTTP/localhost")
	pacs = append(pacs, livePAC{name: "samba-bulk300", client: "bulk", groups: bulk,
		about: fmt.Sprintf("bulk, in %d groups bulk001..bulk%03d, service ticket to HTTP/localhost", bulkGroups, bulkGroups),
		pac:   capture("samba-bulk300", cc, "HTTP/localhost")})

	svc := filepath.Join(dir, "websvc.ccache")
	must(d.KinitKeytab("websvc", keytab, svc))
	// S4U2Self: the service's ticket to itself (its account name: MIT
	// insists that client and server names match) for alice.
	kvno(svc, "-U", "alice", "websvc")
	pacs = append(pacs, livePAC{name: "samba-s4u2self", client: "alice", groups: []string{"engineers", "readers"},
		asserted: serviceAsserted,
		about:    "alice by S4U2Self (protocol transition): kinit -k websvc; kvno -U alice websvc",
		pac:      capture("samba-s4u2self", svc, "websvc")})

	svc2 := filepath.Join(dir, "websvc-proxy.ccache")
	must(d.KinitKeytab("websvc", keytab, svc2))
	kvno(svc2, "-U", "alice", "-P", "HTTP/localhost")
	pacs = append(pacs, livePAC{name: "samba-s4u2proxy", client: "alice", groups: []string{"engineers", "readers"},
		asserted: serviceAsserted, proxy: "HTTP/localhost",
		about: "alice by S4U2Self then S4U2Proxy to HTTP/localhost (constrained delegation): kinit -k websvc; kvno -U alice -P HTTP/localhost",
		pac:   capture("samba-s4u2proxy", svc2, "HTTP/localhost")})

	// The same PAC as Samba's own client sees it (net ads kerberos pac save).
	netPAC := filepath.Join(dir, "net-ads.pac")
	must(d.SavePAC("alice", alicePassword, "HTTP/localhost", keytab, netPAC, ""))
	b, err := os.ReadFile(netPAC)
	must(err)
	pacs = append(pacs, livePAC{name: "samba-alice-netads", client: "alice", groups: []string{"engineers", "readers"},
		about: "alice, as Samba's net ads kerberos pac save got and verified it", pac: b})

	domainSID, err := d.DomainSID()
	must(err)
	for _, lp := range pacs {
		t.Run(lp.name, func(t *testing.T) {
			names := append([]string{lp.client}, lp.groups...)
			sids, err := d.SIDs(names...)
			if err != nil {
				t.Fatal(err)
			}
			asserted := lp.asserted
			if asserted == "" {
				asserted = authorityAsserted
			}
			// Domain Users, every user's primary group, comes first; the
			// asserted identity, an extra SID, last.
			groups := append([]string{domainSID + "-513"}, sids[1:]...)
			want := expectedSIDs{user: sids[0], upn: lp.client + "@" + adrealm.DNSDomain, proxy: lp.proxy,
				groups: append(groups, asserted)}
			checkPAC(t, lp.pac, want)
			if lp.logonInfo != nil {
				checkMITLogonInfo(t, lp.pac, lp.logonInfo)
			}
			if os.Getenv("NEGOTIATE_WRITE_PAC") == "1" {
				writeTestdata(t, lp, want)
			}
		})
	}
}

// writeTestdata writes lp's PAC, its expected SIDs and Samba's decoding of
// it under testdata.
func writeTestdata(t *testing.T, lp livePAC, want expectedSIDs) {
	t.Helper()
	base := filepath.Join("testdata", lp.name)
	if err := os.WriteFile(base+".pac", lp.pac, 0o644); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "# %s.pac: %s.\n# The SIDs are samba-tool's objectSid of the accounts, plus those the KDC adds.\n", lp.name, lp.about)
	fmt.Fprintf(&sb, "user %s\nupn %s\n", want.user, want.upn)
	if want.proxy != "" {
		fmt.Fprintf(&sb, "proxy %s\n", want.proxy)
	}
	for _, g := range want.groups {
		fmt.Fprintf(&sb, "group %s\n", g)
	}
	if err := os.WriteFile(base+".sids", []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if lp.logonInfo != nil {
		if err := os.WriteFile(base+".logon-info", lp.logonInfo, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, filepath.Join("testdata", "samba_expected.py"), base+".pac").CombinedOutput(); err != nil {
		t.Fatalf("samba_expected.py: %v: %s", err, out)
	}
}

// buildC compiles testdata/src against the pkg-config package pkg (MIT
// krb5's libraries) into the test's temporary directory.
func buildC(t *testing.T, src, pkg string) string {
	t.Helper()
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", pkg).Output()
	if err != nil {
		t.Fatalf("pkg-config %s (libkrb5-dev): %v", pkg, err)
	}
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(src, ".c"))
	args := append([]string{"-Wall", "-o", out, filepath.Join("testdata", src)}, strings.Fields(string(flags))...)
	if res, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v: %s", src, err, res)
	}
	return out
}
