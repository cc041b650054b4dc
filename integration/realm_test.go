package integration

import (
	"encoding/base64"
	"os"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
)

// realm is the KDC every test gets its tickets from. TestMain points the
// process at it.
var realm *testrealm.Fixture

func TestMain(m *testing.M) { os.Exit(realmtest.Main(m, &realm)) }

// target is the service the clients ask tickets for.
const target = "HTTP@localhost"

// user is one of the fixture's users: the principal and the ccache that
// holds the user's TGT.
type user struct {
	principal string
	ccache    string
}

// The fixture's users. They are functions because the realm starts in
// TestMain.
func alice() user { return user{realm.Principal("alice"), realm.AliceCCache} }
func bob() user   { return user{realm.Principal("bob"), realm.BobCCache} }

// mint returns a fresh token from u for svc: SPNEGO, or raw Kerberos if raw
// is set.
func mint(t *testing.T, u user, svc string, flags negotiate.Flags, raw bool) []byte {
	t.Helper()
	tok, err := testrealm.Token(u.ccache, svc, flags, raw)
	if err != nil {
		t.Fatalf("token from %s for %s: %v", u.principal, svc, err)
	}
	return tok
}

// negotiateValue is the Authorization value that carries tok.
func negotiateValue(tok []byte) string {
	return "Negotiate " + base64.StdEncoding.EncodeToString(tok)
}

// good is a fresh SPNEGO token from alice, encoded as it should be.
func good(t *testing.T) string { return negotiateValue(mint(t, alice(), target, 0, false)) }
