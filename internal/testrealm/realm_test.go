package testrealm_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// TestKadminFailures: kadmin.local exits 0 when a query fails, and the
// realm's helpers still report the failure.
func TestKadminFailures(t *testing.T) {
	dir := t.TempDir()
	r, err := testrealm.Start(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.AddUser("dave", "dave-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Kadmin("getprinc dave"); err != nil {
		t.Errorf("getprinc of a principal that exists: %v", err)
	}
	keytab := filepath.Join(dir, "nosuch.keytab")
	for name, fail := range map[string]func() error{
		"a principal that exists":       func() error { return r.AddUser("dave", "other") },
		"bad arguments (usage)":         func() error { return r.AddService("a b/localhost") },
		"ktadd of no such principal":    func() error { return r.WriteKeytab(keytab, "HTTP/nosuch.localhost") },
		"getprinc of no such principal": func() error { _, err := r.Kadmin("getprinc nobody"); return err },
	} {
		if err := fail(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := os.Stat(keytab); err == nil {
		t.Error("a keytab was written for no principal")
	}
}
