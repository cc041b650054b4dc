package integration

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/ccache"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// TestNoSessionAtTheSkewEdge sends a ticket in the last second of the
// clock-skew grace the library gives after a ticket's end: MIT accepts
// it and reports a context lifetime of 0. Such a context has already
// ended, so the request is served but no session cookie may outlive it.
// (The lifetime 0 was once read as "no end", and the cookie got the full
// session age: an hour of access after the ticket had ended.)
//
// The demo and curl both run with the C library's clock frozen at the
// ticket's end plus the 300 s of skew (libfaketime); Go's own clock, which
// the session reads, is not moved.
func TestNoSessionAtTheSkewEdge(t *testing.T) {
	lib := fakeTimeLibrary(t)
	bin := buildDemo(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "alice.ccache")
	copyFile(t, strings.TrimPrefix(realm.AliceCCache, "FILE:"), path)
	if err := realm.ServiceTicket(path, testrealm.Service); err != nil {
		t.Fatal(err)
	}
	end := serviceTicketEnd(t, path)
	// The client must not notice that its ticket has ended: MIT's
	// initiator refuses to send a ticket it knows has expired.
	if err := testrealm.RewriteCCache(path, 0, end.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	frozen := []string{
		"LD_PRELOAD=" + lib,
		"FAKETIME=" + end.Add(300*time.Second).UTC().Format("2006-01-02 15:04:05"),
		"TZ=UTC",
		"FAKETIME_DONT_FAKE_MONOTONIC=1",
	}
	keys := filepath.Join(dir, "session.keys")
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.WriteFile(keys, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, bin, append(realm.Env(), frozen...), nil,
		"-keytab", realm.Keytab, "-hostname", "localhost", "-session-key-file", keys)

	// curl names the service by the URL's host: HTTP@localhost.
	url := strings.Replace(d.url, "127.0.0.1", "localhost", 1) + "/whoami"
	cmd := exec.Command(curlWithSPNEGO(t), "-sS", "--noproxy", "*", "--negotiate", "-u", ":", "-D", "-", "-o", "/dev/null", url)
	cmd.Env = append(append(realm.Env(), frozen...), "KRB5CCNAME=FILE:"+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	head := string(out)
	if !strings.Contains(head, " 200 ") {
		t.Fatalf("a ticket within the skew grace was not served (the test needs it to be):\n%s\ndemo log:\n%s", head, d.stderr)
	}
	if strings.Contains(strings.ToLower(head), "set-cookie:") {
		t.Errorf("a session was issued for a context that had ended:\n%s", head)
	}
}

// serviceTicketEnd returns the end time of the ticket for
// HTTP/localhost in the ccache at path.
func serviceTicketEnd(t *testing.T, path string) time.Time {
	t.Helper()
	c, err := ccache.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, cred := range c.Tickets() {
		if cred.Server.String() == realm.Principal(testrealm.Service) {
			return cred.EndTime
		}
	}
	t.Fatalf("no ticket for %s in %s", testrealm.Service, path)
	return time.Time{}
}
