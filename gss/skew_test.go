package gss_test

import (
	"errors"
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

// childEnv marks a run of this test binary that a test started as a child
// process, for a library configuration the parent process cannot have:
// Heimdal reads krb5.conf once per thread, so a running process cannot
// switch it. Its value names the test the child runs.
const childEnv = "NEGOTIATE_GSS_CHILD"

// runChild runs test in a child process of this binary, with the parent's
// environment plus env, and fails t with the child's output if it fails.
func runChild(t *testing.T, test string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), childEnv+"="+test), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("child %s: %v\n%s", test, err, out)
	}
}

// inChild reports whether this process is the child runChild started for
// t's test.
func inChild(t *testing.T) bool { return os.Getenv(childEnv) == t.Name() }

// withClockSkew writes a copy of the realm's krb5.conf that allows clock
// skew skew, and returns its path.
func withClockSkew(t *testing.T, skew time.Duration) string {
	t.Helper()
	conf, err := os.ReadFile(realm.Config)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(conf), "[libdefaults]\n",
		fmt.Sprintf("[libdefaults]\n\tclockskew = %d\n", int(skew/time.Second)), 1)
	path := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReplayRefusedForTheWholeClockSkew replays a token whose client clock
// is 800 s ahead, under clockskew = 900, after the acceptor's clock has
// moved on 11 minutes. The library still takes the authenticator's time as
// within the skew, so only a replay cache that keeps the token for the
// skew on both sides of that time refuses it. (Heimdal's acceptor keeps no
// replay cache, so there it is this package's; a cache that forgot tokens
// after a fixed 10 minutes let this one in again.)
func TestReplayRefusedForTheWholeClockSkew(t *testing.T) {
	const skew = 900 * time.Second
	if !inChild(t) {
		// alice's ccache, with the service ticket, and a KDC time offset
		// that puts her clock 800 s ahead of the server's.
		cc := filepath.Join(t.TempDir(), "alice.ccache")
		data, err := os.ReadFile(strings.TrimPrefix(realm.AliceCCache, "FILE:"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cc, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := realm.ServiceTicket(cc, testrealm.Service); err != nil {
			t.Fatal(err)
		}
		if err := testrealm.RewriteCCache(cc, 800*time.Second, time.Time{}); err != nil {
			t.Fatal(err)
		}
		runChild(t, t.Name(), "KRB5_CONFIG="+withClockSkew(t, skew),
			"TEST_CCACHE=FILE:"+cc, "TEST_KEYTAB="+realm.Keytab)
		return
	}

	acc, err := gss.NewAcceptor(gss.WithKeytab(os.Getenv("TEST_KEYTAB")), gss.WithHostname("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()
	accepted := time.Now()
	now := accepted
	gss.SetClock(acc, func() time.Time { return now })
	tok, err := testrealm.Token(os.Getenv("TEST_CCACHE"), "HTTP@localhost", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Accept(tok); err != nil {
		t.Fatalf("a token 800 s ahead under clockskew = 900: %v", err)
	}
	for _, later := range []time.Duration{time.Second, 11 * time.Minute, 2*skew - time.Second} {
		now = accepted.Add(later)
		if res, err := acc.Accept(tok); !errors.Is(err, negotiate.ErrReplay) {
			t.Errorf("replayed %v later: %v, %v; want a replay", later, res.Principal, err)
		}
	}
}
