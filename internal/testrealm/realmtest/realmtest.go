// Package realmtest holds what test binaries share around a
// [testrealm.Fixture]: [Main] for a TestMain that wants a realm, [Run] for
// one that does not, [StartRealm] for a test's realm of its own,
// [BuildMain] to build a program once per test binary, and [LockedBuffer],
// a log that goroutines write while a test reads it.
//
// It imports package testing, and [testrealm] does not, so that a program
// that embeds a realm (cmd/demo) does not link testing. Only tests import
// realmtest.
package realmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/negotiate-go/negotiate/internal/syncbuf"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// Main runs a test binary's tests against a fixture realm: it starts one in
// a temporary directory, points the process at it (UseInProcess), sets
// KRB5CCNAME to a cache that does not exist, so that no code can lean on a
// default ccache unnoticed, runs the tests with [Run], and cleans up. It
// stores the fixture in *f and returns m.Run's exit code.
func Main(m *testing.M, f **testrealm.Fixture) int {
	dir, err := os.MkdirTemp("", "testrealm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	fx, err := testrealm.StartFixture(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer fx.Close()
	if err := fx.UseInProcess(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(dir, "no-such-dir", "ccache"))
	*f = fx
	return Run(m)
}

// StartRealm starts a realm named name of the test's own, in a temporary
// directory (its Dir), and stops its KDC when the test ends. The process
// is not pointed at it: its clients run with its Env.
func StartRealm(t testing.TB, name string) *testrealm.Realm {
	t.Helper()
	r, err := testrealm.Start(t.TempDir(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// running is set while Run runs the tests: BuildMain needs it, for Run
// removes what BuildMain built.
var running atomic.Bool

// Run runs m's tests and then removes the programs [BuildMain] built. A
// TestMain that needs no realm calls it instead of m.Run; [Main] calls it.
func Run(m *testing.M) int {
	running.Store(true)
	defer running.Store(false)
	defer func() {
		builds.mu.Lock()
		defer builds.mu.Unlock()
		if builds.dir != "" {
			os.RemoveAll(builds.dir)
		}
	}()
	return m.Run()
}

// builds are the programs BuildMain built, by package path, in one
// temporary directory.
var builds struct {
	mu   sync.Mutex
	dir  string
	done map[string]*build
}

type build struct {
	once sync.Once
	bin  string // where the program is, once built
	err  error
}

// BuildMain builds the main package pkg (an import path, such as
// "github.com/negotiate-go/negotiate/cmd/demo") once per test binary and
// returns the program's path; tests running in parallel share the one
// build. The build inherits the environment, so that under `make
// test-heimdal` the program links Heimdal as the tests do. The program is
// removed when [Run] returns, so TestMain must call Run or [Main].
func BuildMain(t testing.TB, pkg string) string {
	t.Helper()
	if !running.Load() {
		t.Fatal("realmtest.BuildMain: TestMain must run the tests with realmtest.Run or realmtest.Main")
	}
	builds.mu.Lock()
	if builds.done == nil {
		builds.done = make(map[string]*build)
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "realmtest-bin-")
		if err != nil {
			builds.mu.Unlock()
			t.Fatal(err)
		}
		builds.dir = dir
	}
	b := builds.done[pkg]
	if b == nil {
		// A directory of its own: two packages may share a last element.
		b = &build{bin: filepath.Join(builds.dir, strconv.Itoa(len(builds.done)), path.Base(pkg))}
		builds.done[pkg] = b
	}
	builds.mu.Unlock()

	b.once.Do(func() {
		out, err := exec.Command("go", "build", "-o", b.bin, pkg).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// LockedBuffer is a log's destination that other goroutines (a server's,
// or os/exec copying a child's output) write while a test reads it.
type LockedBuffer = syncbuf.Buffer
