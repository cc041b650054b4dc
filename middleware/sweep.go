package middleware

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/negotiate-go/negotiate/internal/ccache"
)

// Close stops the sweeper that [WithDelegationDir] starts and waits for it
// to return. It must be called once the Middleware is no longer needed, or
// the sweeper's goroutine runs, and keeps the Middleware alive, for the
// life of the process. The Middleware goes on serving requests after
// Close, storing credentials without sweeping them. Close is idempotent and
// safe for concurrent use, does nothing without a delegation directory, and
// returns nil.
func (m *Middleware) Close() error {
	s := m.store
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
	return nil
}

// SweepNow sweeps the delegation directory once, now, as the background
// sweeper does every interval: it removes the ccaches whose user's tickets
// have all expired (see [SweepDir]) and the temporary files older than a
// minute, logs each removal at
// Info, and returns how many files it removed. The error joins what went
// wrong, per file (an unreadable or malformed ccache, which stays) or for the
// whole directory. Without a delegation directory it does nothing.
func (m *Middleware) SweepNow() (removed int, err error) {
	s := m.store
	if s == nil {
		return 0, nil
	}
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	files, err := sweep(s.dir, time.Now(), &s.mu)
	for _, f := range files {
		attrs := []slog.Attr{slog.String("file", f.Name), slog.String("delegation_dir", s.dir)}
		var msg string
		switch kind, _ := fileKindOf(f.Name); kind {
		case tempFile:
			msg = "negotiate: removed a stale temporary ccache"
		case sidecarFile:
			msg = "negotiate: removed the principal file of ccaches that are gone"
		default:
			msg = "negotiate: removed an expired delegated ccache"
			if f.Principal != "" {
				attrs = append(attrs, slog.String("principal", f.Principal))
			}
			attrs = append(attrs, slog.Time("expired", f.Expired))
		}
		s.log.LogAttrs(context.Background(), slog.LevelInfo, msg, attrs...)
	}
	if err != nil {
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "negotiate: sweeping the delegation directory",
			slog.String("error", err.Error()), slog.String("delegation_dir", s.dir))
	}
	return len(files), err
}

// SweptFile is a file a sweep removed from a delegation directory.
type SweptFile struct {
	// Name is the file's name in the directory.
	Name string
	// Principal is the principal of a ccache, or "" for a temporary file,
	// a sidecar, or a ccache with a hashed name whose sidecar is gone.
	Principal string
	// Expired is when the last ticket of the ccache's user (its default
	// principal) expired, or the zero Time for a temporary file, a sidecar
	// or a ccache that held no ticket of the user's.
	Expired time.Time
}

// SweepDir sweeps the delegation directory dir once, as of now, the way the
// middleware's sweeper does, for a cron job or a tool that runs outside the
// server. It removes:
//
//   - each ccache, named as [CCacheName] or [PerRequest] name them, whose
//     user's tickets have all expired by now (the rule is below);
//   - each temporary file (".tmp-" and 32 hex digits, alone or followed
//     by "." and six letters or digits, the name of the file that MIT
//     krb5 1.20 and later writes beside it while storing) last modified
//     over a minute before now;
//   - each sidecar file (a hashed name and ".principal") last modified over
//     a minute before now whose hashed name no ccache has left, a
//     per-request one included. A server rewrites the sidecar before each
//     ccache of its name, so a sidecar that belongs to a fresh ccache is
//     fresh too.
//
// A ccache is judged by the tickets whose client is its default principal,
// the user: it is kept until the last of them ends, and removed then, or at
// once when it holds none. Tickets of other clients do not keep it, nor do
// configuration entries and entries removed in place. The rule is for
// stored proxy credentials (constrained delegation): such a file holds the
// service's own TGT, good for 10 hours by default, beside the user's
// evidence ticket, which may end sooner. Once the user's tickets (the
// evidence ticket, and the backend tickets got with it) have ended, the
// file can no longer act as the user, but whoever reads it can still act
// as the service; it is removed then, not when the service's TGT ends. A
// forwarded TGT and the service tickets got with it are all the user's,
// so such a file stays until the last of them, the TGT as a rule, ends:
// a service ticket that ends sooner does not make the TGT beside it
// useless. Principals compare as krb5_principal_compare has them, by realm
// and components, whatever their name types.
//
// It never touches a file whose name is not one of these, nor anything but
// a regular file, and leaves a ccache it cannot parse. Before it removes a
// ccache it checks that the file is still the one it read, so a file a
// server has just replaced survives; the check and the removal are not
// atomic across processes, and in the rare race a fresh file is removed,
// to be written again by the principal's next request. Within the server's
// own process, [Middleware.SweepNow] closes that gap.
//
// It returns the files it removed and, joined, what went wrong for single
// files or the directory.
func SweepDir(dir string, now time.Time) ([]SweptFile, error) {
	return sweep(dir, now, new(sync.Mutex))
}

// sweep is SweepDir with the lock that a writer's rename takes. Sidecars go
// last, once the sweep knows which hashed names still have a ccache.
func sweep(dir string, now time.Time, mu *sync.Mutex) ([]SweptFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", dir, err)
	}
	var removed []SweptFile
	var errs []error
	var sidecars []string
	kept := map[string]bool{} // bases of the ccaches that stay
	for _, e := range entries {
		name := e.Name()
		kind, principal := fileKindOf(name)
		switch {
		case kind == foreignFile || !e.Type().IsRegular():
			continue
		case kind == sidecarFile:
			sidecars = append(sidecars, name)
			continue
		}
		f, err := sweepFile(dir, name, kind, principal, now, mu)
		if err != nil {
			errs = appendErr(errs, err)
		}
		if f != nil {
			removed = append(removed, *f)
		} else if kind != tempFile {
			base, _, _ := splitCCacheName(name)
			kept[base] = true
		}
	}
	for _, name := range sidecars {
		if kept[strings.TrimSuffix(name, sidecarSuffix)] {
			continue
		}
		f, err := sweepFile(dir, name, sidecarFile, "", now, mu)
		if err != nil {
			errs = appendErr(errs, err)
		}
		if f != nil {
			removed = append(removed, *f)
		}
	}
	return removed, errors.Join(errs...)
}

// sweepFile removes the file name of the given kind from dir if it is due:
// a temporary file or a sidecar (of a hashed name that no ccache has left)
// last modified over a minute before now, a ccache whose user's tickets
// have all expired by now. It returns the file it removed, or nil.
func sweepFile(dir, name string, kind fileKind, principal string, now time.Time, mu *sync.Mutex) (*SweptFile, error) {
	path := filepath.Join(dir, name)
	f := &SweptFile{Name: name}
	var fi fs.FileInfo
	if kind == tempFile || kind == sidecarFile {
		var err error
		if fi, err = os.Lstat(path); err != nil {
			return nil, err
		}
		if now.Sub(fi.ModTime()) <= tempMaxAge {
			return nil, nil
		}
	} else {
		var end time.Time
		var expired bool
		var err error
		if fi, end, expired, err = readExpiry(path, now); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if !expired {
			return nil, nil
		}
		if principal == "" { // a hashed name: its sidecar tells
			base, _, _ := splitCCacheName(name)
			principal, _ = readSidecar(filepath.Join(dir, base+sidecarSuffix), base)
		}
		f.Principal, f.Expired = principal, end
	}
	if ok, err := removeIfSame(path, fi, mu); !ok {
		return nil, err
	}
	return f, nil
}

// appendErr appends err unless the file went away meanwhile, which is not an
// error of the sweep.
func appendErr(errs []error, err error) []error {
	if errors.Is(err, fs.ErrNotExist) {
		return errs
	}
	return append(errs, err)
}

// readExpiry reads the ccache at path and tells whether its user's tickets
// have all expired by now (usersEnd), and when the last one expired. fi is
// the file it read, checked to be the regular file the name pointed to.
func readExpiry(path string, now time.Time) (fi fs.FileInfo, end time.Time, expired bool, err error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, end, false, err
	}
	if !lfi.Mode().IsRegular() {
		return nil, end, false, errors.New("not a regular file")
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, end, false, err
	}
	defer file.Close()
	fi, err = file.Stat()
	if err != nil {
		return nil, end, false, err
	}
	if !os.SameFile(lfi, fi) {
		return nil, end, false, nil // replaced meanwhile: fresh
	}
	c, err := ccache.Read(file)
	if err != nil {
		return nil, end, false, err
	}
	end, ok := usersEnd(c)
	return fi, end, !ok || !end.After(now), nil
}

// usersEnd returns when the last of the tickets of c's default principal,
// the user, ends, and false when c holds no ticket of the user's. Tickets
// of other clients do not count: in a stored proxy credential the
// service's own TGT (client websvc@R) outlives the user's evidence ticket
// (client alice@R, filed under the service's name), and once that and
// the backend tickets got with it have ended the file can no longer act
// as the user, yet still holds the service's TGT. Principals compare as
// krb5_principal_compare does: realm and components, not the name type.
// Configuration and removed entries are no tickets ([ccache.Cache.Tickets]).
func usersEnd(c *ccache.Cache) (end time.Time, ok bool) {
	for _, cr := range c.Tickets() {
		if !samePrincipal(cr.Client, c.Default) {
			continue
		}
		if !ok || cr.EndTime.After(end) {
			end, ok = cr.EndTime, true
		}
	}
	return end, ok
}

func samePrincipal(a, b ccache.Principal) bool {
	return a.Realm == b.Realm && slices.Equal(a.Components, b.Components)
}

// removeIfSame removes path if it still is the file fi, holding mu from the
// check to the removal.
func removeIfSame(path string, fi fs.FileInfo, mu *sync.Mutex) (bool, error) {
	mu.Lock()
	defer mu.Unlock()
	now, err := os.Lstat(path)
	if err != nil || !os.SameFile(fi, now) {
		return false, nil // gone or replaced: not ours to remove
	}
	if err := os.Remove(path); err != nil {
		return false, err
	}
	return true, nil
}

// startSweeper runs a sweep every interval until Close.
func (m *Middleware) startSweeper(interval time.Duration) {
	s := m.store
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				m.SweepNow()
			}
		}
	}()
}
