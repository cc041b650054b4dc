package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/adrealm"
)

// The demo binary with -constrained-delegation against Samba's AD DC
// (NEGOTIATE_AD=1): curl, which delegates nothing, reaches /delegated as
// alice through a proxy credential, once the domain lets websvc delegate
// to its own SPN, HTTP/localhost, which /delegated calls.

// TestS4UDemo runs the demo on the AD fixture's keytab (websvc first,
// then HTTP/localhost) with -constrained-delegation, and curl as alice,
// without --delegation:
//   - before websvc may delegate to HTTP/localhost, /delegated is a 502 and
//     the demo's log says the KDC refused: the hop is a real S4U2Proxy,
//     not the evidence ticket reused;
//   - then /delegated answers with alice's name and /info says "proxy";
//   - with -delegation-dir, the proxy credential goes into alice's file,
//     /delegated works from that file, and /info names it.
func TestS4UDemo(t *testing.T) {
	if gss.Library() == "Heimdal" {
		// No domain needed to show that the demo fails at start-up.
		cmd := exec.Command(buildDemo(t), "-listen", "127.0.0.1:0", "-keytab", realm.Keytab, "-hostname", "localhost", "-constrained-delegation")
		cmd.Env = realm.Env()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "Heimdal's GSS-API has no S4U") {
			t.Errorf("demo -constrained-delegation under Heimdal: %v, want exit status 1 and gss's reason\n%s", err, stderr.String())
		}
		t.Skip("Heimdal's GSS-API has no S4U; the demo fails at start-up, as checked")
	}
	f := startAD(t)
	t.Logf("domain: %v", f.Timings)
	alice := f.kinit(t, "alice", adAlicePassword)
	const aliceName = "alice@" + adrealm.Realm
	d := startADDemo(t, f, "-constrained-delegation")

	t.Run("NotListed", func(t *testing.T) {
		res := d.as(t, f, alice, "/delegated")
		if res.last().status != http.StatusBadGateway {
			t.Errorf("/delegated before websvc may delegate to %s: %d %q, want 502", adService, res.last().status, res.body)
		}
		// The demo names its own service as GSS-API does, HTTP@localhost.
		want := "the KDC refused websvc@" + adrealm.Realm + " constrained delegation (S4U2Proxy) for " + aliceName +
			" to HTTP@localhost: HTTP@localhost is not among the services websvc@" + adrealm.Realm + " may delegate to"
		if line := logLine(d.stderr.String(), `msg="delegated call failed"`); !strings.Contains(line, want) {
			t.Errorf("the demo's log lacks %q:\n%s", want, d.stderr.String())
		}
	})

	timed(t, "websvc may delegate to "+adService, func() error { return f.AddDelegationService("websvc", adService) })

	t.Run("Proxy", func(t *testing.T) {
		res := d.as(t, f, alice, "/delegated")
		if res.last().status != http.StatusOK || len(res.sent) != 1 ||
			!strings.HasSuffix(res.body, "with a proxy credential (constrained delegation) in memory, and got 200 OK: "+aliceName+"\n") {
			t.Errorf("/delegated: %d, %d tokens sent, %q; want alice through a proxy credential", res.last().status, len(res.sent), res.body)
		}
		if info := s4uInfo(t, d, f, alice); info.Delegation != "proxy" || info.Principal != aliceName || info.CCache != "" {
			t.Errorf("/info: %+v, want alice, delegation proxy and no ccache", info)
		}
	})

	t.Run("DelegationDir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "deleg")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		d := startADDemo(t, f, "-constrained-delegation", "-delegation-dir", dir)
		file := filepath.Join(dir, aliceName)
		res := d.as(t, f, alice, "/delegated")
		if res.last().status != http.StatusOK || !strings.HasSuffix(res.body, "with a proxy credential (constrained delegation) in the ccache FILE:"+file+", and got 200 OK: "+aliceName+"\n") {
			t.Errorf("/delegated: %d %q; want alice through the stored proxy credential", res.last().status, res.body)
		}
		if info := s4uInfo(t, d, f, alice); info.Delegation != "proxy" || info.CCache != "FILE:"+file {
			t.Errorf("/info: %+v, want delegation proxy and ccache FILE:%s", info, file)
		}
		out, err := f.Run("klist", "-C", "-c", "FILE:"+file)
		if err != nil || !strings.Contains(out, "config: proxy_impersonator = websvc@"+adrealm.Realm) {
			t.Errorf("alice's stored file is no proxy credential: %v\n%s", err, out)
		}
	})
}

// s4uInfo is the demo's /info as ccache's user, with the keys these tests
// read.
func s4uInfo(t *testing.T, d *adDemo, f *adFixture, ccache string) (info struct {
	Principal  string `json:"principal"`
	Delegation string `json:"delegation"`
	CCache     string `json:"ccache"`
}) {
	t.Helper()
	_, body := d.info(t, f, ccache)
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatal(err)
	}
	return info
}

// TestS4UDemoSelfcheck runs `demo -realm ad -constrained-delegation
// -selfcheck`: the demo starts a domain of its own, in which websvc may
// delegate to HTTP/localhost, and its client reaches /delegated without
// delegating, through a proxy credential. It must exit 0. It runs after
// TestS4UDemo has closed its domain: one at a time.
func TestS4UDemoSelfcheck(t *testing.T) {
	if os.Getenv("NEGOTIATE_AD") != "1" {
		t.Skip("Samba AD tests run with NEGOTIATE_AD=1 (make test-ad)")
	}
	if gss.Library() == "Heimdal" {
		t.Skip("Heimdal's GSS-API has no S4U (TestS4UDemo checks that the demo says so)")
	}
	cmd := exec.Command(buildDemo(t), "-realm", "ad", "-constrained-delegation", "-selfcheck", "-listen", "127.0.0.1:0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "selfcheck: PASS") {
		t.Fatalf("demo -realm ad -constrained-delegation -selfcheck: %v\nstdout: %s\nstderr: %s", err, out, stderr.Bytes())
	}
	t.Logf("%s in %v", bytes.TrimSpace(out), time.Since(t0).Round(time.Millisecond))
	if line := logLine(stderr.String(), `msg="constrained delegation: the service account may delegate to its own SPN`); line == "" {
		t.Errorf("the demo's log does not say websvc may delegate to its SPN:\n%s", stderr.Bytes())
	}
}
