//go:build unix

package middleware

import (
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDelegationUmask stores a credential with the umask at 0, where the
// fake, like a careless library, creates its file 0666: the stored file is
// 0600 all the same.
func TestDelegationUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	dir := delegDir(t)
	for _, policy := range []CCachePolicy{PerPrincipal, PerRequest} {
		mw := newDelegMW(t, delegFake(), dir, WithCCachePolicy(policy))
		var mode os.FileMode
		h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, _ := FromContext(r.Context())
			fi, err := os.Stat(ccachePath(t, a, dir))
			if err != nil {
				t.Fatal(err)
			}
			mode = fi.Mode()
		}))
		if rec := serve(h, "deleg:"+alice); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		if mode != 0o600 {
			t.Errorf("%v: mode %v, want -rw-------", policy, mode)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, alice))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("file left: mode %v", fi.Mode())
	}
}
