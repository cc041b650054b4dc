package testrealm_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// TestOpen closes a realm and reopens its directory: the same port while
// it is free, a new one written into both files when it is taken, and the
// principal made before still gets tickets with its password.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	r, err := testrealm.Start(dir, "REOPEN.TEST")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddUser("carol", "carol-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	if _, err := testrealm.Open(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("Open of a realm that is open: %v, want an in-use error", err)
	}
	first := r.KDCAddr
	r.Close()
	if _, err := testrealm.Start(dir, "REOPEN.TEST"); err == nil || !strings.Contains(err.Error(), "reopen it with Open") {
		t.Errorf("Start on a realm's directory: %v, want a pointer to Open", err)
	}

	kinit := func(r *testrealm.Realm) {
		t.Helper()
		if err := r.Kinit("carol", "carol-Passw0rd", filepath.Join(t.TempDir(), "cc")); err != nil {
			t.Error(err)
		}
	}
	r, err = testrealm.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "REOPEN.TEST" || r.KDCAddr != first || r.MovedFrom != "" {
		t.Errorf("reopened as %s on %s (moved from %q), want REOPEN.TEST on %s", r.Name, r.KDCAddr, r.MovedFrom, first)
	}
	kinit(r)
	r.Close()

	// Someone else takes the port.
	l, err := net.Listen("tcp", first)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, err = testrealm.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.MovedFrom != first || r.KDCAddr == first {
		t.Errorf("with %s taken: on %s, moved from %q", first, r.KDCAddr, r.MovedFrom)
	}
	for _, f := range []string{r.Config, r.Profile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), first) || !strings.Contains(string(b), r.KDCAddr) {
			t.Errorf("%s names the old port or not the new one %s:\n%s", f, r.KDCAddr, b)
		}
	}
	kinit(r)
}

// TestOpenNoRealm: a directory that Start did not make is refused and left
// as it was.
func TestOpenNoRealm(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"empty":          {},
		"someone's":      {"notes.txt": "mine\n"},
		"krb5.conf only": {"krb5.conf": "[libdefaults]\n\tdefault_realm = MINE.TEST\n"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, text := range files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := testrealm.Open(dir)
			if !errors.Is(err, testrealm.ErrNoRealm) {
				t.Errorf("Open: %v, want ErrNoRealm", err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(files) {
				t.Errorf("Open wrote into the directory: %v", entries)
			}
		})
	}
}
