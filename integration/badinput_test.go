package integration

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInput sends every row of the table (badrequests_test.go) to
// /whoami (authentication required) and /public (optional) through one
// server, then a good token, and checks that no goroutine is left behind.
func TestBadInput(t *testing.T) {
	s := newServer(t)
	b := newBadInputs(t)
	rows := badRequests()
	if len(rows) < 25 {
		t.Fatalf("only %d rows", len(rows))
	}
	s.get(t, "/whoami", good(t)) // starts what a first request starts
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			before := settledGoroutines(s)

			whoami, public := row.wantBodies()
			checkBadReply(t, row, "/whoami", s.sendBad(t, b, row, "/whoami"), row.status, whoami)
			publicStatus := row.status
			if row.status < 500 && row.status != http.StatusBadRequest && row.status != http.StatusRequestHeaderFieldsTooLarge {
				publicStatus = http.StatusOK
			}
			checkBadReply(t, row, "/public", s.sendBad(t, b, row, "/public"), publicStatus, public)

			// The server still serves.
			if r := s.get(t, "/whoami", good(t)); r.status != http.StatusOK || r.body != "alice@EXAMPLE.TEST\n" {
				t.Fatalf("a good token after the row: %d %q", r.status, r.body)
			}
			checkNoGoroutineLeak(t, s, before)
		})
	}
}

// sendBad sends the row to path and returns the reply that counts.
func (s *server) sendBad(t *testing.T, b *badInputs, row badRequest, path string) reply {
	t.Helper()
	if row.raw != nil {
		return row.raw(t, s, b, path)
	}
	vals := row.values(t, b)
	if row.replay {
		if r, err := s.sendValues(path, vals); err != nil || r.status != http.StatusOK {
			t.Fatalf("the first use of the token: %d %q %v, want 200", r.status, r.body, err)
		}
	}
	r, err := s.sendValues(path, vals)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

// checkBadReply checks one reply to a row.
func checkBadReply(t *testing.T, row badRequest, path string, r reply, wantStatus int, wantBody string) {
	t.Helper()
	if r.status != wantStatus {
		t.Errorf("%s: got %d %q, want %d %q", path, r.status, r.body, wantStatus, wantBody)
		return
	}
	if wantBody != "" && r.body != wantBody {
		t.Errorf("%s: body %q, want %q", path, r.body, wantBody)
	}
	if wantStatus == http.StatusBadRequest && !strings.HasPrefix(r.body, "400 Bad Request") {
		t.Errorf("%s: body %q, want net/http's 400", path, r.body)
	}
	if path != "/public" { // /public shows the reason, on purpose
		checkNoDetail(t, r)
	}
}
