package testrealm

import (
	"fmt"
	"path/filepath"

	"github.com/negotiate-go/negotiate/gss"
)

// Fixture is a realm with the principals most tests need:
//   - users alice and bob (passwords AlicePassword and BobPassword), each
//     with a forwardable TGT in a FILE ccache;
//   - services HTTP/localhost and HTTP/other.localhost, whose keys are in
//     Keytab, and HTTP/nokey.localhost, whose key is in no keytab.
type Fixture struct {
	*Realm
	Keytab      string // HTTP/localhost and HTTP/other.localhost
	AliceCCache string // "FILE:/…": alice's TGT
	BobCCache   string // "FILE:/…": bob's TGT
}

// Passwords of the fixture's users. They protect throwaway keys only.
const (
	AlicePassword = "alice-Passw0rd"
	BobPassword   = "bob-Passw0rd"
)

// Services in the fixture's keytab.
const (
	Service      = "HTTP/localhost"
	OtherService = "HTTP/other.localhost"
	NoKeyService = "HTTP/nokey.localhost"
)

// StartFixture starts a realm in dir and creates the fixture's principals,
// keytab and ccaches.
func StartFixture(dir string) (*Fixture, error) {
	r, err := Start(dir, "")
	if err != nil {
		return nil, err
	}
	f := &Fixture{
		Realm:       r,
		Keytab:      filepath.Join(dir, "http.keytab"),
		AliceCCache: "FILE:" + filepath.Join(dir, "alice.ccache"),
		BobCCache:   "FILE:" + filepath.Join(dir, "bob.ccache"),
	}
	steps := []func() error{
		func() error { return r.AddUser("alice", AlicePassword) },
		func() error { return r.AddUser("bob", BobPassword) },
		func() error { return r.AddService(Service) },
		func() error { return r.AddService(OtherService) },
		func() error { return r.AddService(NoKeyService) },
		func() error { return r.WriteKeytab(f.Keytab, Service, OtherService) },
		func() error { return r.Kinit("alice", AlicePassword, f.AliceCCache[len("FILE:"):]) },
		func() error { return r.Kinit("bob", BobPassword, f.BobCCache[len("FILE:"):]) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			r.Close()
			return nil, fmt.Errorf("testrealm fixture: %w", err)
		}
	}
	return f, nil
}

// AcceptorOptions returns the options of an acceptor for the fixture's
// HTTP/localhost, with its keytab, followed by more, which may override
// them.
func (f *Fixture) AcceptorOptions(more ...gss.Option) []gss.Option {
	return append([]gss.Option{gss.WithKeytab(f.Keytab), gss.WithHostname("localhost")}, more...)
}

// Principal returns name qualified with the realm: "alice@EXAMPLE.TEST".
func (r *Realm) Principal(name string) string { return name + "@" + r.Name }
