package integration

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/middleware"
)

// TestDelegatedCCacheModeUnderUmask stores real delegated credentials, with
// the real gss Store, while the process umask is 0, the most permissive:
// through the middleware's delegation directory under both policies, and
// through a handler's own Credential.Store (the server's /delegate). Every
// file is 0600 as the handler sees it and as it is left. An inotify watch
// on the directories stats each file as it appears, temporary ones
// included, so a file that is world-readable even for a moment is likely
// to be caught too.
func TestDelegatedCCacheModeUnderUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	for _, policy := range []middleware.CCachePolicy{middleware.PerPrincipal, middleware.PerRequest} {
		t.Run(policy.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deleg")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			w := watchModes(t, dir)
			d := newDelegServer(t, dir, middleware.WithCCachePolicy(policy))
			for _, u := range []user{alice(), bob(), alice()} {
				r := d.get(t, "/whoami", negotiateValue(mint(t, u, target, negotiate.FlagDelegate, false)))
				ccache, ok := strings.CutPrefix(strings.TrimSuffix(r.body, "\n"), u.principal+" FILE:")
				if r.status != http.StatusOK || !ok {
					t.Fatalf("%d %q", r.status, r.body)
				}
				if policy == middleware.PerPrincipal {
					checkMode(t, ccache)
					checkCCacheOf(t, "FILE:"+ccache, u)
				}
			}
			// A PerRequest file lives only as long as its request, which
			// may end before the watch stats it: the watch cannot insist on
			// seeing one. Both policies store through the same code.
			w.stop(t, policy == middleware.PerPrincipal)
			for _, name := range dirNames(t, dir) {
				checkMode(t, filepath.Join(dir, name))
			}
		})
	}

	t.Run("Credential.Store in a handler", func(t *testing.T) {
		s := newServer(t)
		w := watchModes(t, s.ccacheDir)
		r := s.get(t, "/delegate", negotiateValue(mint(t, alice(), target, negotiate.FlagDelegate, false)))
		ccache, ok := strings.CutPrefix(strings.TrimSuffix(r.body, "\n"), "delegated FILE:")
		if r.status != http.StatusOK || !ok {
			t.Fatalf("%d %q", r.status, r.body)
		}
		w.stop(t, true)
		checkMode(t, ccache)
	})
}

// checkMode fails the test unless path is a regular file with mode 0600.
func checkMode(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("%s: mode %v, want -rw-------", path, fi.Mode())
	}
}

// modeWatch stats every file created or moved into a directory as inotify
// reports it.
type modeWatch struct {
	f    *os.File
	done chan struct{}
	mu   sync.Mutex
	seen int      // files stat'ed
	bad  []string // files seen with group or other bits
}

func watchModes(t *testing.T, dir string) *modeWatch {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_MOVED_TO|syscall.IN_ATTRIB|syscall.IN_MODIFY); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	w := &modeWatch{f: os.NewFile(uintptr(fd), "inotify"), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		buf := make([]byte, 64<<10)
		for {
			n, err := w.f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				w.check(filepath.Join(dir, strings.TrimRight(string(name), "\x00")))
			}
		}
	}()
	t.Cleanup(func() { w.f.Close(); <-w.done })
	return w
}

func (w *modeWatch) check(path string) {
	fi, err := os.Lstat(path)
	if err != nil {
		return // renamed or removed already
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen++
	if fi.Mode().Perm()&0o077 != 0 || fi.Mode().Type()&fs.ModeType != 0 {
		w.bad = append(w.bad, fmt.Sprintf("%s %v", filepath.Base(path), fi.Mode()))
	}
}

// stop ends the watch and fails the test if it saw a file with group or
// other bits, or, when mustSee is set, saw no file at all.
func (w *modeWatch) stop(t *testing.T, mustSee bool) {
	t.Helper()
	time.Sleep(20 * time.Millisecond) // the last events reach the reader
	w.f.Close()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if mustSee && w.seen == 0 {
		t.Error("the watch saw no file")
	}
	for _, b := range w.bad {
		t.Errorf("a file was, at least for a moment: %s", b)
	}
}
