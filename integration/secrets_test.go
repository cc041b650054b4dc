package integration

import (
	"io"
	"log"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate"
)

// TestNoSecretsInLogs runs the whole table through a server that logs at
// Debug, with net/http's own error log captured as well, and checks the
// log: no token that went either way, nor a fragment of 16 characters of
// one (as sent, re-encoded as base64 at any alignment, or as hex), and no
// password of the realm.
func TestNoSecretsInLogs(t *testing.T) {
	s := newServer(t)
	stdlog := captureStdLog(t, s.logs)
	b := newBadInputs(t)
	for _, row := range badRequests() {
		for _, path := range []string{"/whoami", "/public"} {
			if r := s.sendBad(t, b, row, path); r.status >= 500 {
				t.Errorf("%s %s: %d %q", row.name, path, r.status, r.body)
			}
		}
	}
	// Good tokens too, delegating ones included: their replies carry
	// mutual-authentication tokens, which the check covers as well.
	for _, raw := range []bool{false, true} {
		s.get(t, "/whoami", negotiateValue(mint(t, alice(), target, 0, raw)))
		s.get(t, "/delegate", negotiateValue(mint(t, bob(), target, negotiate.FlagDelegate, raw)))
	}
	stdlog()

	logs := s.logs.String()
	for _, want := range []string{"reason=replay", "reason=bad_base64", "principal=alice@EXAMPLE.TEST", "principal=bob@EXAMPLE.TEST"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q: is it captured at all?\n%s", want, logs)
		}
	}
	for _, pw := range b.passwords {
		if strings.Contains(logs, pw) {
			t.Errorf("the log holds the password %q", pw)
		}
	}
	s.checkNoTokenLogged(t)
	s.mu.Lock()
	n := len(s.tokens)
	s.mu.Unlock()
	if n < len(badRequests()) {
		t.Errorf("only %d tokens were checked", n)
	}
}

// captureStdLog sends the standard logger's output, where net/http's
// servers log, to w until the returned function is called (or the test
// ends).
func captureStdLog(t *testing.T, w io.Writer) (restore func()) {
	t.Helper()
	old := log.Writer()
	log.SetOutput(w)
	done := false
	restore = func() {
		if !done {
			done = true
			log.SetOutput(old)
		}
	}
	t.Cleanup(restore)
	return restore
}
