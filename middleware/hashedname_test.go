package middleware

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Principals whose escaped names would be over MaxCCacheNameLen, and one
// without a realm, which has no escaped name at all.
var (
	// 190 ASCII characters; with "HTTP", "SPN" and the two "/" escaped,
	// the escaped name would be 208 bytes.
	longASCII = "HTTP/" + strings.Repeat("x", 156) + ".example.com/SPN@EXAMPLE.TEST"
	// 70 characters, 57 of them Cyrillic letters: each is 2 bytes of
	// UTF-8, each byte an escape of 3, so the escaped name would be 355
	// bytes.
	longCyrillic = strings.Repeat("Владислава", 5) + "Юрьевна" + "@EXAMPLE.TEST"
	noRealm      = "alice"
)

func TestLongPrincipalLengths(t *testing.T) {
	if n := len(longASCII); n != 190 {
		t.Errorf("longASCII is %d bytes", n)
	}
	if n := utf8.RuneCountInString(longCyrillic); n != 70 {
		t.Errorf("longCyrillic is %d characters", n)
	}
}

// TestDelegationLongPrincipals stores the delegated credentials of
// principals whose escaped names do not fit: each is stored, under a name
// of its own, and found again by a session request, and the sweeper
// removes the file and what records its principal once it expires. None
// is a server fault.
func TestDelegationLongPrincipals(t *testing.T) {
	for _, policy := range []CCachePolicy{PerPrincipal, PerRequest} {
		t.Run(policy.String(), func(t *testing.T) {
			dir := delegDir(t)
			g := newRigWith(t, delegFake(), WithSessions(), WithDelegationDir(dir), WithCCachePolicy(policy))
			paths := map[string]string{}
			for _, p := range []string{longASCII, longCyrillic, noRealm} {
				res, a := g.do("/", neg("deleg:"+p))
				if res.StatusCode != 200 || a == nil || a.Principal != p {
					t.Errorf("%.20q...: status %d, Auth %+v", p, res.StatusCode, a)
					continue
				}
				path := ccachePath(t, a, dir)
				name := filepath.Base(path)
				for other, q := range paths {
					if strings.EqualFold(filepath.Base(other), name) {
						t.Errorf("%.20q... and %.20q... share the file %s", p, q, name)
					}
				}
				paths[path] = p
				if len(name) > MaxCCacheNameLen+len(requestSep)+requestHexLen {
					t.Errorf("name of %d bytes: %s", len(name), name)
				}
				if policy == PerRequest {
					continue // removed when the handler returned
				}
				want := testCCache(p, time.Now().Add(time.Hour), 1)
				if got, err := os.ReadFile(path); err != nil || len(got) != len(want) {
					t.Errorf("%s holds %d bytes, want %d (%v)", name, len(got), len(want), err)
				}

				// Found again: a session request gets the file.
				c := sessionCookieOf(res.Header, g.mw.sess.name)
				if c == nil {
					t.Fatalf("%.20q...: no session cookie", p)
				}
				res, a = g.do("/", "", c.Name+"="+c.Value)
				if res.StatusCode != 200 || a == nil || !a.FromSession || a.CCache != "FILE:"+path {
					t.Errorf("%.20q... on the session: status %d, Auth %+v, want CCache FILE:%s", p, res.StatusCode, a, path)
				}
			}
			if out := g.logs.String(); strings.Contains(out, "level=ERROR") || strings.Contains(out, "level=WARN") {
				t.Errorf("log:\n%s", out)
			}

			// Swept once expired, records and all.
			removed, err := SweepDir(dir, time.Now().Add(2*time.Hour))
			if err != nil {
				t.Error(err)
			}
			for _, f := range removed {
				if p, ok := paths[filepath.Join(dir, f.Name)]; ok && f.Principal != p {
					t.Errorf("swept %s of %.20q..., reported as of %.20q...", f.Name, p, f.Principal)
				}
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("left after the sweep: %q", names)
			}
		})
	}
}

// writeSidecarFile writes a sidecar recording principal for the hashed
// name, last modified at mtime.
func writeSidecarFile(t *testing.T, dir, name, principal string, mtime time.Time) string {
	t.Helper()
	path := filepath.Join(dir, name+sidecarSuffix)
	if err := os.WriteFile(path, []byte(principal), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPrincipalFromCCacheFile(t *testing.T) {
	dir := delegDir(t)
	mw := newDelegMW(t, delegFake(), dir)
	var ccname string
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := FromContext(r.Context())
		ccname = filepath.Base(ccachePath(t, a, dir))
	}))
	if rec := serve(h, "deleg:"+longCyrillic); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if ccname != sha256Name(longCyrillic) {
		t.Fatalf("stored as %s, want %s", ccname, sha256Name(longCyrillic))
	}
	sidecar := filepath.Join(dir, ccname+sidecarSuffix)
	if fi, err := os.Lstat(sidecar); err != nil || fi.Mode() != 0o600 {
		t.Fatalf("sidecar: %v, %v", fi, err)
	}
	if b, _ := os.ReadFile(sidecar); string(b) != longCyrillic {
		t.Errorf("sidecar holds %q", b)
	}
	for _, name := range []string{ccname, ccname + "~0123456789abcdef", "alice@EXAMPLE.TEST"} {
		want := longCyrillic
		if name == "alice@EXAMPLE.TEST" {
			want = name // escaped: no file needed
		}
		if p, err := PrincipalFromCCacheFile(dir, name); err != nil || p != want {
			t.Errorf("PrincipalFromCCacheFile(%s) = %q, %v, want %q", name, p, err, want)
		}
	}

	bad := []struct {
		name  string
		setup func(t *testing.T)
	}{
		{"another principal's sidecar", func(t *testing.T) {
			writeSidecarFile(t, dir, ccname, "mallory@EXAMPLE.TEST", time.Now())
		}},
		{"the principal with a newline", func(t *testing.T) {
			writeSidecarFile(t, dir, ccname, longCyrillic+"\n", time.Now())
		}},
		{"a symbolic link to the right content", func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "target")
			os.WriteFile(target, []byte(longCyrillic), 0o600)
			os.Remove(sidecar)
			if err := os.Symlink(target, sidecar); err != nil {
				t.Fatal(err)
			}
		}},
		{"no sidecar", func(t *testing.T) { os.Remove(sidecar) }},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			if p, err := PrincipalFromCCacheFile(dir, ccname); err == nil {
				t.Errorf("PrincipalFromCCacheFile = %q, want an error", p)
			}
		})
	}
	for _, name := range []string{"README", ccname + sidecarSuffix, strings.ToUpper(ccname)} {
		if p, err := PrincipalFromCCacheFile(dir, name); err == nil {
			t.Errorf("PrincipalFromCCacheFile(%s) = %q, want an error", name, p)
		}
	}
}
