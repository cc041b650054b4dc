//go:build cgo

package gss

import (
	"errors"
	"fmt"
	"sync"

	"github.com/negotiate-go/negotiate"
)

// Credential is a credential a client delegated (forwarded) to the acceptor.
// It satisfies negotiate.Credential. Its methods are safe for concurrent
// use; Release is nil-safe and idempotent, and there is no finalizer: the
// owner releases it.
type Credential struct {
	mu sync.RWMutex // held for reading while the handle is in use, for writing by Release
	id credID       // owned: released by Release
}

var errReleased = fmt.Errorf("gss: credential already released: %w", negotiate.ErrInternal)

// Store writes the credential into the credential cache named ccache
// ("FILE:/path", "MEMORY:name", or a path) with gss_store_cred_into,
// replacing the cache's contents.
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
