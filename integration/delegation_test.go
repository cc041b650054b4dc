package integration

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate"
)

// checkCCacheOf fails the test unless klist shows u's TGT in the ccache.
func checkCCacheOf(t *testing.T, ccache string, u user) {
	t.Helper()
	out, err := realm.Klist("-c", ccache)
	if err != nil {
		t.Fatalf("klist of the stored ccache: %v", err)
	}
	if !strings.Contains(out, "Default principal: "+u.principal) {
		t.Errorf("klist does not show %s as the ccache's principal:\n%s", u.principal, out)
	}
	if !strings.Contains(out, "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST") {
		t.Errorf("no TGT in the stored ccache:\n%s", out)
	}
}

// TestDelegation sends tokens that delegate, and tokens that do not,
// through the middleware to /delegate. A delegating client's TGT reaches
// the handler, which stores it into a ccache that klist reads back and
// that serves to authenticate once more (a second hop). A client that does
// not delegate leaves Auth.Delegated a true nil. The middleware releases
// the credential when the handler returns.
func TestDelegation(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name  string
		u     user
		flags negotiate.Flags
		raw   bool
	}{
		{"SPNEGO, alice", alice(), negotiate.FlagDelegate, false},
		{"raw Kerberos, alice", alice(), negotiate.FlagDelegate, true},
		{"SPNEGO, bob", bob(), negotiate.FlagDelegate, false},
		{"SPNEGO, not delegated", alice(), 0, false},
		{"raw Kerberos, not delegated", alice(), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.lastDelegated()
			r := s.get(t, "/delegate", negotiateValue(mint(t, tt.u, target, tt.flags, tt.raw)))
			if r.status != http.StatusOK {
				t.Fatalf("got %d %q, want 200", r.status, r.body)
			}
			if tt.flags&negotiate.FlagDelegate == 0 {
				if r.body != "not delegated\n" {
					t.Errorf("body %q, want %q", r.body, "not delegated\n")
				}
				return
			}
			ccache, ok := strings.CutPrefix(strings.TrimSuffix(r.body, "\n"), "delegated ")
			if !ok {
				t.Fatalf("body %q, want delegated FILE:...", r.body)
			}
			checkCCacheOf(t, ccache, tt.u)

			// The stored TGT makes a new token: the second hop.
			tgt := user{tt.u.principal, ccache}
			if r := s.get(t, "/whoami", negotiateValue(mint(t, tgt, target, 0, false))); r.status != http.StatusOK || r.body != tt.u.principal+"\n" {
				t.Errorf("with the delegated TGT: got %d %q, want 200 %q", r.status, r.body, tt.u.principal+"\n")
			}

			// The credential the handler saw was released when it returned.
			// The middleware releases it before its ServeHTTP returns, and
			// net/http sends a body this short only after that.
			cred := s.lastDelegated()
			if cred == nil || cred == before {
				t.Fatal("the handler kept no credential")
			}
			if err := cred.Store("FILE:" + filepath.Join(t.TempDir(), "late")); err == nil {
				t.Error("the delegated credential still works after the handler returned: the middleware did not release it")
			}
		})
	}
}
