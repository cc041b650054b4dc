package main

// Tests of -constrained-delegation with the embedded MIT realm, whose KDC
// makes proxy credentials possible (S4U2Self) and refuses S4U2Proxy for
// other services; /delegated calls the service itself, for which MIT uses
// the evidence ticket the proxy credential holds. The double hop through
// a KDC's delegation list is in integration/s4u_demo_test.go
// (NEGOTIATE_AD=1).

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/ccache"
)

// TestConstrainedDelegation: with -constrained-delegation the demo's own
// instructions, curl without --delegation, reach /delegated as alice with
// a proxy credential, /info says "proxy", and -selfcheck passes. Under
// Heimdal the demo fails at start-up with gss's reason.
func TestConstrainedDelegation(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (apt-get install curl)")
	}
	bin := buildDemo(t)
	if gss.Library() == "Heimdal" {
		cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-constrained-delegation")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 ||
			!strings.Contains(stderr.String(), "WithConstrainedDelegation: Heimdal's GSS-API has no S4U") {
			t.Errorf("under Heimdal: %v, want exit status 1 and gss's reason:\n%s", err, stderr.String())
		}
		return
	}

	t.Run("curl", func(t *testing.T) {
		d := startDemoServer(t, bin, "-constrained-delegation")
		var delegated string
		for _, l := range d.curls {
			if strings.Contains(l, "--delegation") {
				t.Errorf("the demo tells curl to delegate: %s", l)
			}
			if strings.HasSuffix(l, "/delegated") {
				delegated = l
			}
		}
		if delegated == "" {
			t.Fatalf("no curl line for /delegated: %q", d.curls)
		}
		out := d.curl(t, t.TempDir(), d.env, strings.Fields(delegated)[1:]...)
		if !strings.Contains(out, "200 OK") || !strings.Contains(out, "with a proxy credential (constrained delegation) in memory, and got 200 OK: alice@EXAMPLE.TEST\n") {
			t.Errorf("%s:\n%s", delegated, out)
		}
		url := "http://localhost:" + d.port + "/info"
		if _, info := decodeInfo(t, d.curl(t, t.TempDir(), d.env, "--negotiate", "-u", ":", url)); info.Delegation != "proxy" {
			t.Errorf("/info, not delegating: %+v, want delegation proxy", info)
		}
		if _, info := decodeInfo(t, d.curl(t, t.TempDir(), d.env, "--negotiate", "-u", ":", "--delegation", "always", url)); info.Delegation != "forwarded" {
			t.Errorf("/info, delegating: %+v, want delegation forwarded", info)
		}
		if !d.logHas("level=WARN", "constrained delegation with the embedded MIT realm") {
			t.Errorf("the log does not say what the MIT realm shows:\n%s", d.stderr)
		}
	})

	t.Run("selfcheck", func(t *testing.T) {
		cmd := exec.Command(bin, "-selfcheck", "-constrained-delegation", "-listen", "127.0.0.1:0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), "selfcheck: PASS: 8 checks") {
			t.Errorf("demo -selfcheck -constrained-delegation: %v\nstdout: %s\nstderr: %s", err, out, stderr.Bytes())
		}
	})
}

// TestCCacheKind: /info names a session's stored ccache by what it holds:
// "proxy" for a proxy credential, which MIT marks with a
// proxy_impersonator configuration entry, else "forwarded".
func TestCCacheKind(t *testing.T) {
	dir := t.TempDir()
	alice := ccache.Principal{NameType: 1, Realm: "EXAMPLE.TEST", Components: []string{"alice"}}
	websvc := ccache.Principal{NameType: 1, Realm: "EXAMPLE.TEST", Components: []string{"websvc"}}
	tgt := ccache.Principal{NameType: 2, Realm: "EXAMPLE.TEST", Components: []string{"krbtgt", "EXAMPLE.TEST"}}
	config := func(name string) ccache.Credential {
		return ccache.Credential{Client: alice, Server: ccache.Principal{Realm: ccache.ConfigRealm, Components: []string{"krb5_ccache_conf_data", name}}}
	}
	end := time.Now().Add(time.Hour)
	for _, tt := range []struct {
		name  string
		creds []ccache.Credential
		want  string
	}{
		{"forwarded", []ccache.Credential{config("fast_avail"), {Client: alice, Server: tgt, EndTime: end}}, "forwarded"},
		{"proxy", []ccache.Credential{{Client: websvc, Server: tgt, EndTime: end}, config("proxy_impersonator"), {Client: alice, Server: websvc, EndTime: end}}, "proxy"},
	} {
		path := filepath.Join(dir, tt.name)
		c := &ccache.Cache{Version: ccache.Version4, Default: alice, Credentials: tt.creds}
		if err := os.WriteFile(path, c.Marshal(), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := ccacheKind(path); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := ccacheKind(filepath.Join(dir, "missing")); got != "forwarded" {
		t.Errorf("a missing file: %q, want forwarded", got)
	}
}
