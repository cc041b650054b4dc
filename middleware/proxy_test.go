package middleware

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/internal/ccache"
)

// Constrained delegation through the middleware: the acceptor's proxy
// credential (negotiate.Result.DelegationKind "proxy") reaches the handler
// as a delegated credential, named so.

// TestAuthHasResultsFields: Auth repeats every field of negotiate.Result
// (see authOf), with its type, so that none is forgotten again.
func TestAuthHasResultsFields(t *testing.T) {
	auth := reflect.TypeFor[Auth]()
	res := reflect.TypeFor[negotiate.Result]()
	for i := range res.NumField() {
		f := res.Field(i)
		if g, ok := auth.FieldByName(f.Name); !ok || g.Type != f.Type {
			t.Errorf("Auth has no field %s of type %v", f.Name, f.Type)
		}
	}
}

// TestDelegationKind: Auth.DelegationKind is the acceptor's, "" exactly
// when there is no credential, "forwarded" for a credential of an acceptor
// that names no kind; the Debug line of the request says
// delegation=forwarded or delegation=proxy when there is a credential.
func TestDelegationKind(t *testing.T) {
	for _, tt := range []struct {
		kind     string // the fake's
		want     string
		delegate bool // FlagDelegate
	}{
		{"alice", "", false},
		{"deleg", "forwarded", true},
		{"forwarded", "forwarded", true},
		{"proxy", "proxy", false},
		{"proxy-nocred", "", false},
		{"typednil:" + alice, "", false},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			buf, logger := newLog(slog.LevelDebug)
			mw, err := New(newFake(), logger)
			if err != nil {
				t.Fatal(err)
			}
			var a *Auth
			rec := serve(mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a, _ = FromContext(r.Context())
			})), tt.kind)
			if rec.Code != http.StatusOK || a == nil {
				t.Fatalf("status %d, Auth %v", rec.Code, a)
			}
			if a.DelegationKind != tt.want || (a.Delegated != nil) != (tt.want != "") {
				t.Errorf("DelegationKind %q, Delegated %v; want %q", a.DelegationKind, a.Delegated, tt.want)
			}
			if got := a.Flags&negotiate.FlagDelegate != 0; got != tt.delegate {
				t.Errorf("FlagDelegate %v, want %v", got, tt.delegate)
			}
			out := buf.String()
			line := logLine(out, `msg="negotiate: authenticated"`)
			if line == "" {
				t.Fatalf("no success line:\n%s", out)
			}
			if tt.want == "" {
				if strings.Contains(line, "delegation=") {
					t.Errorf("the success line names a delegation without a credential:\n%s", line)
				}
			} else if !strings.Contains(line, " delegation="+tt.want+" ") {
				t.Errorf("the success line lacks delegation=%s:\n%s", tt.want, line)
			}
		})
	}
}

// logLine returns the first line of out that contains want, or "".
func logLine(out, want string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, want) {
			return line
		}
	}
	return ""
}

// TestDelegationDirStoresProxy: WithDelegationDir stores a proxy
// credential as it stores a forwarded TGT, and names it in Auth.CCache;
// the sweeper removes the file once the user's evidence ticket in it has
// ended, though the service's TGT beside it has not.
func TestDelegationDirStoresProxy(t *testing.T) {
	dir := delegDir(t)
	acc := proxyFake()
	mw := newDelegMW(t, acc, dir)
	var stored *ccache.Cache
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := FromContext(r.Context())
		if !ok || a.Delegated == nil || a.DelegationKind != "proxy" {
			t.Fatalf("Auth %+v, want a proxy credential", a)
		}
		c, err := ccache.ReadFile(ccachePath(t, a, dir))
		if err != nil {
			t.Fatal(err)
		}
		stored = c
	}))
	start := time.Now()
	if rec := serve(h, "proxy:"+alice); rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if stored.Default.String() != alice || !slices.ContainsFunc(stored.Credentials, func(c ccache.Credential) bool {
		return c.IsConfig() && slices.Contains(c.Server.Components, "proxy_impersonator")
	}) {
		t.Errorf("the stored ccache is not alice's proxy credential: %+v", stored)
	}
	checkReleased(t, acc)

	path := filepath.Join(dir, alice)
	if files, err := SweepDir(dir, start.Add(time.Hour-time.Minute)); err != nil || len(files) != 0 {
		t.Errorf("before the evidence ticket ends, the sweep removed %+v, %v", files, err)
	}
	if files, err := SweepDir(dir, start.Add(time.Hour+time.Minute)); err != nil || len(files) != 1 || files[0].Principal != alice {
		t.Errorf("once the evidence ticket has ended, the sweep removed %+v, %v; want alice's file", files, err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("alice's proxy credential is still there: %v", err)
	}
}
