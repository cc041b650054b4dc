package integration

import (
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// writeCorpusVar names the environment variable that makes
// TestWriteFuzzCorpus write the seed corpora.
const writeCorpusVar = "NEGOTIATE_WRITE_CORPUS"

// TestWriteFuzzCorpus writes the seed corpora of every fuzz target of the
// module, in testdata/fuzz/<Target>/seed-* beside each target, from real
// tokens, headers, principals and ccache files made with the fixture's KDC.
// `go test` runs these files as seeds of every test run and starts fuzzing
// from them. It runs only when NEGOTIATE_WRITE_CORPUS is set; it replaces
// the seed-* files it wrote before and leaves any other file (a crasher the
// fuzzer saved) alone:
//
//	NEGOTIATE_WRITE_CORPUS=1 go test -run TestWriteFuzzCorpus ./integration/
//
// The tokens' tickets are encrypted in the throwaway realm's keys, so they
// fail to decrypt in any later run; they still carry every structure a
// fuzzer should start from.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv(writeCorpusVar) == "" {
		t.Skipf("set %s=1 to write the seed corpora", writeCorpusVar)
	}
	c := &corpus{t: t}
	u := []user{alice(), bob()}
	spnego := mint(t, u[0], target, 0, false)
	raw := mint(t, u[0], target, 0, true)
	deleg := mint(t, u[1], target, negotiate.FlagDelegate, false)
	windows := withWindowsOID(t, mint(t, u[0], target, 0, false))
	noMech, _ := base64.StdEncoding.DecodeString(noMechToken)
	ntlmSPNEGO := spnegoInit(t, []asn1.ObjectIdentifier{oidNTLMSSP}, ntlmNegotiate)
	unknown := decodeValue(t, unknownMech(u[0])(t))
	reply := mutualReply(t, mint(t, u[0], target, 0, false))

	// FuzzAccept (this package): whole tokens for the real acceptor.
	c.target("integration", "FuzzAccept")
	c.bytes("spnego-alice", spnego)
	c.bytes("raw-alice", raw)
	c.bytes("spnego-bob-delegating", deleg)
	c.bytes("raw-bob-delegating", mint(t, u[1], target, negotiate.FlagDelegate, true))
	c.bytes("spnego-windows-oid", windows)
	c.bytes("spnego-other-service", mint(t, u[0], "HTTP@other.localhost", 0, false))
	c.bytes("spnego-no-mech-token", noMech)
	c.bytes("spnego-ntlm", ntlmSPNEGO)
	c.bytes("spnego-unknown-mech", unknown)
	c.bytes("ntlmssp", ntlmNegotiate)

	// FuzzOptimisticKerberos (gss): SPNEGO framings, and what is not one.
	c.target("gss", "FuzzOptimisticKerberos")
	c.bytes("spnego-alice", spnego)
	c.bytes("spnego-bob-delegating", deleg)
	c.bytes("spnego-windows-oid", windows)
	c.bytes("spnego-no-mech-token", noMech)
	c.bytes("spnego-ntlm", ntlmSPNEGO)
	c.bytes("spnego-unknown-mech", unknown)
	c.bytes("raw-kerberos", raw)
	c.bytes("negtokenresp-reply", reply)
	c.bytes("truncated", spnego[:len(spnego)/2])

	// FuzzParseAuthorization and FuzzMiddleware (middleware): headers.
	v := negotiateValue(spnego)
	b := strings.TrimPrefix(v, "Negotiate ")
	headers := map[string]string{
		"spnego":            v,
		"raw":               negotiateValue(raw),
		"delegating":        negotiateValue(deleg),
		"lower-case":        "negotiate " + b,
		"tabs":              "Negotiate\t\t" + b + " \t",
		"url-safe":          "Negotiate " + base64.URLEncoding.EncodeToString(spnego),
		"unpadded":          "Negotiate " + base64.RawStdEncoding.EncodeToString(deleg),
		"inner-space":       "Negotiate " + b[:30] + " " + b[30:],
		"list":              v + ", Basic YWxpY2U6c2VjcmV0",
		"ntlmssp":           negotiateValue(ntlmNegotiate),
		"spnego-ntlm":       negotiateValue(ntlmSPNEGO),
		"no-mech-token":     "Negotiate " + noMechToken,
		"mutual-reply":      negotiateValue(reply),
		"non-utf8":          "Negotiate \xff\xfe" + b[4:],
		"bare-with-padding": "Negotiate ====",
	}
	c.target("middleware", "FuzzParseAuthorization")
	for name, h := range headers {
		c.args("header-"+name, h, 1<<16)
	}
	c.args("header-spnego-over-cap", v, len(b)-1)
	c.args("header-spnego-at-cap", v, len(b))
	c.target("middleware", "FuzzMiddleware")
	for name, h := range headers {
		c.args("header-"+name, h, name == "spnego")
	}

	// FuzzCCacheName (middleware): principals as libraries display them.
	c.target("middleware", "FuzzCCacheName")
	for name, p := range map[string]string{
		"user":            "alice@EXAMPLE.TEST",
		"service":         "HTTP/localhost@EXAMPLE.TEST",
		"tgt":             "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST",
		"host-three-part": "ldap/dc1.example.test/example.test@EXAMPLE.TEST",
		"enterprise":      `alice\@example.com@EXAMPLE.TEST`,
		"windows-machine": "WS01$@CORP.EXAMPLE.COM",
		"lower-realm":     "alice@example.test",
		"unicode":         "jürgen.müller@EXAMPLE.TEST",
		"escaped-slash":   `a\/b@EXAMPLE.TEST`,
		"anonymous":       "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS",
		"per-request":     "alice@EXAMPLE.TEST~0123456789abcdef",
		"escaped-name":    "HTTP%2Flocalhost@EXAMPLE.TEST",
	} {
		c.args("principal-"+name, p)
	}

	// FuzzParse (internal/ccache): ccache files as MIT writes them.
	c.target("internal/ccache", "FuzzParse")
	dir := t.TempDir()
	alicecc := filepath.Join(dir, "alice")
	copyFile(t, strings.TrimPrefix(realm.AliceCCache, "FILE:"), alicecc)
	c.file("v4-alice-tgt-and-service-tickets", alicecc)
	skewed := filepath.Join(dir, "skewed")
	copyFile(t, alicecc, skewed)
	if err := testrealm.RewriteCCache(skewed, time.Hour+123456*time.Microsecond, time.Time{}); err != nil {
		t.Fatal(err)
	}
	c.file("v4-kdc-offset", skewed)
	delegated := filepath.Join(dir, "delegated")
	storeDelegated(t, deleg, "FILE:"+delegated)
	c.file("v4-delegated-by-gss-store", delegated)
	v3 := filepath.Join(dir, "v3")
	kinitVersion3(t, v3)
	c.file("v3-bob-tgt", v3)
	tgt := filepath.Join(dir, "tgt")
	if err := realm.Kinit("bob", testrealm.BobPassword, tgt, "-l", "1h"); err != nil {
		t.Fatal(err)
	}
	c.file("v4-bob-tgt-only", tgt)
}

// corpus writes seed files.
type corpus struct {
	t   *testing.T
	dir string
}

// target starts writing the corpus of fuzz target name of package pkg
// (relative to the module root): it removes the seed-* files there.
func (c *corpus) target(pkg, name string) {
	c.t.Helper()
	c.dir = filepath.Join("..", pkg, "testdata", "fuzz", name)
	if pkg == "integration" {
		c.dir = filepath.Join("testdata", "fuzz", name)
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(c.dir, "seed-*"))
	for _, f := range old {
		os.Remove(f)
	}
}

func (c *corpus) bytes(name string, b []byte) { c.args(name, b) }

func (c *corpus) file(name, path string) {
	c.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	c.args(name, b)
}

// args writes one seed file in the format of `go test fuzz v1`.
func (c *corpus) args(name string, args ...any) {
	c.t.Helper()
	var s strings.Builder
	s.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch a := a.(type) {
		case []byte:
			fmt.Fprintf(&s, "[]byte(%q)\n", a)
		case string:
			fmt.Fprintf(&s, "string(%q)\n", a)
		case int:
			fmt.Fprintf(&s, "int(%d)\n", a)
		case bool:
			fmt.Fprintf(&s, "bool(%v)\n", a)
		default:
			c.t.Fatalf("seed %s: type %T", name, a)
		}
	}
	if err := os.WriteFile(filepath.Join(c.dir, "seed-"+name), []byte(s.String()), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// mutualReply accepts tok and returns the acceptor's reply.
func mutualReply(t *testing.T, tok []byte) []byte {
	t.Helper()
	acc, err := gss.NewAcceptor(realm.AcceptorOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()
	res, err := acc.Accept(tok)
	if err != nil {
		t.Fatal(err)
	}
	return res.OutputToken
}

// storeDelegated accepts a delegating token and stores the credential.
func storeDelegated(t *testing.T, tok []byte, ccache string) {
	t.Helper()
	acc, err := gss.NewAcceptor(realm.AcceptorOptions(gss.WithReplayCache("none:"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()
	res, err := acc.Accept(tok)
	if err != nil || res.Delegated == nil {
		t.Fatalf("accept: %v, delegated %v", err, res.Delegated != nil)
	}
	defer res.Delegated.Release()
	if err := res.Delegated.Store(ccache); err != nil {
		t.Fatal(err)
	}
}

// kinitVersion3 gets bob a TGT into a version 3 ccache, with a krb5.conf
// that asks for that format.
func kinitVersion3(t *testing.T, path string) {
	t.Helper()
	conf, err := os.ReadFile(realm.Config)
	if err != nil {
		t.Fatal(err)
	}
	v3conf := filepath.Join(t.TempDir(), "krb5.conf")
	conf = []byte(strings.Replace(string(conf), "[libdefaults]\n", "[libdefaults]\n\tccache_type = 3\n", 1))
	if err := os.WriteFile(v3conf, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("kinit", "-c", "FILE:"+path, "bob")
	cmd.Env = append(realm.Env(), "KRB5_CONFIG="+v3conf)
	cmd.Stdin = strings.NewReader(testrealm.BobPassword + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
}
