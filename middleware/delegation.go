package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/negotiate-go/negotiate"
)

// CCachePolicy decides how delegated credentials map to files in the
// delegation directory ([WithDelegationDir]).
type CCachePolicy int

const (
	// PerPrincipal keeps one file per principal, named
	// CCacheName(principal). Each request that delegates replaces it
	// atomically with its own, fresher credential, so the file lives on
	// after the request, for background jobs say, until the sweeper removes
	// it once its tickets have expired. Concurrent requests of one
	// principal share it: a handler reading it may find the credential of
	// a later request of the same principal.
	PerPrincipal CCachePolicy = iota

	// PerRequest writes one file per request, named CCacheName(principal),
	// "~" and 16 random hex digits, and removes it when the handler
	// returns, even if it panics. No other request sees it.
	PerRequest
)

// String returns the policy's name, "PerPrincipal" or "PerRequest".
func (p CCachePolicy) String() string {
	switch p {
	case PerPrincipal:
		return "PerPrincipal"
	case PerRequest:
		return "PerRequest"
	}
	return fmt.Sprintf("CCachePolicy(%d)", int(p))
}

// DefaultSweepInterval is how often the sweeper looks for expired ccaches by
// default.
const DefaultSweepInterval = 5 * time.Minute

// tempMaxAge is how old a temporary file must be before the sweeper
// removes it: writing one takes milliseconds, so an older one was left by a
// crash.
const tempMaxAge = time.Minute

// WithDelegationDir stores each delegated credential in a credential cache
// file in dir, and names it in [Auth.CCache] as "FILE:/dir/name", ready for
// KRB5CCNAME or gss_acquire_cred_from. The file's name comes from the
// principal ([CCacheName]); [WithCCachePolicy] decides whether it is kept
// per principal or per request. Files are written atomically with mode 0600,
// whatever the umask. A background sweeper removes expired files; it runs
// until [Middleware.Close], which must be called to stop it.
//
// [New] refuses dir unless it exists, is a directory, is neither group- nor
// world-writable (so not /tmp), and the process can create files in it. A
// relative dir is made absolute. When storing fails later, the directory
// having become unwritable or the disk full, the request is answered 500
// and the cause logged at Error; other requests go on.
//
// Default: delegated credentials are not stored; a handler finds them in
// [Auth.Delegated] only.
func WithDelegationDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("WithDelegationDir: empty directory")
		}
		c.delegationDir = dir
		return nil
	}
}

// WithCCachePolicy sets how delegated credentials map to files:
// [PerPrincipal] or [PerRequest]. It needs [WithDelegationDir].
//
// Default: [PerPrincipal].
func WithCCachePolicy(p CCachePolicy) Option {
	return func(c *config) error {
		if p != PerPrincipal && p != PerRequest {
			return fmt.Errorf("WithCCachePolicy: unknown policy %d", int(p))
		}
		c.ccachePolicy, c.policySet = p, true
		return nil
	}
}

// WithSweepInterval sets how often the sweeper removes, from the delegation
// directory, the ccaches whose tickets have all expired and the temporary
// files left by a crash. The first sweep runs one interval after [New]; call
// [Middleware.SweepNow] to sweep at once. It must be positive, and needs
// [WithDelegationDir].
//
// Default: [DefaultSweepInterval], 5 minutes.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithSweepInterval: %v is not positive", d)
		}
		c.sweepInterval, c.sweepSet = d, true
		return nil
	}
}

// WithDelegationRequired makes delegation part of authentication: a request
// whose token is good but whose client did not delegate a credential fails
// with [ErrNoDelegation], logged at Info with the principal. Like any
// failed token, it gets the forbidden response (403 by default) where
// authentication is required, and on a route where it is optional runs the
// next handler without a principal, [FailureFromContext] reporting
// ErrNoDelegation. It does not need [WithDelegationDir].
//
// Default: delegation is optional; when the client did not delegate,
// Auth.Delegated is nil and Auth.CCache "".
func WithDelegationRequired() Option {
	return func(c *config) error {
		c.delegationRequired = true
		return nil
	}
}

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
	probe := filepath.Join(abs, tempName())
	f, err := os.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("%s: not writable: %w", abs, unwrapPath(err))
	}
	err = errors.Join(f.Close(), os.Remove(probe))
	if err != nil {
		return "", fmt.Errorf("%s: not writable: %w", abs, err)
	}
	return abs, nil
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
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

// save stores cred, principal's delegated credential, under the policy's
// name and returns the file's path. It writes a temporary file, sets its
// mode and renames it into place, so that readers see the old file or the
// new one, never part of one; it removes the temporary file on any failure.
func (s *store) save(principal string, cred negotiate.Credential) (string, error) {
	name, err := CCacheName(principal)
	if err != nil {
		return "", err
	}
	if s.policy == PerRequest {
		name += requestSep + randomHex(requestHexLen/2)
	}
	final := filepath.Join(s.dir, name)
	tmp := filepath.Join(s.dir, tempName())
	if err := writeTemp(tmp, cred); err != nil {
		os.Remove(tmp)
		return "", err
	}
	s.mu.Lock()
	err = os.Rename(tmp, final)
	s.mu.Unlock()
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return final, nil
}

// writeTemp stores cred into the new file tmp and makes it 0600.
func writeTemp(tmp string, cred negotiate.Credential) error {
	if err := cred.Store("FILE:" + tmp); err != nil {
		return err
	}
	fi, err := os.Lstat(tmp)
	if err != nil {
		return fmt.Errorf("credential stored, but: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file after storing", tmp)
	}
	return os.Chmod(tmp, 0o600)
}

// discard removes a per-request file when its handler returns.
func (s *store) discard(r *http.Request, path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "negotiate: removing a per-request ccache failed",
			slog.String("error", err.Error()), slog.String("delegation_dir", s.dir))
	}
}
