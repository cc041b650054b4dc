package integration

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
)

// The inputs of the bad-input table (badrequests_test.go) that the
// fixture lacks: ccaches from another realm, with skewed clocks and with an
// expired ticket.

// badInputs is what the rows need besides the fixture: ccaches whose
// tokens no honest client of this realm makes.
type badInputs struct {
	other       string   // "FILE:…": alice@OTHER.TEST, with a ticket for HTTP/localhost@OTHER.TEST
	ahead       string   // "FILE:…": alice, her clock an hour ahead of the server's
	behind      string   // "FILE:…": alice, her clock an hour behind
	expired     string   // "FILE:…": alice, with a ticket for HTTP/localhost that expired 50 minutes ago
	passwords   []string // every password of the realms
	randomBytes []byte   // the "random bytes" row's token, the same every run
}

// otherPassword is alice@OTHER.TEST's password.
const otherPassword = "other-alice-Passw0rd"

// newBadInputs builds the ccaches: a second realm, OTHER.TEST, with its own
// KDC, alice and HTTP/localhost; a copy of alice's ccache with a KDC time
// offset of an hour; and, from a copy of the fixture's KDC whose clock runs
// an hour behind (libfaketime), a ticket that started an hour ago, for a
// client whose clock is an hour behind, and one that has expired by the
// server's clock beyond the five minutes of skew MIT forgives.
func newBadInputs(t *testing.T) *badInputs {
	t.Helper()
	b := &badInputs{
		passwords: []string{testrealm.AlicePassword, testrealm.BobPassword, testrealm.MasterPassword, otherPassword},
	}
	rnd := rand.New(rand.NewPCG(1, 2)) // a fixed seed: the same "random" token every run
	b.randomBytes = make([]byte, 4096)
	for i := range b.randomBytes {
		b.randomBytes[i] = byte(rnd.Uint32())
	}

	// OTHER.TEST: this process does not know its KDC, so the service
	// ticket is fetched into the ccache by kvno, with that realm's config.
	other := realmtest.StartRealm(t, "OTHER.TEST")
	cc := filepath.Join(other.Dir, "alice.ccache")
	for _, step := range []func() error{
		func() error { return other.AddUser("alice", otherPassword) },
		func() error { return other.AddService(testrealm.Service) },
		func() error { return other.Kinit("alice", otherPassword, cc) },
		func() error { return other.ServiceTicket(cc, "HTTP/localhost@OTHER.TEST") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	b.other = "FILE:" + cc

	// Clock skew: the service ticket must be in the cache before the
	// clock moves, or the KDC refuses the skewed TGS request itself.
	b.ahead = skewedCCache(t, time.Hour)

	// A clock an hour behind, and an expired ticket, both from a copy of
	// the fixture's KDC whose clock runs an hour behind: the client needs
	// a ticket that has started by its own clock.
	lib := fakeTimeLibrary(t)
	cdir := t.TempDir()
	kdc, err := realm.StartCopy(cdir, "LD_PRELOAD="+lib, "FAKETIME=-1h")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kdc.Close() })
	bcc, ecc := filepath.Join(cdir, "behind.ccache"), filepath.Join(cdir, "expired.ccache")
	for _, step := range []func() error{
		func() error { return kdc.Kinit("alice", testrealm.AlicePassword, bcc) },
		func() error { return kdc.ServiceTicket(bcc, testrealm.Service) },
		// kinit kept the KDC's offset; say it again, to be sure.
		func() error { return testrealm.RewriteCCache(bcc, -time.Hour, time.Time{}) },

		func() error { _, err := kdc.Kadmin(`modprinc -maxlife "10 minutes" ` + testrealm.Service); return err },
		func() error { return kdc.Kinit("alice", testrealm.AlicePassword, ecc) },
		func() error { return kdc.ServiceTicket(ecc, testrealm.Service) },
		// The client must not notice: MIT's initiator refuses to use a
		// ticket it knows has expired.
		func() error { return testrealm.RewriteCCache(ecc, 0, time.Now().Add(time.Hour)) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	b.expired, b.behind = "FILE:"+ecc, "FILE:"+bcc
	return b
}

// skewedCCache returns a copy of alice's ccache, holding a ticket for
// HTTP/localhost, whose KDC time offset moves her clock by offset.
func skewedCCache(t *testing.T, offset time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "alice.ccache")
	copyFile(t, strings.TrimPrefix(realm.AliceCCache, "FILE:"), path)
	mint(t, user{alice().principal, "FILE:" + path}, target, 0, false) // caches the service ticket
	if err := testrealm.RewriteCCache(path, offset, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return "FILE:" + path
}

// fakeTimeLibrary finds libfaketime (Debian: faketime), which gives a KDC
// a clock of its own.
func fakeTimeLibrary(t *testing.T) string {
	t.Helper()
	libs, _ := filepath.Glob("/usr/lib/*/faketime/libfaketime.so.1")
	if len(libs) == 0 {
		t.Fatal("libfaketime not found: install the faketime package (make deps)")
	}
	return libs[0]
}
