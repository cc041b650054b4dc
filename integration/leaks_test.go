package integration

import (
	"encoding/base64"
	"encoding/hex"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// What a server must not leak: tokens into its log, goroutines past a
// request.

// remember records the token in an Authorization or WWW-Authenticate value
// for the log check.
func (s *server) remember(value string) {
	_, tok, _ := strings.Cut(strings.TrimSpace(value), " ")
	if tok = strings.TrimSpace(tok); len(tok) >= leakWindow {
		s.mu.Lock()
		s.tokens = append(s.tokens, tok)
		s.mu.Unlock()
	}
}

// leakWindow is the length of the shortest token fragment the log check
// looks for.
const leakWindow = 16

// checkNoTokenLogged fails the test if the log holds a fragment of
// leakWindow characters of any token that went through the server: of the
// token as sent, of its decoded bytes re-encoded as base64 at any byte
// alignment, or as hex.
func (s *server) checkNoTokenLogged(t *testing.T) {
	t.Helper()
	logged := windows(s.logs.String())
	s.mu.Lock()
	tokens := slices.Clone(s.tokens)
	s.mu.Unlock()
	for _, tok := range tokens {
		for _, enc := range encodings(tok) {
			if frag := loggedFragment(logged, enc); frag != "" {
				t.Errorf("the log holds %q, a fragment of a token the server saw", frag)
				return
			}
		}
	}
}

// encodings returns tok as sent and, if it is base64, the ways a logger
// could write its bytes: base64 at each of the three byte alignments, and
// hex.
func encodings(tok string) []string {
	encs := []string{tok}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return encs
	}
	for off := 1; off < 3 && off < len(raw); off++ {
		encs = append(encs, base64.StdEncoding.EncodeToString(raw[off:]))
	}
	return append(encs, hex.EncodeToString(raw))
}

// windows returns the set of substrings of s that are leakWindow long.
func windows(s string) map[string]bool {
	set := make(map[string]bool, len(s))
	for i := 0; i+leakWindow <= len(s); i++ {
		set[s[i:i+leakWindow]] = true
	}
	return set
}

// loggedFragment returns the first fragment of secret, leakWindow long,
// that is in logged (the windows of a log), or "".
func loggedFragment(logged map[string]bool, secret string) string {
	for i := 0; i+leakWindow <= len(secret); i++ {
		if frag := secret[i : i+leakWindow]; logged[frag] {
			return frag
		}
	}
	return ""
}

// settledGoroutines closes the client's idle connections and returns the
// number of goroutines once it has held still for 30 ms.
func settledGoroutines(s *server) int {
	s.client.CloseIdleConnections()
	n, still := runtime.NumGoroutine(), 0
	for deadline := time.Now().Add(2 * time.Second); still < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			still++
		} else {
			n, still = m, 0
		}
	}
	return n
}

// checkNoGoroutineLeak waits up to 5 s for the number of goroutines to
// come down to before, and fails the test with every goroutine's stack if
// it does not.
func checkNoGoroutineLeak(t *testing.T, s *server, before int) {
	t.Helper()
	var n int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.client.CloseIdleConnections()
		if n = runtime.NumGoroutine(); n <= before {
			return
		}
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Errorf("%d goroutines, %d before: leaked\n%s", n, before, buf)
}
