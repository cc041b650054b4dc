package middleware

import (
	"bytes"
	"errors"
	"fmt"
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

// testCCache returns a ccache file for principal ("svc/admin@R") holding a
// ticket-granting ticket and n-1 service tickets that end at end, after a
// configuration entry, as MIT's kinit writes them. A principal without
// "@" has the empty realm.
func testCCache(principal string, end time.Time, n int) []byte {
	name, realm := principal, ""
	if at := strings.LastIndexByte(principal, '@'); at >= 0 {
		name, realm = principal[:at], principal[at+1:]
	}
	client := ccache.Principal{NameType: 1, Realm: realm, Components: strings.Split(name, "/")}
	tgt := ccache.Principal{NameType: 2, Realm: realm, Components: []string{"krbtgt", realm}}
	c := &ccache.Cache{Version: ccache.Version4, Default: client, Credentials: []ccache.Credential{
		{Client: client, Server: ccache.Principal{Realm: ccache.ConfigRealm,
			Components: []string{"krb5_ccache_conf_data", "fast_avail", "krbtgt/" + realm + "@" + realm}}},
	}}
	for i := range n {
		server := tgt
		if i > 0 {
			server = ccache.Principal{NameType: 3, Realm: realm, Components: []string{"HTTP", fmt.Sprintf("host%d", i)}}
		}
		c.Credentials = append(c.Credentials, ccache.Credential{Client: client, Server: server,
			AuthTime: end.Add(-10 * time.Hour), EndTime: end, Flags: 0x40c10000, KeyType: 18})
	}
	return c.Marshal()
}

// delegDir returns a fresh private directory.
func delegDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// delegFake is a fake acceptor whose "deleg:P" credentials store a valid
// ccache of P, ending in an hour.
func delegFake() *fakeAcceptor {
	acc := newFake()
	acc.newCred = func(p string) *fakeCred {
		return &fakeCred{contents: testCCache(p, time.Now().Add(time.Hour), 1)}
	}
	return acc
}

// newDelegMW returns a Middleware storing into dir, closed by the test's
// cleanup.
func newDelegMW(t *testing.T, acc Acceptor, dir string, opts ...Option) *Middleware {
	t.Helper()
	mw, err := New(acc, append([]Option{quiet, WithDelegationDir(dir)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mw.Close() })
	return mw
}

// serve sends one request carrying a fake token of kind through h.
func serve(h http.Handler, kind string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/", nil)
	if kind != "" {
		req.Header.Set("Authorization", neg(kind))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// dirNames lists dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// checkReleased checks that each credential acc handed out was released
// exactly once.
func checkReleased(t *testing.T, acc *fakeAcceptor) {
	t.Helper()
	for i, c := range acc.issuedCreds() {
		if n := c.released.Load(); n != 1 {
			t.Errorf("credential %d released %d times, want 1", i, n)
		}
	}
}

// ccachePath returns the path in Auth.CCache, which must be a FILE: cache
// in dir.
func ccachePath(t *testing.T, a *Auth, dir string) string {
	t.Helper()
	path, ok := strings.CutPrefix(a.CCache, "FILE:")
	if !ok || filepath.Dir(path) != dir {
		t.Fatalf("CCache = %q, want FILE: in %s", a.CCache, dir)
	}
	return path
}

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
		name := filepath.Base(path)
		for n, other := range seen {
			if strings.EqualFold(n, name) {
				t.Errorf("%q and %q share the file %q, but for case %q", p, other, n, name)
			}
		}
		seen[name] = p
		if back, err := PrincipalFromCCacheName(name); err != nil || back != p {
			t.Errorf("%q: file %q maps back to %q, %v", p, name, back, err)
		}
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
		wg.Go(func() {
			<-start
			if rec := serve(h, "deleg:"+bob); rec.Code != 200 {
				t.Errorf("status %d", rec.Code)
			}
		})
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
	req, _ := http.NewRequest("GET", srv.URL+"/panic", nil)
	req.Header.Set("Authorization", neg("deleg:"+alice))
	if res, err := srv.Client().Do(req); err == nil {
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
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
			var outcome Outcome
			acc := delegFake()
			mw, err := New(acc, append([]Option{WithLogger(logger), WithOutcomeHook(func(o Outcome) { outcome = o })}, tt.opts...)...)
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
			var buf syncBuffer
			logger := slog.New(slog.NewTextHandler(&buf, nil))
			var outcome Outcome
			acc := delegFake()
			mw, err := New(acc, WithLogger(logger), WithDelegationDir(dir), WithOutcomeHook(func(o Outcome) { outcome = o }))
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

// syncBuffer is a bytes.Buffer for a logger that a sweeper may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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

// writeCCache writes a ccache of principal ending at end under name in dir.
func writeCCache(t *testing.T, dir, name, principal string, end time.Time) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, testCCache(principal, end, 2), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSweep(t *testing.T) {
	dir := delegDir(t)
	var buf syncBuffer
	mw, err := New(newFake(), WithLogger(slog.New(slog.NewTextHandler(&buf, nil))), WithDelegationDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer mw.Close()

	now := time.Now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	name := func(p string) string {
		n, err := CCacheName(p)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Removed.
	writeCCache(t, dir, name(alice), alice, past)
	writeCCache(t, dir, name("svc/admin@EXAMPLE.TEST")+"~0123456789abcdef", "svc/admin@EXAMPLE.TEST", past)
	configOnly := &ccache.Cache{Version: ccache.Version4, Default: ccache.Principal{Realm: "R", Components: []string{"c"}},
		Credentials: []ccache.Credential{{Server: ccache.Principal{Realm: ccache.ConfigRealm, Components: []string{"krb5_ccache_conf_data", "x"}},
			EndTime: future}}}
	os.WriteFile(filepath.Join(dir, "c@R"), configOnly.Marshal(), 0o600)
	staleTmp := filepath.Join(dir, ".tmp-"+strings.Repeat("ab", 16))
	os.WriteFile(staleTmp, []byte("half a ccache"), 0o600)
	os.Chtimes(staleTmp, now.Add(-2*time.Minute), now.Add(-2*time.Minute))
	wantRemoved := []string{name(alice), name("svc/admin@EXAMPLE.TEST") + "~0123456789abcdef", "c@R", filepath.Base(staleTmp)}

	// Kept.
	writeCCache(t, dir, name(bob), bob, future)
	writeCCache(t, dir, name(carol)+"~fedcba9876543210", carol, future)
	os.WriteFile(filepath.Join(dir, ".tmp-"+strings.Repeat("cd", 16)), nil, 0o600) // fresh temporary file
	foreign := []string{
		"notes.txt", // no realm
		"README",
		".tmp-notours",
		".tmp-" + strings.Repeat("AB", 16), // upper-case hex
		"alice%2fx@EXAMPLE.TEST",           // lower-case escape
		"%61lice@EXAMPLE.TEST",             // needless escape
		".hidden",
		"krb5cc_1000",
		alice + "~short",
	}
	for _, f := range foreign {
		writeCCache(t, dir, f, alice, past)
	}
	os.Chtimes(filepath.Join(dir, ".tmp-notours"), past, past)
	// Names like ours, but not regular files.
	os.Symlink(filepath.Join(dir, "krb5cc_1000"), filepath.Join(dir, name("link@EXAMPLE.TEST")))
	os.Mkdir(filepath.Join(dir, name("subdir@EXAMPLE.TEST")), 0o700)
	writeCCache(t, filepath.Join(dir, name("subdir@EXAMPLE.TEST")), name(alice), alice, past)
	// Ours, but not a ccache: left, and reported.
	os.WriteFile(filepath.Join(dir, name("garbage@EXAMPLE.TEST")), []byte("not a ccache"), 0o600)

	before := dirNames(t, dir)
	removed, err := mw.SweepNow()
	if removed != len(wantRemoved) {
		t.Errorf("removed %d, want %d", removed, len(wantRemoved))
	}
	if err == nil || !strings.Contains(err.Error(), name("garbage@EXAMPLE.TEST")) || !errors.Is(err, ccache.ErrFormat) {
		t.Errorf("error %v, want one about the garbage file", err)
	}
	var want []string
	for _, n := range before {
		if !slices.Contains(wantRemoved, n) {
			want = append(want, n)
		}
	}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the sweep:\n got %q\nwant %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, name("subdir@EXAMPLE.TEST"), name(alice))); err != nil {
		t.Errorf("the sweep entered a subdirectory: %v", err)
	}
	out := buf.String()
	for _, want := range []string{
		`msg="negotiate: removed an expired delegated ccache" file=` + name(alice) + " delegation_dir=" + dir + " principal=" + alice,
		`principal=svc/admin@EXAMPLE.TEST`,
		`msg="negotiate: removed a stale temporary ccache" file=` + filepath.Base(staleTmp),
		`level=WARN msg="negotiate: sweeping the delegation directory"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "level=INFO"); n != len(wantRemoved) {
		t.Errorf("%d Info lines, want %d:\n%s", n, len(wantRemoved), out)
	}

	// Again: nothing more to do.
	if removed, _ := mw.SweepNow(); removed != 0 {
		t.Errorf("second sweep removed %d", removed)
	}

	// SweepDir, later: bob's and carol's tickets have expired by then.
	files, err := SweepDir(dir, future.Add(time.Minute))
	var got []string
	for _, f := range files {
		got = append(got, f.Name+" "+f.Principal)
		if f.Principal != "" && !f.Expired.Equal(future.Truncate(time.Second)) {
			t.Errorf("%s: expired %v, want %v", f.Name, f.Expired, future)
		}
	}
	slices.Sort(got)
	wantGot := []string{".tmp-" + strings.Repeat("cd", 16) + " ", name(bob) + " " + bob, name(carol) + "~fedcba9876543210 " + carol}
	if !slices.Equal(got, wantGot) {
		t.Errorf("SweepDir removed %q, want %q (err %v)", got, wantGot, err)
	}

	if _, err := SweepDir(filepath.Join(dir, "missing"), now); err == nil {
		t.Error("SweepDir of a missing directory: no error")
	}
}

// TestSweepKrb5Temp checks that the sweeper removes the temporary file that
// MIT krb5 (1.20 and later) writes beside ours, named after ours with "."
// and six characters of mkstemp's, once it is over a minute old: a crash
// during gss_store_cred_into leaves it, with a live credential in it.
func TestSweepKrb5Temp(t *testing.T) {
	dir := delegDir(t)
	now := time.Now()
	old := now.Add(-2 * time.Minute)
	ours := tempName()
	stale := ours + ".Xy3kQ9"
	fresh := tempName() + ".a0B1c2"
	notKrb5 := ours + ".Xy-kQ9" // "-" is not of mkstemp's alphabet
	for _, name := range []string{stale, fresh, notKrb5} {
		writeCCache(t, dir, name, alice, now.Add(time.Hour))
	}
	for _, name := range []string{stale, notKrb5} {
		if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	files, err := SweepDir(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0] != (SweptFile{Name: stale}) {
		t.Errorf("SweepDir removed %+v, want only %s", files, stale)
	}
	want := []string{fresh, notKrb5}
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the sweep: %q, want %q", got, want)
	}
}

// TestSweepReplaced checks the sweeper's last check: a file replaced after
// the sweeper read it stays.
func TestSweepReplaced(t *testing.T) {
	dir := delegDir(t)
	path := writeCCache(t, dir, alice, alice, time.Now().Add(-time.Hour))
	fi, _, expired, err := readExpiry(path, time.Now())
	if err != nil || !expired {
		t.Fatalf("readExpiry: expired %v, %v", expired, err)
	}
	// A request renames a fresh file over it.
	tmp := writeCCache(t, dir, ".tmp-"+strings.Repeat("0", 32), alice, time.Now().Add(time.Hour))
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	if ok, err := removeIfSame(path, fi, &mu); ok || err != nil {
		t.Errorf("removeIfSame of a replaced file = %v, %v", ok, err)
	}
	c, err := ccache.ReadFile(path)
	if err != nil {
		t.Fatalf("the fresh file is gone: %v", err)
	}
	if end, _ := c.LatestEnd(); !end.After(time.Now()) {
		t.Error("the file left is not the fresh one")
	}
	// Unchanged, it goes.
	fi, _ = os.Lstat(path)
	if ok, err := removeIfSame(path, fi, &mu); !ok || err != nil {
		t.Errorf("removeIfSame of the same file = %v, %v", ok, err)
	}
}

func TestSweeperBackground(t *testing.T) {
	dir := delegDir(t)
	mw, err := New(newFake(), quiet, WithDelegationDir(dir), WithSweepInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	path := writeCCache(t, dir, alice, alice, time.Now().Add(-time.Hour))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not remove an expired ccache")
		}
		time.Sleep(5 * time.Millisecond)
	}

	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := mw.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if err := mw.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
	path = writeCCache(t, dir, bob, bob, time.Now().Add(-time.Hour))
	time.Sleep(50 * time.Millisecond)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a sweep ran after Close: %v", err)
	}
	// Storing still works after Close.
	acc := delegFake()
	mw2 := newDelegMW(t, acc, dir)
	mw2.Close()
	if rec := serve(mw2.Wrap(nextHandler), "deleg:"+carol); rec.Code != 200 {
		t.Errorf("status %d after Close", rec.Code)
	}
}

func TestCloseWithoutDelegation(t *testing.T) {
	mw, err := New(newFake())
	if err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n, err := mw.SweepNow(); n != 0 || err != nil {
		t.Errorf("SweepNow = %d, %v", n, err)
	}
}
