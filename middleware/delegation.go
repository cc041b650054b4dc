package middleware

import (
	"errors"
	"fmt"
	"time"
)

// CCachePolicy decides how delegated credentials map to files in the
// delegation directory ([WithDelegationDir]).
type CCachePolicy int

const (
	// PerPrincipal keeps one file per principal, named
	// CCacheName(principal). Each request that has a delegated credential
	// replaces it atomically with its own, fresher one, so the file lives
	// on after the request, for background jobs say, until the sweeper
	// removes it once the user's tickets in it have expired ([SweepDir]).
	// Either kind replaces either ([Auth.DelegationKind]): with
	// constrained delegation, a request that does not delegate replaces
	// the TGT an earlier one forwarded with a proxy credential. Concurrent
	// requests of one principal share the file: a handler reading it may
	// find the credential of a later request of the same principal.
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
// [New] refuses dir unless it exists, is a directory, is owned by the
// process's effective user or by root, is neither group- nor world-writable
// (so not /tmp), and the process can create files in it: whoever owns the
// directory, or can write to it, could plant, swap or read ccache files. It
// also refuses any dir on a system other than Unix, where it cannot check
// owners or open files without following symbolic links. A relative dir is
// made absolute. When storing fails later, the directory
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
// directory, the ccaches whose user's tickets have all expired ([SweepDir]
// gives the rule) and the temporary files left by a crash. The first sweep
// runs one interval after [New]; call [Middleware.SweepNow] to sweep at
// once. It must be positive, and needs [WithDelegationDir].
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
