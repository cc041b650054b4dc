package main

// Tests of GET /info and -allow-group against the embedded MIT realm: its
// tickets carry no PAC.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// infoContract is every key of /info, as the demo's contract lists them.
var infoContract = []string{
	"principal", "local_name", "user_sid", "group_sids", "upn", "auth_indicators",
	"delegation", "ccache", "session", "channel_bound", "mech", "expires",
}

// decodeInfo splits curl --include's output into the header and the JSON
// body, checks the content type and that the body has every key of the
// contract, in order, with no null, and decodes it.
func decodeInfo(t *testing.T, out string) (header string, info infoReply) {
	t.Helper()
	header, body, ok := strings.Cut(out, "\r\n\r\n")
	if !ok || !strings.Contains(header, "200 OK") {
		t.Fatalf("/info:\n%s", out)
	}
	if !strings.Contains(strings.ToLower(header), "content-type: application/json") {
		t.Errorf("/info's content type is not application/json:\n%s", header)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("/info is not a JSON object: %v\n%s", err, body)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("/info: %v\n%s", err, body)
		}
		keys = append(keys, tok.(string))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("/info: %v\n%s", err, body)
		}
		if v == nil {
			t.Errorf("/info's %q is null:\n%s", tok, body)
		}
	}
	if !reflect.DeepEqual(keys, infoContract) {
		t.Errorf("/info's keys are %q, want %q", keys, infoContract)
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatalf("/info: %v\n%s", err, body)
	}
	t.Logf("/info:\n%s", body)
	return header, info
}

// checkExpires wants an RFC 3339 time in the next day.
func checkExpires(t *testing.T, expires string) {
	t.Helper()
	at, err := time.Parse(time.RFC3339, expires)
	if err != nil || !at.After(time.Now()) || at.After(time.Now().Add(25*time.Hour)) {
		t.Errorf("expires %q (%v), want RFC 3339 within a day", expires, err)
	}
}

// TestInfo asks /info as alice of the MIT realm: with a token, with the
// session cookie it set, and delegating into -delegation-dir. Every key
// is there each time; those of the PAC are empty, for an MIT ticket has
// none.
func TestInfo(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (apt-get install curl)")
	}
	bin := buildDemo(t)
	deleg := filepath.Join(t.TempDir(), "deleg")
	if err := os.Mkdir(deleg, 0o700); err != nil {
		t.Fatal(err)
	}
	d := startDemoServer(t, bin, "-session-key-file", writeKeyFile(t, 0o600), "-delegation-dir", deleg)
	url := "http://localhost:" + d.port + "/info"
	const mech = "1.2.840.113554.1.2.2"
	noPAC := func(t *testing.T, info infoReply) {
		t.Helper()
		if info.Principal != "alice@EXAMPLE.TEST" || info.LocalName != "alice" || info.Mech != mech ||
			info.UserSID != "" || len(info.GroupSIDs) != 0 || info.UPN != "" || len(info.AuthIndicators) != 0 ||
			info.ChannelBound {
			t.Errorf("/info: %+v", info)
		}
		checkExpires(t, info.Expires)
	}

	jar := t.TempDir()
	t.Run("token", func(t *testing.T) {
		header, info := decodeInfo(t, d.curl(t, jar, d.env, "--negotiate", "-u", ":", "-c", "cookies.txt", url))
		noPAC(t, info)
		if info.Session || info.Delegation != "none" || info.CCache != "" {
			t.Errorf("/info with a token that does not delegate: %+v", info)
		}
		if !strings.Contains(strings.ToLower(header), "set-cookie: negotiate_session=") {
			t.Fatalf("no session cookie:\n%s", header)
		}
	})
	t.Run("session", func(t *testing.T) {
		_, info := decodeInfo(t, d.curl(t, jar, withoutTicket(t, d.env), "-b", "cookies.txt", url))
		noPAC(t, info)
		if !info.Session || info.Delegation != "none" || info.CCache != "" {
			t.Errorf("/info with the session cookie: %+v", info)
		}
	})
	t.Run("delegating", func(t *testing.T) {
		_, info := decodeInfo(t, d.curl(t, t.TempDir(), d.env, "--negotiate", "-u", ":", "--delegation", "always", url))
		noPAC(t, info)
		if want := "FILE:" + filepath.Join(deleg, "alice@EXAMPLE.TEST"); info.Session || info.Delegation != "forwarded" || info.CCache != want {
			t.Errorf("/info, delegating: %+v, want delegation forwarded and ccache %s", info, want)
		}
	})
	t.Run("no ticket", func(t *testing.T) {
		if out := d.curl(t, t.TempDir(), withoutTicket(t, d.env), url); !strings.Contains(out, "401 Unauthorized") {
			t.Errorf("/info without a ticket:\n%s", out)
		}
	})
}

// TestAllowGroupWithMITRealm: -allow-group lets in only a group's members,
// and an MIT ticket has no PAC, so no groups: alice is refused, and is
// anonymous on /public. The log names the groups at start and the reason
// of the refusal.
func TestAllowGroupWithMITRealm(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (apt-get install curl)")
	}
	bin := buildDemo(t)
	const engineers, readers = "S-1-5-21-1-2-3-1103", "S-1-5-21-1-2-3-1104"
	d := startDemoServer(t, bin, "-allow-group", engineers, "-allow-group", readers)
	base := "http://localhost:" + d.port
	for _, path := range []string{"/whoami", "/info"} {
		if out := d.curl(t, t.TempDir(), d.env, "--negotiate", "-u", ":", base+path); !strings.Contains(out, "403 Forbidden") {
			t.Errorf("%s as alice, of no group:\n%s", path, out)
		}
	}
	if out := d.curl(t, t.TempDir(), d.env, "--negotiate", "-u", ":", base+"/public"); !strings.HasSuffix(out, "\r\n\r\nanonymous\n") {
		t.Errorf("/public as alice, of no group:\n%s", out)
	}
	if !d.logHas(`msg="only members of these groups are let in" groups="[`+engineers+" "+readers+`]"`,
		"reason=group_not_allowed", "principal=alice@EXAMPLE.TEST", "carry no PAC") {
		t.Errorf("the log lacks the groups, the refusal or the warning:\n%s", d.stderr)
	}

	// A SID as Windows would not write it is refused at start.
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-allow-group", "s-1-5-21-1-2-3-1103")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "WithAllowedGroups") {
		t.Errorf("-allow-group s-1-5-…: %v, want it refused:\n%s", err, stderr.String())
	}
}
