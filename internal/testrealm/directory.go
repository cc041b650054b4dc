package testrealm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
)

// A realm's directory: what in it makes a realm, reopening it, and the
// lock that keeps two processes from running a KDC for it at once.

// ErrNoRealm is what [Open]'s error wraps when the directory holds no realm
// that Start made.
var ErrNoRealm = errors.New("testrealm: no realm")

// lockName is the file in a realm's directory that Start, Open and
// StartCopy lock (flock) until Close.
const lockName = "testrealm.lock"

// Open reopens the realm that [Start] made in dir earlier, in this process
// or another: the same name, database, principals and keys. It restarts
// the KDC on the port that dir's kdc.conf records when that port is free,
// and leaves the configuration as it is. When the port is taken, it starts
// the KDC on a new free port, writes that port into krb5.conf and kdc.conf
// in place of the old one (nothing else in them changes), and sets
// MovedFrom to the old address. Stop the KDC with Close.
//
// When dir holds no such realm, the error wraps [ErrNoRealm] and Open has
// written nothing. While a Realm of dir is open, in any process, Open and
// Start refuse dir.
func Open(dir string) (*Realm, error) {
	if err := checkPrograms(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("testrealm: %w", err)
	}
	if _, _, _, err := readConfig(dir); err != nil {
		return nil, err
	}
	// Read it again under the lock: another process may have moved the
	// port in between.
	r, err := newRealm(dir, "")
	if err != nil {
		return nil, err
	}
	var port int
	if r.Name, port, r.pkinit, err = readConfig(dir); err == nil {
		err = r.reopen(port)
	}
	if err != nil {
		r.unlock()
		return nil, err
	}
	return r, nil
}

// reopen starts the KDC on port if it is free, else on a new one.
func (r *Realm) reopen(port int) error {
	if portFree(port) {
		if err := r.setPort(port); err != nil {
			return err
		}
		// Only a port taken since portFree moves the realm: any other
		// failure is the answer.
		if err := r.startKDC(port, nil); err == nil || portFree(port) {
			return err
		}
	}
	r.MovedFrom = "127.0.0.1:" + strconv.Itoa(port)
	return r.startOnFreePort(r.setPort, nil)
}

// The lines of Start's configuration that name the KDC's port.
var (
	clientKDCLine = regexp.MustCompile(`(?m)^(\s*kdc = 127\.0\.0\.1:)(\d+)(\s*)$`)
	kdcListenLine = regexp.MustCompile(`(?m)^(\s*kdc_(?:tcp_)?listen = 127\.0\.0\.1:)(\d+)(\s*)$`)
	realmLine     = regexp.MustCompile(`(?m)^\[realms\]\s*\n\s*(\S+) = \{\s*$`)
	databaseLine  = regexp.MustCompile(`(?m)^\s*database_name = (.*?)\s*$`)
)

// readConfig reads back what Start wrote into dir: the realm's name, the
// KDC's port, and whether PKINIT is on. Its errors wrap ErrNoRealm.
func readConfig(dir string) (name string, port int, pkinit bool, err error) {
	noRealm := func(format string, a ...any) error {
		return fmt.Errorf("%w in %s: %s", ErrNoRealm, dir, fmt.Sprintf(format, a...))
	}
	for _, f := range []string{"krb5.conf", "kdc.conf", "principal", "stash"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", 0, false, noRealm("no %s", f)
		}
	}
	kdc, err := os.ReadFile(filepath.Join(dir, "kdc.conf"))
	if err != nil {
		return "", 0, false, noRealm("%v", err)
	}
	m := realmLine.FindSubmatch(kdc)
	if m == nil {
		return "", 0, false, noRealm("kdc.conf names no realm")
	}
	name = string(m[1])
	if db := databaseLine.FindSubmatch(kdc); db == nil || string(db[1]) != filepath.Join(dir, "principal") {
		return "", 0, false, noRealm("kdc.conf's database is not %s (a realm made in another directory?)", filepath.Join(dir, "principal"))
	}
	l := kdcListenLine.FindSubmatch(kdc)
	if l == nil {
		return "", 0, false, noRealm("kdc.conf has no kdc_listen = 127.0.0.1:PORT")
	}
	port, err = strconv.Atoi(string(l[2]))
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, false, noRealm("kdc.conf's port %s", l[2])
	}
	conf, err := os.ReadFile(filepath.Join(dir, "krb5.conf"))
	if err != nil {
		return "", 0, false, noRealm("%v", err)
	}
	if !clientKDCLine.Match(conf) {
		return "", 0, false, noRealm("krb5.conf has no kdc = 127.0.0.1:PORT")
	}
	return name, port, bytes.Contains(kdc, []byte("pkinit_identity")), nil
}

// setPort makes krb5.conf and kdc.conf name port for the KDC, rewriting
// only the lines that name its port, and only in a file where they differ.
func (r *Realm) setPort(port int) error {
	for _, f := range []struct {
		path string
		line *regexp.Regexp
	}{{r.Config, clientKDCLine}, {r.Profile, kdcListenLine}} {
		old, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("testrealm: %w", err)
		}
		updated := f.line.ReplaceAll(old, []byte("${1}"+strconv.Itoa(port)+"${3}"))
		if bytes.Equal(updated, old) {
			continue
		}
		if err := writeFileAtomic(f.path, updated); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic replaces the file at path, so that a client reading it
// meanwhile sees the old or the new text, never half of one.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("testrealm: %w", err)
	}
	return nil
}

// realmFiles returns those of a realm's files that dir holds.
func realmFiles(dir string) []string {
	var found []string
	for _, f := range []string{"krb5.conf", "kdc.conf", "principal", "stash"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			found = append(found, f)
		}
	}
	return found
}

// lockDir takes an exclusive lock on the directory's lock file, so that a
// second process (a demo started twice on one -realm-dir) is refused
// rather than starting a second KDC and rewriting the port under the
// first. The kernel lets go of the lock when this process ends.
func (r *Realm) lockDir() error {
	path := filepath.Join(r.Dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("testrealm: the realm in %s is in use by process %s, which holds %s", r.Dir, bytes.TrimSpace(holder), path)
		}
		return fmt.Errorf("testrealm: lock %s: %w", path, err)
	}
	// The holder's process ID, for the next one's error.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	r.lock = f
	return nil
}

// unlock lets go of the directory; it is safe to call twice.
func (r *Realm) unlock() {
	if r.lock != nil {
		r.lock.Close()
		r.lock = nil
	}
}
