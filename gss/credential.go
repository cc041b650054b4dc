//go:build cgo

package gss

import (
	"errors"
	"fmt"
	"sync"

	"github.com/negotiate-go/negotiate"
)

// Credential is a credential the acceptor holds for a client: the TGT a
// client delegated (forwarded), or a proxy credential for constrained
// delegation (see [WithConstrainedDelegation] and [Acceptor.Impersonate]).
// It satisfies negotiate.Credential. Its methods are safe for concurrent
// use; Release is nil-safe and idempotent, and there is no finalizer: the
// owner releases it.
type Credential struct {
	mu sync.RWMutex // held for reading while the handle is in use, for writing by Release
	id credID       // owned: released by Release

	// Set when the credential is made, then only read.
	kind      string // delegationForwarded or delegationProxy ("" for one acquired from a ccache)
	principal string // the client's principal, for error messages
	service   string // for a proxy credential, the service that acts for the client
	// For a proxy credential: whether its ticket from the client came by
	// S4U2Self (Impersonate), and whether that ticket is forwardable (one
	// from Accept always is).
	selfTicket, forwardable bool
}

var errReleased = fmt.Errorf("gss: credential already released: %w", negotiate.ErrInternal)

// Store writes the credential into the credential cache named ccache
// ("FILE:/path", "MEMORY:name", or a path) with gss_store_cred_into,
// replacing the cache's contents. A proxy credential's cache holds the
// service's own TGT as well as the client's ticket to the service: see the
// package documentation, "Constrained delegation", before storing one.
func (c *Credential) Store(ccache string) error {
	if ccache == "" {
		return errors.New("gss: empty ccache name")
	}
	err := c.use(func(id credID) error { return storeCred(id, ccache) })
	if err != nil {
		return fmt.Errorf("gss: store delegated credential into %s: %w", ccache, err)
	}
	return nil
}

// use runs f with the credential's handle, which a concurrent Release waits
// for.
func (c *Credential) use(f func(credID) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.id == nil {
		return errReleased
	}
	return f(c.id)
}

// Release frees the credential. It is safe on a nil *Credential and when
// called more than once.
func (c *Credential) Release() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	releaseCred(&c.id)
	return nil
}
