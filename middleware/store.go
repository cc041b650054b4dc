package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/negotiate-go/negotiate"
)

// store writes delegated credentials into the delegation directory and
// runs its sweeper. Its fields are fixed by New; mu and sweepMu guard the
// directory, not the struct.
type store struct {
	dir    string // absolute
	policy CCachePolicy
	log    *slog.Logger

	// mu is held by a writer's rename into dir and by the sweeper from
	// its last check of a file to its removal, so that within one process
	// the sweeper never removes a file a request just wrote.
	mu sync.Mutex
	// sweepMu serializes whole sweeps: the background one and SweepNow.
	sweepMu sync.Mutex

	stop      chan struct{} // closed by Close
	done      chan struct{} // closed when the sweeper returns
	closeOnce sync.Once
}

// checkDelegationDir checks dir as WithDelegationDir documents and returns
// it absolute.
func checkDelegationDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%s: %w", abs, unwrapPath(err))
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s: not a directory", abs)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return "", fmt.Errorf("%s: mode %#o is group- or world-writable, so others could plant files in it: chmod go-w it", abs, perm)
	}
	// Whoever owns the directory can chmod it and then plant, swap or read
	// ccache files, whatever its mode says now.
	uid, _, ok := ownerOf(fi)
	if !ok {
		return "", fmt.Errorf("%s: cannot check the directory's owner on this system", abs)
	}
	if euid := os.Geteuid(); uid != uint32(euid) && uid != 0 {
		return "", fmt.Errorf("%s: owned by %s, neither this process's user (uid %d) nor root, so its owner could plant or swap ccache files in it: chown it to uid %d or use another directory", abs, userName(uid), euid, euid)
	}
	probe := filepath.Join(abs, tempName())
	f, err := createTemp(probe)
	if err != nil {
		return "", fmt.Errorf("%s: not writable: %w", abs, unwrapPath(err))
	}
	err = errors.Join(f.Close(), os.Remove(probe))
	if err != nil {
		return "", fmt.Errorf("%s: not writable: %w", abs, err)
	}
	return abs, nil
}

// userName describes the user uid for an error: "uid 65534 (nobody)", or
// "uid 65534" when it has no name.
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return "uid " + id + " (" + u.Username + ")"
	}
	return "uid " + id
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// randomHex returns n random bytes in lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails; it crashes the program rather
	return hex.EncodeToString(b)
}

// tempName returns a fresh temporary file name, which no ccache name can be.
func tempName() string { return tempPrefix + randomHex(tempHexLen/2) }

// storeDelegated stores cred, the delegated credential of a Negotiate
// request that is let in, if a delegation directory is set, and names its
// file in a.CCache. It returns the file's path, or "" when it stored
// nothing, and the attempt, whose error is set when the request must be
// refused: [ErrNoDelegation] without a credential under
// WithDelegationRequired, or the failure to store it.
func (m *Middleware) storeDelegated(a *Auth, cred negotiate.Credential, at attempt) (string, attempt) {
	if cred == nil {
		if m.cfg.delegationRequired {
			at.err = ErrNoDelegation
		}
		return "", at
	}
	if m.store == nil {
		return "", at
	}
	path, err := m.store.save(at.principal, cred)
	if err != nil {
		at.err, at.storeFailed = fmt.Errorf("%w in %s: %w", ErrCCacheStore, m.store.dir, err), true
		return "", at
	}
	a.CCache = "FILE:" + path
	return path, at
}

// save stores cred, principal's delegated credential, under the policy's
// name and returns the file's path. For a hashed name it first records the
// principal in the name's sidecar file, afresh each time, so that the
// sweeper finds the sidecar younger than any file it belongs to. Each file
// is written by put, atomically.
func (s *store) save(principal string, cred negotiate.Credential) (string, error) {
	name, err := CCacheName(principal)
	if err != nil {
		return "", err
	}
	if isHashedName(name) {
		err := s.put(name+sidecarSuffix, func(tmp string) error { return writeSidecar(tmp, principal) })
		if err != nil {
			return "", fmt.Errorf("recording the principal of %s: %w", name, err)
		}
	}
	if s.policy == PerRequest {
		name += requestSep + randomHex(requestHexLen/2)
	}
	if err := s.put(name, func(tmp string) error { return writeTemp(tmp, cred) }); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, name), nil
}

// put writes the file name in the directory: write fills a fresh
// temporary file, which is then renamed into place, so that readers see
// the old file or the new one, never part of one. It removes the temporary
// file on any failure.
func (s *store) put(name string, write func(tmp string) error) error {
	tmp := filepath.Join(s.dir, tempName())
	err := write(tmp)
	if err == nil {
		s.mu.Lock()
		err = os.Rename(tmp, filepath.Join(s.dir, name))
		s.mu.Unlock()
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// createTemp creates the new file path, mode 0600 or less by the umask.
// O_EXCL and O_NOFOLLOW make it fail on anything already there, a planted
// symbolic link above all, rather than open it.
func createTemp(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
}

// writeTemp stores cred into the new file tmp and makes it 0600. No step
// follows a symbolic link at tmp or changes a file other than the one the
// credential went into: tmp is created by createTemp before the store, and
// what the store left there is opened with O_NOFOLLOW, checked to be a
// non-empty regular file of this process's user with no other link, and
// made 0600 through the descriptor, never by path.
//
// The check comes after the store because the GSS library may replace the
// file: MIT krb5's file ccache unlinks and recreates it
// (fcc_initialize), and since krb5 1.20 gss_store_cred_into renames a
// file of its own over it (fcc_replace).
func writeTemp(tmp string, cred negotiate.Credential) error {
	f, err := createTemp(tmp)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := cred.Store("FILE:" + tmp); err != nil {
		return err
	}
	f, err = os.OpenFile(tmp, os.O_RDONLY|oNoFollow|oNonblock, 0)
	if err != nil {
		return fmt.Errorf("credential stored, but: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("credential stored, but: %w", err)
	}
	if err := checkOwnFile(fi); err != nil {
		return fmt.Errorf("%s after storing: %w", tmp, err)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("%s is empty after storing", tmp)
	}
	return f.Chmod(0o600)
}

// writeSidecar writes principal into the new file tmp, mode 0600: it
// becomes a sidecar once renamed.
func writeSidecar(tmp, principal string) error {
	f, err := createTemp(tmp)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, principal)
	if err == nil {
		err = f.Chmod(0o600) // the file createTemp made: no link to follow
	}
	return errors.Join(err, f.Close())
}

// checkOwnFile checks that fi is a regular file of this process's user with
// one link, so that changing it changes no other file.
func checkOwnFile(fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	uid, nlink, ok := ownerOf(fi)
	switch {
	case !ok:
		return errors.New("cannot check the file's owner on this system")
	case uid != uint32(os.Geteuid()):
		return fmt.Errorf("owned by %s, not by this process's user", userName(uid))
	case nlink != 1:
		return fmt.Errorf("%d hard links, not 1", nlink)
	}
	return nil
}

// discard removes a per-request file when its handler returns.
func (s *store) discard(r *http.Request, path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "negotiate: removing a per-request ccache failed",
			slog.String("error", err.Error()), slog.String("delegation_dir", s.dir))
	}
}

// sessionCCache returns the ccache that a, a session request's Auth, may
// use: the principal's file in the delegation directory, when the session
// began with a delegating request and the PerPrincipal policy keeps such
// files, and the file is there. Otherwise it returns "".
func (s *store) sessionCCache(a *Auth) string {
	if s.policy != PerPrincipal || a.Flags&negotiate.FlagDelegate == 0 {
		return ""
	}
	name, err := CCacheName(a.Principal)
	if err != nil {
		return ""
	}
	path := filepath.Join(s.dir, name)
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	return "FILE:" + path
}

// release releases a delegated credential, if any, and logs a failure to.
func (m *Middleware) release(r *http.Request, c negotiate.Credential) {
	if c == nil {
		return
	}
	if err := c.Release(); err != nil {
		m.cfg.logger.LogAttrs(r.Context(), slog.LevelWarn, "negotiate: releasing the delegated credential failed",
			slog.String("error", err.Error()))
	}
}
