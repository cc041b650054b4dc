package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/ccache"
)

func TestSweep(t *testing.T) {
	dir := delegDir(t)
	buf, logger := newLog(slog.LevelInfo)
	mw := newDelegMW(t, newFake(), dir, logger)

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
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := mw.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
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

// TestSweepSidecars checks that a sidecar goes once no ccache of its hashed
// name is left and it is over a minute old, and not before.
func TestSweepSidecars(t *testing.T) {
	dir := delegDir(t)
	buf, logger := newLog(slog.LevelInfo)
	mw := newDelegMW(t, newFake(), dir, logger)
	now := time.Now()
	past, future, old := now.Add(-time.Hour), now.Add(time.Hour), now.Add(-2*time.Minute)
	p := func(i int) string { return fmt.Sprintf("%s%d@EXAMPLE.TEST", strings.Repeat("x", 200), i) }

	// Removed: an expired ccache and its sidecar; an old sidecar of
	// nothing; an expired ccache whose sidecar is gone.
	writeCCache(t, dir, sha256Name(p(1)), p(1), past)
	writeSidecarFile(t, dir, sha256Name(p(1)), p(1), old)
	writeSidecarFile(t, dir, sha256Name(p(2)), p(2), old)
	writeCCache(t, dir, sha256Name(p(3)), p(3), past)
	wantRemoved := []string{
		sha256Name(p(1)) + " " + p(1),
		sha256Name(p(1)) + sidecarSuffix + " ",
		sha256Name(p(2)) + sidecarSuffix + " ",
		sha256Name(p(3)) + " ",
	}
	// Kept: old sidecars of live ccaches, per principal and per request,
	// and a fresh sidecar of nothing, as a request leaves it before its
	// ccache is in place.
	writeCCache(t, dir, sha256Name(p(4)), p(4), future)
	writeSidecarFile(t, dir, sha256Name(p(4)), p(4), old)
	writeCCache(t, dir, sha256Name(p(5))+"~0123456789abcdef", p(5), future)
	writeSidecarFile(t, dir, sha256Name(p(5)), p(5), old)
	writeSidecarFile(t, dir, sha256Name(p(6)), p(6), now)

	before := dirNames(t, dir)
	files, err := sweep(dir, now, &mw.store.mu)
	if err != nil {
		t.Error(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name+" "+f.Principal)
	}
	slices.Sort(got)
	slices.Sort(wantRemoved)
	if !slices.Equal(got, wantRemoved) {
		t.Errorf("removed\n%q\nwant\n%q", got, wantRemoved)
	}
	var want []string
	for _, n := range before {
		if !slices.ContainsFunc(wantRemoved, func(r string) bool { return strings.HasPrefix(r, n+" ") }) {
			want = append(want, n)
		}
	}
	if names := dirNames(t, dir); !slices.Equal(names, want) {
		t.Errorf("left\n%q\nwant\n%q", names, want)
	}

	// The log of SweepNow names each kind.
	writeSidecarFile(t, dir, sha256Name(p(2)), p(2), old)
	if n, err := mw.SweepNow(); n != 1 || err != nil {
		t.Errorf("SweepNow: %d, %v", n, err)
	}
	if out := buf.String(); !strings.Contains(out, `msg="negotiate: removed the principal file of ccaches that are gone" file=`+sha256Name(p(2))+sidecarSuffix) {
		t.Errorf("log:\n%s", out)
	}
}

// TestSweepByTheUsersTickets: a ccache is due once the tickets of its
// default principal, the user, have all ended, whatever other clients'
// tickets it holds. A stored proxy credential holds the service's own TGT
// (10 hours) beside the user's evidence ticket, which may end sooner: it
// goes when the evidence ticket (and any backend ticket of the user's)
// ends, not when the service's TGT does. A forwarded TGT stays until it
// ends, however soon the service tickets beside it end.
func TestSweepByTheUsersTickets(t *testing.T) {
	dir := delegDir(t)
	now := time.Now().Truncate(time.Second)
	const websvc = "websvc@EXAMPLE.TEST"
	name := func(p string) string {
		n, err := CCacheName(p)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	write := func(principal string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name(principal)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const dave, erin = "dave@EXAMPLE.TEST", "erin@EXAMPLE.TEST"
	// alice's evidence ticket ended a minute ago; the service's TGT in her
	// file is good for 9 hours more.
	write(alice, testProxyCCache(alice, websvc, now.Add(-time.Minute), now.Add(9*time.Hour)))
	// bob's evidence ticket and the backend ticket got with it end in an
	// hour, the service's TGT in 10.
	write(bob, testProxyCCache(bob, websvc, now.Add(time.Hour), now.Add(10*time.Hour), "HTTP/backend@EXAMPLE.TEST"))
	// carol forwarded her TGT, good for 10 hours; the service ticket got
	// with it ends in one.
	forwarded, err := ccache.Parse(testCCache(carol, now.Add(10*time.Hour), 2))
	if err != nil {
		t.Fatal(err)
	}
	forwarded.Credentials[2].EndTime = now.Add(time.Hour)
	forwarded.Default.NameType = 10 // KRB5_NT_ENTERPRISE_PRINCIPAL: the name type does not matter, as to krb5_principal_compare
	write(carol, forwarded.Marshal())
	// dave's file holds the service's TGT and no ticket of his.
	serviceOnly, err := ccache.Parse(testProxyCCache(dave, websvc, now.Add(time.Hour), now.Add(10*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	serviceOnly.Credentials = serviceOnly.Credentials[:len(serviceOnly.Credentials)-1]
	write(dave, serviceOnly.Marshal())
	// erin's evidence ticket is good for an hour; the service's TGT has
	// ended (the service renews its own, not the ones it stored).
	write(erin, testProxyCCache(erin, websvc, now.Add(time.Hour), now.Add(-time.Minute)))

	// removal is how the sweep reports a file: its name and when the
	// user's tickets in it ended, "none" without one.
	removal := func(name string, expired time.Time) string {
		if expired.IsZero() {
			return name + " none"
		}
		return name + " " + expired.UTC().Format(time.RFC3339)
	}
	for _, step := range []struct {
		at   time.Duration
		want []string // removals, sorted
	}{
		{0, []string{removal(name(alice), now.Add(-time.Minute)), removal(name(dave), time.Time{})}},
		{time.Hour + time.Minute, []string{removal(name(bob), now.Add(time.Hour)), removal(name(erin), now.Add(time.Hour))}},
		{10*time.Hour - time.Minute, nil},
		{10*time.Hour + time.Minute, []string{removal(name(carol), now.Add(10*time.Hour))}},
	} {
		files, err := SweepDir(dir, now.Add(step.at))
		if err != nil {
			t.Errorf("at +%v: %v", step.at, err)
		}
		var got []string
		for _, f := range files {
			got = append(got, removal(f.Name, f.Expired))
		}
		slices.Sort(got)
		if !slices.Equal(got, step.want) {
			t.Errorf("at +%v, the sweep removed\n%q\nwant\n%q", step.at, got, step.want)
		}
	}
}
