package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/adrealm"
)

// Tests of the demo binary (cmd/demo) against a real Active Directory, as
// its contract for AD has it: `demo -keytab KEYTAB -hostname localhost`
// with the domain's krb5.conf, and curl as the client (NEGOTIATE_AD=1).

const adCarolPassword = "C4rol-AD-Pass!"

// manyGroups is how many groups carol is in: enough for a PAC of some
// 10 KB, as users of large organisations have.
const manyGroups = 300

// adDemo is the demo serving with the AD fixture's keytab.
type adDemo struct {
	*demoProc
	base string // "http://localhost:PORT": curl asks for HTTP/localhost
}

// startADDemo runs the demo with f's keytab and environment, and args.
func startADDemo(t *testing.T, f *adFixture, args ...string) *adDemo {
	t.Helper()
	d := startDemo(t, buildDemo(t), f.Env(), nil, append([]string{"-keytab", f.keytab, "-hostname", "localhost"}, args...)...)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(d.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return &adDemo{d, "http://localhost:" + port}
}

// as runs curl --negotiate against path as the user whose ccache is given.
func (d *adDemo) as(t *testing.T, f *adFixture, ccache, path string) curlResult {
	t.Helper()
	return runCurl(t, append(f.Env(), "KRB5CCNAME="+ccache), d.base+path, "--negotiate", "--user", ":")
}

// adInfo is the demo's /info, as far as these tests read it.
type adInfo struct {
	Principal string   `json:"principal"`
	UserSID   string   `json:"user_sid"`
	GroupSIDs []string `json:"group_sids"`
	UPN       string   `json:"upn"`
}

// info asks /info as ccache's user and checks that it is JSON with every
// key of the demo's contract. It returns the JSON too.
func (d *adDemo) info(t *testing.T, f *adFixture, ccache string) (adInfo, string) {
	t.Helper()
	res := d.as(t, f, ccache, "/info")
	if st, ct := res.last().status, res.last().header.Get("Content-Type"); st != http.StatusOK || ct != "application/json" {
		t.Fatalf("/info: %d %s %q", st, ct, res.body)
	}
	var keys map[string]any
	if err := json.Unmarshal([]byte(res.body), &keys); err != nil {
		t.Fatalf("/info: %v\n%s", err, res.body)
	}
	for _, k := range []string{"principal", "local_name", "user_sid", "group_sids", "upn", "auth_indicators",
		"delegation", "ccache", "session", "channel_bound", "mech", "expires"} {
		if v, ok := keys[k]; !ok || v == nil {
			t.Errorf("/info has no %q:\n%s", k, res.body)
		}
	}
	var info adInfo
	if err := json.Unmarshal([]byte(res.body), &info); err != nil {
		t.Fatal(err)
	}
	return info, res.body
}

// kinit gets user a forwardable TGT into a new ccache and returns it.
func (f *adFixture) kinit(t *testing.T, user, password string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), user+".ccache")
	if err := f.Kinit(user, password, path); err != nil {
		t.Fatal(err)
	}
	return "FILE:" + path
}

// timed runs step and logs how long it took.
func timed(t *testing.T, what string, step func() error) {
	t.Helper()
	t0 := time.Now()
	if err := step(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	t.Logf("%s: %v", what, time.Since(t0).Round(time.Millisecond))
}

// TestADDemo runs the demo on the AD fixture's keytab and asks it, with
// curl, as alice, bob, and carol, who is in 300 groups:
//   - /info holds the SIDs the directory has: the user's, and the groups'
//     with Domain Users;
//   - -allow-group with engineers' SID lets alice in and refuses bob (403,
//     anonymous on /public), and a session cookie keeps engineers alone;
//   - carol's token, a PAC of 300 groups, passes the default size cap
//     (64 KiB of base64), and /info lists every one of her groups.
func TestADDemo(t *testing.T) {
	f := startAD(t)
	t.Logf("domain: %v", f.Timings)
	many := make([]string, manyGroups)
	for i := range many {
		many[i] = fmt.Sprintf("many%03d", i+1)
	}
	timed(t, "carol and her 300 groups", func() error {
		if err := f.AddUser("carol", adCarolPassword); err != nil {
			return err
		}
		if err := f.AddGroups(many...); err != nil {
			return err
		}
		return f.Join("carol", many...)
	})
	var sids, manySIDs []string
	timed(t, "the directory's SIDs", func() (err error) {
		if sids, err = f.SIDs("alice", "bob", "carol", "engineers", "readers", "Domain Users"); err != nil {
			return err
		}
		manySIDs, err = f.SIDs(many...)
		return err
	})
	aliceSID, bobSID, carolSID, engineers, readers, domainUsers := sids[0], sids[1], sids[2], sids[3], sids[4], sids[5]
	alice := f.kinit(t, "alice", adAlicePassword)
	bob := f.kinit(t, "bob", adBobPassword)
	carol := f.kinit(t, "carol", adCarolPassword)

	t.Run("info", func(t *testing.T) {
		d := startADDemo(t, f)
		info, body := d.info(t, f, alice)
		t.Logf("alice's /info:\n%s", body)
		if info.Principal != "alice@"+adrealm.Realm || info.UserSID != aliceSID || !strings.EqualFold(info.UPN, "alice@"+adrealm.Realm) {
			t.Errorf("alice's /info: %+v, want user SID %s", info, aliceSID)
		}
		for _, g := range []string{engineers, readers, domainUsers} {
			if !slices.Contains(info.GroupSIDs, g) {
				t.Errorf("alice's group_sids %q lack %s", info.GroupSIDs, g)
			}
		}
		info, _ = d.info(t, f, bob)
		if info.UserSID != bobSID || !slices.Contains(info.GroupSIDs, domainUsers) ||
			slices.Contains(info.GroupSIDs, engineers) || slices.Contains(info.GroupSIDs, readers) {
			t.Errorf("bob's /info: %+v, want user SID %s, Domain Users and neither of alice's groups", info, bobSID)
		}
	})

	t.Run("allow-group", func(t *testing.T) {
		d := startADDemo(t, f, "-allow-group", engineers)
		if r := d.as(t, f, alice, "/whoami"); r.last().status != http.StatusOK || r.body != "alice@"+adrealm.Realm+"\n" {
			t.Errorf("alice, in engineers: %d %q", r.last().status, r.body)
		}
		if r := d.as(t, f, bob, "/whoami"); r.last().status != http.StatusForbidden {
			t.Errorf("bob, in no allowed group: %d %q, want 403", r.last().status, r.body)
		}
		if r := d.as(t, f, bob, "/public"); r.last().status != http.StatusOK || r.body != "anonymous\n" {
			t.Errorf("bob on /public: %d %q, want anonymous", r.last().status, r.body)
		}
		log := d.stderr.String()
		if !strings.Contains(log, `groups=[`+engineers+`]`) ||
			!strings.Contains(logLine(log, "principal=bob@"+adrealm.Realm), "reason=group_not_allowed") {
			t.Errorf("the log lacks the allowed group or bob's refusal:\n%s", log)
		}
	})

	// A session cookie keeps, of the PAC's groups, those -allow-group
	// names: the request it authenticates is let in by them, and /info
	// shows those alone.
	t.Run("allow-group with sessions", func(t *testing.T) {
		keys := filepath.Join(t.TempDir(), "session.keys")
		if err := os.WriteFile(keys, []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		d := startADDemo(t, f, "-allow-group", engineers, "-session-key-file", keys)
		jar := filepath.Join(t.TempDir(), "cookies.txt")
		first := runCurl(t, append(f.Env(), "KRB5CCNAME="+alice), d.base+"/info", "--negotiate", "--user", ":", "-c", jar)
		if first.last().status != http.StatusOK || first.last().header.Get("Set-Cookie") == "" {
			t.Fatalf("alice's first /info: %d, Set-Cookie %q\n%s", first.last().status, first.last().header.Get("Set-Cookie"), first.body)
		}
		noTicket := append(f.Env(), "KRB5CCNAME=FILE:"+filepath.Join(t.TempDir(), "none"))
		second := runCurl(t, noTicket, d.base+"/info", "-b", jar)
		var info struct {
			adInfo
			Session bool `json:"session"`
		}
		if err := json.Unmarshal([]byte(second.body), &info); err != nil || second.last().status != http.StatusOK {
			t.Fatalf("alice's /info with the cookie alone: %d %v\n%s", second.last().status, err, second.body)
		}
		if !info.Session || info.UserSID != aliceSID || !slices.Equal(info.GroupSIDs, []string{engineers}) {
			t.Errorf("alice's /info with the cookie: %+v, want a session, her SID and engineers alone", info)
		}
	})

	t.Run("300 groups", func(t *testing.T) {
		d := startADDemo(t, f)
		res := d.as(t, f, carol, "/info")
		if res.last().status != http.StatusOK || len(res.sent) != 1 {
			t.Fatalf("carol's /info: %d, %d tokens sent\n%s", res.last().status, len(res.sent), res.body)
		}
		aliceToken := d.as(t, f, alice, "/whoami").sent
		const capBase64 = 64 << 10 // the middleware's default cap
		tok := strings.TrimPrefix(res.sent[0], "Negotiate ")
		t.Logf("carol's token, in %d groups: %d bytes of base64 (%d raw), the Authorization header %d bytes; alice's, in 2: %d bytes of base64; the cap: %d",
			manyGroups, len(tok), len(tok)*3/4, len("Authorization: ")+len(res.sent[0]), len(strings.TrimPrefix(aliceToken[0], "Negotiate ")), capBase64)
		if len(tok) > capBase64 {
			t.Errorf("carol's token is %d bytes of base64, over the default cap of %d", len(tok), capBase64)
		}
		info, body := d.info(t, f, carol)
		if info.UserSID != carolSID {
			t.Errorf("carol's user SID %s, want %s", info.UserSID, carolSID)
		}
		for _, g := range append(manySIDs, domainUsers) {
			if !slices.Contains(info.GroupSIDs, g) {
				t.Errorf("carol's group_sids (%d) lack %s", len(info.GroupSIDs), g)
			}
		}
		t.Logf("carol's /info lists %d group SIDs, %d bytes of JSON", len(info.GroupSIDs), len(body))
	})
}

// TestADDemoSelfcheck runs `demo -realm ad -selfcheck`: the demo starts a
// domain of its own and runs its client through every route. It must exit
// 0. It runs after TestADDemo has closed its domain: one at a time.
func TestADDemoSelfcheck(t *testing.T) {
	if os.Getenv("NEGOTIATE_AD") != "1" {
		t.Skip("Samba AD tests run with NEGOTIATE_AD=1 (make test-ad)")
	}
	cmd := exec.Command(buildDemo(t), "-realm", "ad", "-selfcheck", "-listen", "127.0.0.1:0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "selfcheck: PASS") {
		t.Fatalf("demo -realm ad -selfcheck: %v\nstdout: %s\nstderr: %s", err, out, stderr.Bytes())
	}
	t.Logf("%s in %v", bytes.TrimSpace(out), time.Since(t0).Round(time.Millisecond))
	if line := logLine(stderr.String(), `msg="new AD domain"`); line == "" {
		t.Errorf("the demo's log names no new AD domain:\n%s", stderr.Bytes())
	} else {
		t.Log(line)
	}
}
