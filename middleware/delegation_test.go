package middleware

import (
	"bytes"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/ccache"
)

func TestDelegationPerPrincipal(t *testing.T) {
	dir := delegDir(t)
	acc := delegFake()
	mw := newDelegMW(t, acc, dir)
	var paths []string
	var inodes []os.FileInfo
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := FromContext(r.Context())
		if !ok || a.Delegated == nil {
			t.Fatal("no delegated credential")
		}
		path := ccachePath(t, a, dir)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("stored file: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode())
		}
		c, err := ccache.ReadFile(path)
		if err != nil || c.Default.String() != alice {
			t.Errorf("stored ccache: %v, %v", c, err)
		}
		paths = append(paths, path)
		inodes = append(inodes, fi)
	}))
	for range 2 {
		if rec := serve(h, "deleg:"+alice); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	want := filepath.Join(dir, alice)
	if !slices.Equal(paths, []string{want, want}) {
		t.Errorf("paths %q, want %q twice", paths, want)
	}
	if os.SameFile(inodes[0], inodes[1]) {
		t.Error("the second request did not replace the file")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{alice}) {
		t.Errorf("directory holds %q, want only %q", names, alice)
	}
	checkReleased(t, acc)
}

// TestDelegationNames checks that a principal's file stays in the
// directory whatever the principal, and that principals that differ get
// different files.
func TestDelegationNames(t *testing.T) {
	dir := delegDir(t)
	mw := newDelegMW(t, delegFake(), dir)
	principals := []string{
		"svc/admin@EXAMPLE.TEST",
		"svc_admin@EXAMPLE.TEST",
		"svc%2Fadmin@EXAMPLE.TEST",
		"../../etc/passwd@EXAMPLE.TEST",
		"..@EXAMPLE.TEST",
		".hidden@EXAMPLE.TEST",
		"a..b@EXAMPLE.TEST",
		"x~0123456789abcdef@EXAMPLE.TEST",
		"nul\x00byte@EXAMPLE.TEST",
		"jürgen@EXAMPLE.TEST",
		"HTTP/web.example.com@EXAMPLE.TEST",
		// Equal under case folding: distinct files on a case-insensitive
		// file system too.
		"alice@EXAMPLE.TEST",
		"Alice@EXAMPLE.TEST",
		"ALICE@EXAMPLE.TEST",
		"alice@example.test",
	}
	seen := map[string]string{}
	for _, p := range principals {
		var path string
		h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, _ := FromContext(r.Context())
			path = ccachePath(t, a, dir)
		}))
		if rec := serve(h, "deleg:"+p); rec.Code != 200 {
			t.Fatalf("%q: status %d", p, rec.Code)
		}
		checkOwnName(t, seen, p, filepath.Base(path))
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	if names := dirNames(t, dir); len(names) != len(principals) {
		t.Errorf("directory holds %d files, want %d: %q", len(names), len(principals), names)
	}
	if names := dirNames(t, filepath.Dir(dir)); !slices.Equal(names, []string{filepath.Base(dir)}) {
		t.Errorf("files escaped the directory: its parent holds %q", names)
	}
}

// TestDelegationConcurrent stores the credentials of 20 concurrent
// requests of one principal, each a ccache of another length: the file left
// is one of them whole, and no temporary file remains.
func TestDelegationConcurrent(t *testing.T) {
	dir := delegDir(t)
	acc := newFake()
	end := time.Now().Add(time.Hour)
	var mu sync.Mutex
	var contents [][]byte
	acc.newCred = func(p string) *fakeCred {
		mu.Lock()
		defer mu.Unlock()
		c := testCCache(p, end, len(contents)+1)
		contents = append(contents, c)
		return &fakeCred{contents: c}
	}
	mw := newDelegMW(t, acc, dir)
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := FromContext(r.Context())
		if _, err := ccache.ReadFile(strings.TrimPrefix(a.CCache, "FILE:")); err != nil {
			t.Errorf("handler reads a bad ccache: %v", err)
		}
	}))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if rec := serve(h, "deleg:"+bob); rec.Code != 200 {
				t.Errorf("status %d", rec.Code)
			}
		}()
	}
	close(start)
	wg.Wait()
	if names := dirNames(t, dir); !slices.Equal(names, []string{bob}) {
		t.Fatalf("directory holds %q, want only %q", names, bob)
	}
	got, err := os.ReadFile(filepath.Join(dir, bob))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(contents, func(c []byte) bool { return bytes.Equal(c, got) }) {
		t.Error("the file is none of the stored ccaches whole")
	}
	c, err := ccache.Parse(got)
	if err != nil || c.Default.String() != bob {
		t.Errorf("final ccache: %+v, %v", c, err)
	}
	if n := len(acc.issuedCreds()); n != 20 {
		t.Errorf("%d credentials, want 20", n)
	}
	checkReleased(t, acc)
}

func TestDelegationPerRequest(t *testing.T) {
	dir := delegDir(t)
	acc := delegFake()
	mw := newDelegMW(t, acc, dir, WithCCachePolicy(PerRequest))

	var mu sync.Mutex // the panicking request runs on a server goroutine
	var paths []string
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := FromContext(r.Context())
		path := ccachePath(t, a, dir)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("file missing while the handler runs: %v", err)
		}
		mu.Lock()
		paths = append(paths, path)
		mu.Unlock()
		if r.URL.Path == "/panic" {
			panic("handler panics")
		}
	}))
	for range 2 {
		if rec := serve(h, "deleg:"+alice); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if len(paths) != 2 || paths[0] == paths[1] {
		t.Fatalf("paths %q, want two different", paths)
	}
	for _, p := range paths {
		base, suffix, found := strings.Cut(filepath.Base(p), "~")
		if !found || base != alice || len(suffix) != 16 || !isLowerHex(suffix) {
			t.Errorf("per-request name %q", filepath.Base(p))
		}
		if back, err := PrincipalFromCCacheName(filepath.Base(p)); err != nil || back != alice {
			t.Errorf("%q maps back to %q, %v", p, back, err)
		}
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("files left after the handlers returned: %q", names)
	}

	// A panicking handler, recovered by a real server.
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	defer srv.Close()
	if res, err := sendToken(srv, "/panic", "deleg:"+alice); err == nil {
		res.Body.Close()
		t.Errorf("status %d from a panicking handler", res.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) < 3 {
		t.Fatal("the panicking handler did not run")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("files left after the handler panicked: %q", names)
	}
	checkReleased(t, acc)
}

func TestDelegationRequired(t *testing.T) {
	optional := WithAuthRequired(func(*http.Request) bool { return false })
	tests := []struct {
		name        string
		opts        []Option
		kind        string
		status      int
		principal   string // seen by next
		failure     string // Reason seen by next
		delegated   bool   // next sees a credential
		wantReason  string // in Outcome and log
		wantLogged  string // log level, if any
		outcomeCode int
	}{
		{"required, none", []Option{WithDelegationRequired()}, "nodeleg:" + alice, 403, "", "", false,
			"no_delegated_credential", "INFO", 403},
		{"required, delegated", []Option{WithDelegationRequired()}, "deleg:" + alice, 200, alice, "", true, "", "", 0},
		{"required, proxy", []Option{WithDelegationRequired()}, "proxy:" + alice, 200, alice, "", true, "", "", 0},
		{"required, optional route", []Option{WithDelegationRequired(), optional}, "nodeleg:" + alice, 200, "", "no_delegated_credential", false,
			"no_delegated_credential", "INFO", 0},
		{"required, custom forbidden", []Option{WithDelegationRequired(), WithForbiddenHandler(customDenied(403, false))}, "nodeleg:" + alice, 403, "", "", false,
			"no_delegated_credential", "INFO", 403},
		{"required, typed nil", []Option{WithDelegationRequired()}, "typednil:" + alice, 403, "", "", false,
			"no_delegated_credential", "INFO", 403},
		{"default, none", nil, "nodeleg:" + alice, 200, alice, "", false, "", "", 0},
		{"default, typed nil", []Option{WithDelegationDir(delegDir(t))}, "typednil:" + alice, 200, alice, "", false, "", "", 0},
		{"default, delegated", nil, "deleg:" + alice, 200, alice, "", true, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf, logger := newLog(slog.LevelInfo)
			var outcome Outcome
			acc := delegFake()
			mw, err := New(acc, append([]Option{logger, WithOutcomeHook(func(_ *http.Request, o Outcome) { outcome = o })}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer mw.Close()
			var delegated, ran bool
			var ccname string
			h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran = true
				if a, ok := FromContext(r.Context()); ok {
					delegated, ccname = a.Delegated != nil, a.CCache
				}
				nextHandler(w, r)
			}))
			rec := serve(h, tt.kind)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("X-Principal"); got != tt.principal {
				t.Errorf("principal %q, want %q", got, tt.principal)
			}
			if got := rec.Header().Get("X-Failure"); got != tt.failure {
				t.Errorf("failure %q, want %q", got, tt.failure)
			}
			if ran && delegated != tt.delegated {
				t.Errorf("next saw a credential: %v, want %v", delegated, tt.delegated)
			}
			if ccname != "" {
				t.Errorf("CCache %q without a delegation directory", ccname)
			}
			if outcome.Reason != tt.wantReason || outcome.Status != tt.outcomeCode {
				t.Errorf("outcome %+v", outcome)
			}
			out := buf.String()
			if tt.wantLogged != "" {
				for _, want := range []string{"level=" + tt.wantLogged, "reason=no_delegated_credential", "principal=" + alice, "hint="} {
					if !strings.Contains(out, want) {
						t.Errorf("log lacks %s:\n%s", want, out)
					}
				}
			} else if out != "" {
				t.Errorf("unexpected log:\n%s", out)
			}
			checkReleased(t, acc)
		})
	}
}

func TestDelegationStoreFailure(t *testing.T) {
	type setup struct {
		name    string
		skip    func() string
		breakIt func(t *testing.T, dir string, acc *fakeAcceptor)
	}
	setups := []setup{
		{name: "store fails", breakIt: func(t *testing.T, dir string, acc *fakeAcceptor) {
			acc.newCred = func(p string) *fakeCred {
				return &fakeCred{contents: testCCache(p, time.Now().Add(time.Hour), 1), fail: errors.New("disk full (fake)")}
			}
		}},
		{name: "directory read-only", skip: func() string {
			if os.Geteuid() == 0 {
				return "root writes into a read-only directory"
			}
			return ""
		}, breakIt: func(t *testing.T, dir string, acc *fakeAcceptor) {
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
		}},
		{name: "directory replaced by a file", breakIt: func(t *testing.T, dir string, acc *fakeAcceptor) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			if s.skip != nil {
				if why := s.skip(); why != "" {
					t.Skip(why)
				}
			}
			dir := delegDir(t)
			buf, logger := newLog(slog.LevelInfo)
			var outcome Outcome
			acc := delegFake()
			mw, err := New(acc, logger, WithDelegationDir(dir), WithOutcomeHook(func(_ *http.Request, o Outcome) { outcome = o }))
			if err != nil {
				t.Fatal(err)
			}
			defer mw.Close()
			h := mw.Wrap(nextHandler)
			s.breakIt(t, dir, acc)

			rec := serve(h, "deleg:"+alice)
			if rec.Code != 500 || rec.Body.String() != "Internal Server Error\n" || rec.Header().Get("X-Next") != "" {
				t.Errorf("status %d, body %q, next ran %q", rec.Code, rec.Body, rec.Header().Get("X-Next"))
			}
			out := buf.String()
			for _, want := range []string{"level=ERROR", "reason=ccache_store_failed", "delegation_dir=" + dir, "principal=" + alice} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %s:\n%s", want, out)
				}
			}
			if strings.Contains(rec.Body.String(), dir) {
				t.Error("the response names the directory")
			}
			if outcome.Reason != "ccache_store_failed" || outcome.Status != 500 {
				t.Errorf("outcome %+v", outcome)
			}
			checkReleased(t, acc)
			if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
				os.Chmod(dir, 0o700)
				if names := dirNames(t, dir); len(names) != 0 {
					t.Errorf("files left after the failure: %q", names)
				}
			}

			// The service goes on: a request without delegation passes.
			if rec := serve(h, "nodeleg:"+bob); rec.Code != 200 || rec.Header().Get("X-Principal") != bob {
				t.Errorf("next request: status %d, principal %q", rec.Code, rec.Header().Get("X-Principal"))
			}
		})
	}

	t.Run("recovers", func(t *testing.T) {
		dir := delegDir(t)
		acc := delegFake()
		mw := newDelegMW(t, acc, dir)
		h := mw.Wrap(nextHandler)
		good := acc.newCred
		acc.newCred = func(p string) *fakeCred { return &fakeCred{contents: []byte("x"), fail: errors.New("fake")} }
		if rec := serve(h, "deleg:"+alice); rec.Code != 500 {
			t.Errorf("status %d, want 500", rec.Code)
		}
		acc.newCred = good
		if rec := serve(h, "deleg:"+alice); rec.Code != 200 {
			t.Errorf("status %d after the failure, want 200", rec.Code)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{alice}) {
			t.Errorf("directory holds %q", names)
		}
	})
}

func TestNewDelegationDir(t *testing.T) {
	root := t.TempDir()
	mkdir := func(name string, mode os.FileMode) string {
		p := filepath.Join(root, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
		return p
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts []Option
		want string // in the error; "" for success
	}{
		{"0700", []Option{WithDelegationDir(mkdir("d700", 0o700))}, ""},
		{"0755", []Option{WithDelegationDir(mkdir("d755", 0o755))}, ""},
		{"0750 with options", []Option{WithDelegationDir(mkdir("d750", 0o750)), WithCCachePolicy(PerRequest),
			WithSweepInterval(time.Hour), WithDelegationRequired()}, ""},
		{"missing", []Option{WithDelegationDir(filepath.Join(root, "missing"))}, filepath.Join(root, "missing") + ": no such file or directory"},
		{"a file", []Option{WithDelegationDir(file)}, file + ": not a directory"},
		{"0777", []Option{WithDelegationDir(mkdir("d777", 0o777))}, "group- or world-writable"},
		{"0770", []Option{WithDelegationDir(mkdir("d770", 0o770))}, "group- or world-writable"},
		{"1777 like /tmp", []Option{WithDelegationDir(mkdir("d1777", os.ModeSticky|0o777))}, "group- or world-writable"},
		{"0702", []Option{WithDelegationDir(mkdir("d702", 0o702))}, "mode 0702"},
		{"empty", []Option{WithDelegationDir("")}, "empty directory"},
		{"policy without dir", []Option{WithCCachePolicy(PerRequest)}, "WithCCachePolicy without WithDelegationDir"},
		{"interval without dir", []Option{WithSweepInterval(time.Minute)}, "WithSweepInterval without WithDelegationDir"},
		{"unknown policy", []Option{WithDelegationDir(mkdir("dpol", 0o700)), WithCCachePolicy(7)}, "unknown policy 7"},
		{"interval 0", []Option{WithDelegationDir(mkdir("di0", 0o700)), WithSweepInterval(0)}, "not positive"},
		{"interval -1s", []Option{WithDelegationDir(mkdir("di1", 0o700)), WithSweepInterval(-time.Second)}, "not positive"},
	}
	if os.Geteuid() != 0 {
		tests = append(tests, struct {
			name string
			opts []Option
			want string
		}{"read-only", []Option{WithDelegationDir(mkdir("d500", 0o500))}, "not writable: permission denied"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := New(newFake(), append([]Option{quiet}, tt.opts...)...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if err := mw.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				if names := dirNames(t, mw.store.dir); len(names) != 0 {
					t.Errorf("New left %q in the directory", names)
				}
				return
			}
			if err == nil {
				mw.Close()
				t.Fatalf("New accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "middleware: ") {
				t.Errorf("error %q, want it to hold %q", err, tt.want)
			}
		})
	}

	t.Run("relative", func(t *testing.T) {
		dir := mkdir("rel", 0o700)
		t.Chdir(root)
		mw := newDelegMW(t, delegFake(), "rel")
		var ccname string
		h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, _ := FromContext(r.Context())
			ccname = a.CCache
		}))
		serve(h, "deleg:"+alice)
		if want := "FILE:" + filepath.Join(dir, alice); ccname != want {
			t.Errorf("CCache %q, want %q", ccname, want)
		}
	})
}
