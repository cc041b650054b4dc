//go:build unix

package middleware

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// otherUID is a user the tests are not: nobody.
const otherUID = 65534

// needRoot skips a test that must chown files to another user.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("only root can give files to another user")
	}
}

// TestDelegationDirOwner checks that New refuses a delegation directory
// owned by another user, who could plant or swap ccache files in it
// whatever its mode, and says whose it is and what to do.
func TestDelegationDirOwner(t *testing.T) {
	needRoot(t)
	dir := delegDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, otherUID, otherUID); err != nil {
		t.Fatal(err)
	}
	mw, err := New(newFake(), quiet, WithDelegationDir(dir))
	if err == nil {
		mw.Close()
		t.Fatal("New accepted a directory of another user")
	}
	t.Log(err)
	for _, want := range []string{dir, "owned by uid 65534", "chown"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("New wrote %q into the directory", names)
	}
}

// victim is a file of the server's user that a planted link points to: a
// test checks it is left as it was.
type victim struct {
	path string
	data string
}

func newVictim(t *testing.T) victim {
	t.Helper()
	v := victim{filepath.Join(t.TempDir(), "victim"), "precious, and world-readable on purpose\n"}
	if err := os.WriteFile(v.path, []byte(v.data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(v.path, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return v
}

func (v victim) check(t *testing.T) {
	t.Helper()
	fi, err := os.Stat(v.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o644 {
		t.Errorf("victim's mode changed to %v", fi.Mode())
	}
	if data, err := os.ReadFile(v.path); err != nil || string(data) != v.data {
		t.Errorf("victim's content changed to %.60q (%v)", data, err)
	}
}

// TestWriteTempPlantedSymlink plants a symbolic link at the temporary name
// before the credential is stored: writeTemp refuses it, and neither the
// store nor a chmod reaches the file it points to.
func TestWriteTempPlantedSymlink(t *testing.T) {
	dir := delegDir(t)
	v := newVictim(t)
	tmp := filepath.Join(dir, tempName())
	if err := os.Symlink(v.path, tmp); err != nil {
		t.Fatal(err)
	}
	cred := &fakeCred{contents: testCCache(alice, time.Now().Add(time.Hour), 1)}
	if err := writeTemp(tmp, cred); err == nil {
		t.Error("writeTemp stored through a planted symbolic link")
	}
	if n := cred.stored.Load(); n != 0 {
		t.Errorf("Store called %d times", n)
	}
	v.check(t)
}

// swapCred is a credential whose Store leaves at the path something other
// than a fresh private file of its own, as a race with another writer of the
// directory would.
type swapCred struct {
	fakeCred
	swap func(path string) error
}

func (c *swapCred) Store(name string) error {
	if err := c.fakeCred.Store(name); err != nil {
		return err
	}
	return c.swap(strings.TrimPrefix(name, "FILE:"))
}

// TestWriteTempSwapped checks what writeTemp finds at the temporary name
// after the store: anything but a regular file of the server's user with
// one link is refused, and the file behind it keeps its mode and content.
func TestWriteTempSwapped(t *testing.T) {
	tests := []struct {
		name string
		root bool
		swap func(v victim, path string) error
	}{
		{"symlink", false, func(v victim, path string) error {
			return errors.Join(os.Remove(path), os.Symlink(v.path, path))
		}},
		{"hard link", false, func(v victim, path string) error {
			return errors.Join(os.Remove(path), os.Link(v.path, path))
		}},
		{"another user's file", true, func(v victim, path string) error {
			return os.Chown(path, otherUID, otherUID)
		}},
		{"a directory", false, func(v victim, path string) error {
			return errors.Join(os.Remove(path), os.Mkdir(path, 0o700))
		}},
		{"nothing", false, func(v victim, path string) error { return os.Truncate(path, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root {
				needRoot(t)
			}
			dir := delegDir(t)
			v := newVictim(t)
			tmp := filepath.Join(dir, tempName())
			cred := &swapCred{
				fakeCred: fakeCred{contents: testCCache(alice, time.Now().Add(time.Hour), 1)},
				swap:     func(path string) error { return tt.swap(v, path) },
			}
			err := writeTemp(tmp, cred)
			if err == nil {
				t.Error("writeTemp accepted it")
			}
			t.Log(err)
			v.check(t)
		})
	}
}
