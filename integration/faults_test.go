package integration

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
	"github.com/negotiate-go/negotiate/middleware"
)

// Faults in what the server depends on, each while it runs: the KDC, the
// keytab, the delegation directory. Clients that go away are in
// disconnects_test.go.

// TestKDCStopped stops the KDC while the server runs. The acceptor never
// talks to the KDC: tickets issued before the stop keep authenticating, and
// nothing is logged as a fault. The realm is a realm of its own, so that
// stopping its KDC disturbs no other test.
func TestKDCStopped(t *testing.T) {
	kdc := realmtest.StartRealm(t, "STOPPED.TEST")
	dir := kdc.Dir
	const svc = "HTTP/localhost@STOPPED.TEST"
	keytab, cc := filepath.Join(dir, "http.keytab"), filepath.Join(dir, "alice.ccache")
	for _, step := range []func() error{
		func() error { return kdc.AddUser("alice", testrealm.AlicePassword) },
		func() error { return kdc.AddService(testrealm.Service) },
		func() error { return kdc.AddService(testrealm.OtherService) },
		func() error { return kdc.WriteKeytab(keytab, testrealm.Service) },
		func() error { return kdc.Kinit("alice", testrealm.AlicePassword, cc) },
		func() error { return kdc.ServiceTicket(cc, svc) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	// A principal, not a host name: Heimdal takes HTTP@localhost for
	// HTTP/localhost in the default realm, which is EXAMPLE.TEST.
	s := newServer(t, gss.WithKeytab(keytab), gss.WithPrincipal(svc))
	u := user{"alice@STOPPED.TEST", "FILE:" + cc}
	want := u.principal + "\n"
	if r := s.get(t, "/whoami", negotiateValue(mint(t, u, svc, 0, false))); r.status != http.StatusOK || r.body != want {
		t.Fatalf("before the stop: %d %q", r.status, r.body)
	}

	if err := kdc.StopKDC(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", kdc.KDCAddr, time.Second); err == nil {
		c.Close()
		t.Fatal("the KDC still listens")
	}
	// The KDC is really gone for clients: a new service ticket cannot
	// be had.
	if err := kdc.ServiceTicket(cc, "HTTP/other.localhost@STOPPED.TEST"); err == nil {
		t.Fatal("got a new service ticket with the KDC stopped")
	}

	for i := range 6 {
		raw := i%2 == 1
		for _, path := range []string{"/whoami", "/public"} {
			if r := s.get(t, path, negotiateValue(mint(t, u, svc, 0, raw))); r.status != http.StatusOK || r.body != want {
				t.Errorf("%s, raw %v, with the KDC stopped: %d %q, want 200 %q", path, raw, r.status, r.body, want)
			}
		}
	}
	if line := logLine(s.logs.String(), "level=ERROR"); line != "" {
		t.Errorf("an Error with the KDC stopped: %s", line)
	}
}

// TestKeytabRotation rotates the service key while the server runs, as an
// administrator does: the new key version is added to the keytab beside
// the old one (ktadd without -norandkey). New tickets, under the new key,
// are accepted at once, without a restart; tickets issued before, under the
// old key, too, while the old key stays in the keytab; once the old key is
// removed, they fail as stale_keytab, a 403, not a 500.
func TestKeytabRotation(t *testing.T) {
	service, host, keytab := newService(t, "rotate")
	svc := "HTTP@" + host
	s := newServer(t, gss.WithKeytab(keytab), gss.WithHostname(host))

	send := func(u user, path string) (reply, int) {
		tok := mint(t, u, svc, 0, false)
		return s.get(t, path, negotiateValue(tok)), ticketKVNO(t, tok)
	}
	want := alice().principal + "\n"

	before := freshAlice(t)
	r, oldKVNO := send(before, "/whoami")
	if r.status != http.StatusOK {
		t.Fatalf("before the rotation: %d %q", r.status, r.body)
	}
	newKVNO, err := realm.RotateKey(keytab, service)
	if err != nil {
		t.Fatal(err)
	}
	if newKVNO != oldKVNO+1 {
		t.Fatalf("key version %d after the rotation, %d before", newKVNO, oldKVNO)
	}

	after := freshAlice(t)
	for _, c := range []struct {
		name string
		u    user
		kvno int
	}{{"a new ticket", after, newKVNO}, {"a ticket from before the rotation", before, oldKVNO}} {
		r, kvno := send(c.u, "/whoami")
		if kvno != c.kvno {
			t.Fatalf("%s has key version %d, want %d", c.name, kvno, c.kvno)
		}
		if r.status != http.StatusOK || r.body != want {
			t.Errorf("%s (key version %d): %d %q, want 200", c.name, kvno, r.status, r.body)
		}
	}

	if err := realm.RemoveOldKeys(keytab, service); err != nil {
		t.Fatal(err)
	}
	if r, _ := send(before, "/whoami"); r.status != http.StatusForbidden || r.body != forbiddenBody {
		t.Errorf("an old ticket once its key is gone: %d %q, want 403", r.status, r.body)
	}
	if r, _ := send(before, "/public"); r.body != "anonymous (stale_keytab)\n" {
		t.Errorf("an old ticket once its key is gone, on /public: %d %q", r.status, r.body)
	}
	if r, _ := send(after, "/whoami"); r.status != http.StatusOK || r.body != want {
		t.Errorf("a new ticket once the old key is gone: %d %q, want 200", r.status, r.body)
	}
	if line := logLine(s.logs.String(), "level=ERROR"); line != "" {
		t.Errorf("a rotation logged as a server fault: %s", line)
	}
}

// TestKeytabLostAtRunTime takes the keytab away from a running server in
// the ways an operator or a deployment can, then puts it back. Meanwhile
// every request with a good token is a 500 with a generic body, on the
// required route and the optional one alike, never a 403 that blames the
// client, and the log says why at Error. Once the keytab is back the server
// serves again, without a restart. (Tests run as root, for whom chmod does
// not stop reads, so the file is moved away rather than made unreadable.)
func TestKeytabLostAtRunTime(t *testing.T) {
	tests := []struct {
		name string
		lose func(t *testing.T, path string)
		// cause says whether the Error line must name the keytab: it
		// does not when the library gives nothing more than "Service key
		// not available".
		cause bool
	}{
		{"moved away", func(t *testing.T, path string) {
			rename(t, path, path+".away")
		}, true},
		{"a directory in its place", func(t *testing.T, path string) {
			rename(t, path, path+".away")
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"emptied", func(t *testing.T, path string) {
			rename(t, path, path+".away")
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"overwritten with garbage", func(t *testing.T, path string) {
			rename(t, path, path+".away")
			if err := os.WriteFile(path, []byte("not a keytab at all"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keytab := filepath.Join(t.TempDir(), "http.keytab")
			copyFile(t, realm.Keytab, keytab)
			s := newServer(t, gss.WithKeytab(keytab))
			if r := s.get(t, "/whoami", good(t)); r.status != http.StatusOK {
				t.Fatalf("before: %d %q", r.status, r.body)
			}

			tt.lose(t, keytab)
			for _, path := range []string{"/whoami", "/public"} {
				r := s.get(t, path, good(t))
				if r.status != http.StatusInternalServerError || r.body != internalErrorBody {
					t.Errorf("%s without the keytab: %d %q, want 500 %q", path, r.status, r.body, internalErrorBody)
				}
				checkNoDetail(t, r)
			}
			line := logLine(s.logs.String(), "level=ERROR")
			if !strings.Contains(line, "reason=server_credentials") || tt.cause && !strings.Contains(line, keytab) {
				t.Errorf("no Error line with reason=server_credentials (naming the keytab: %v) in the log:\n%s", tt.cause, s.logs.String())
			}

			// Put it back.
			if err := os.RemoveAll(keytab); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(keytab + ".away"); err == nil {
				rename(t, keytab+".away", keytab)
			}
			for _, path := range []string{"/whoami", "/public"} {
				if r := s.get(t, path, good(t)); r.status != http.StatusOK || r.body != "alice@EXAMPLE.TEST\n" {
					t.Errorf("%s once the keytab is back: %d %q, want 200", path, r.status, r.body)
				}
			}
		})
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// TestDelegationDirBroken breaks the delegation directory of a running
// server that stores delegated credentials (the real gss Store, through
// the middleware). A request that delegates then gets a 500 with a generic
// body and an Error in the log; requests that do not delegate, and other
// users, are served as before; once the directory is back, delegation works
// again. Run as root, chmod cannot make the directory read-only: see
// TestDelegationDirReadOnly and TestDelegationDirFileTooLarge for those, on
// the demo run as another user.
func TestDelegationDirBroken(t *testing.T) {
	tests := []struct {
		name      string
		brk, mend func(t *testing.T, dir string)
		policy    middleware.CCachePolicy
	}{
		{"replaced by a file", func(t *testing.T, dir string) {
			rename(t, dir, dir+".away")
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, dir string) {
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
			rename(t, dir+".away", dir)
		}, middleware.PerPrincipal},
		{"removed", func(t *testing.T, dir string) {
			rename(t, dir, dir+".away")
		}, func(t *testing.T, dir string) {
			rename(t, dir+".away", dir)
		}, middleware.PerRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deleg")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			d := newDelegServer(t, dir, middleware.WithCCachePolicy(tt.policy))
			deleg := func(u user) string { return negotiateValue(mint(t, u, target, negotiate.FlagDelegate, false)) }
			if r := d.get(t, "/whoami", deleg(alice())); r.status != http.StatusOK || !strings.HasPrefix(r.body, "alice@EXAMPLE.TEST FILE:"+dir) {
				t.Fatalf("before: %d %q", r.status, r.body)
			}

			tt.brk(t, dir)
			for _, path := range []string{"/whoami", "/public"} {
				r := d.get(t, path, deleg(alice()))
				if r.status != http.StatusInternalServerError || r.body != internalErrorBody {
					t.Errorf("%s, delegating, with the directory %s: %d %q, want 500", path, tt.name, r.status, r.body)
				}
				checkNoDetail(t, r)
			}
			line := logLine(d.logs.String(), "level=ERROR")
			// MIT says no more than "No credentials cache found"; the
			// line names the directory.
			for _, want := range []string{"reason=ccache_store_failed", "principal=alice@EXAMPLE.TEST", "delegation_dir=" + dir + " "} {
				if !strings.Contains(line, want) {
					t.Errorf("the Error line lacks %q: %s", want, line)
				}
			}
			// Others are unaffected.
			if r := d.get(t, "/whoami", negotiateValue(mint(t, bob(), target, 0, false))); r.status != http.StatusOK || r.body != "bob@EXAMPLE.TEST \n" {
				t.Errorf("bob, not delegating, meanwhile: %d %q", r.status, r.body)
			}
			if r := d.get(t, "/public", negotiateValue(mint(t, alice(), target, 0, true))); r.status != http.StatusOK || r.body != "alice@EXAMPLE.TEST \n" {
				t.Errorf("alice, not delegating, meanwhile: %d %q", r.status, r.body)
			}

			tt.mend(t, dir)
			r := d.get(t, "/whoami", deleg(bob()))
			if r.status != http.StatusOK || !strings.HasPrefix(r.body, "bob@EXAMPLE.TEST FILE:"+dir) {
				t.Errorf("once the directory is back: %d %q", r.status, r.body)
			}
		})
	}
}
