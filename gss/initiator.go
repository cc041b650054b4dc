//go:build cgo

package gss

import (
	"errors"
	"fmt"
	"strings"

	"github.com/negotiate-go/negotiate"
)

// Initiator makes client-side Negotiate tokens with a user's Kerberos
// credentials: from a credential cache named explicitly, or from a
// credential a client delegated to this server. Either way the process
// environment (KRB5CCNAME) is never read or changed, so a server can act
// for many users at once. It is safe for concurrent use.
//
// The SPNEGO framing (RFC 4178) around the Kerberos token is this
// package's own. MIT's SPNEGO mechanism cannot use a delegated credential:
// the credential holds only a Kerberos element, so the mechanism glue hands
// SPNEGO no credential and SPNEGO falls back to the process's default
// ccache. Measured here, a token made that way from alice's delegated
// credential authenticated as whoever KRB5CCNAME named. Framing the Kerberos
// token ourselves uses exactly the credential given.
type Initiator struct {
	cred  *Credential
	owned bool // cred was acquired here, so Close releases it
	raw   bool
}

type initConfig struct {
	ccache    string
	delegated *Credential
	raw       bool
}

// InitiatorOption configures NewInitiator.
type InitiatorOption func(*initConfig) error

// WithCCache reads the user's credentials from the credential cache named
// ccache: "FILE:/path", "MEMORY:name" or a path. Default: the library's
// default cache (KRB5CCNAME, else krb5.conf's default_ccache_name).
func WithCCache(ccache string) InitiatorOption {
	return func(c *initConfig) error {
		if ccache == "" {
			return errors.New("gss: empty ccache name")
		}
		c.ccache = ccache
		return nil
	}
}

// WithCredential makes tokens with a credential a client delegated to this
// server (negotiate.Result.Delegated: a forwarded TGT or a proxy
// credential), or one from [Acceptor.Impersonate], so a handler can call
// another service as the user without writing a ccache. With a proxy
// credential each new target costs an S4U2Proxy request to the KDC, which
// refuses a target the service may not delegate to: Start then fails
// wrapping [ErrDelegationRefused], and nothing is sent as the service
// itself. The Initiator borrows the credential: its owner keeps releasing
// it, after which Start fails.
func WithCredential(cred negotiate.Credential) InitiatorOption {
	return func(c *initConfig) error {
		gc, ok := cred.(*Credential)
		if !ok || gc == nil {
			return fmt.Errorf("gss: WithCredential needs a *gss.Credential, got %T", cred)
		}
		c.delegated = gc
		return nil
	}
}

// WithRawKerberos makes the initiator send raw Kerberos (RFC 4121) tokens
// instead of SPNEGO ones. RFC 4559 specifies SPNEGO; some old clients send
// raw Kerberos, and servers accept both. Default: SPNEGO.
func WithRawKerberos() InitiatorOption {
	return func(c *initConfig) error {
		c.raw = true
		return nil
	}
}

// NewInitiator acquires initiator credentials. It fails if the cache holds
// no usable ticket-granting ticket.
func NewInitiator(opts ...InitiatorOption) (*Initiator, error) {
	var c initConfig
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.delegated != nil {
		if c.ccache != "" {
			return nil, errors.New("gss: WithCCache and WithCredential both set")
		}
		return &Initiator{cred: c.delegated, raw: c.raw}, nil
	}
	id, err := acquireInitiator(c.ccache, oidKerberos)
	if err != nil {
		where := c.ccache
		if where == "" {
			where = "the default ccache"
		}
		return nil, fmt.Errorf("gss: initiator credentials from %s: %w", where, err)
	}
	return &Initiator{cred: &Credential{id: id}, owned: true, raw: c.raw}, nil
}

// Close releases the credentials the Initiator acquired (not a borrowed
// one). It is nil-safe and idempotent.
func (i *Initiator) Close() error {
	if i == nil || !i.owned {
		return nil
	}
	return i.cred.Release()
}

// ClientContext is one client-side security context, waiting for the
// server's mutual-authentication token. It is for one goroutine.
type ClientContext struct {
	ctx       ctxID  // owned: deleted by Close
	target    nameID // owned: released by Close
	spnego    bool
	mechTypes []byte // the DER MechTypeList we offered, which a mechListMIC covers
}

// Start begins a context with target, a host-based service name such as
// "HTTP@www.example.com" (or a principal, "HTTP/www.example.com@REALM"),
// and returns the first token to send. Mutual authentication is always
// requested; flags may add negotiate.FlagDelegate and
// negotiate.FlagDelegPolicy.
func (i *Initiator) Start(target string, flags negotiate.Flags) (*ClientContext, []byte, error) {
	kind := hostbasedName
	if strings.Contains(target, "/") {
		kind = principalName
	}
	name, err := importName(target, kind)
	if err != nil {
		return nil, nil, fmt.Errorf("gss: target %q: %w", target, err)
	}
	c := &ClientContext{target: name, spnego: !i.raw}
	var token []byte
	err = i.cred.use(func(cred credID) (err error) {
		token, _, err = initStep(cred, &c.ctx, name, oidKerberos, uint32(flags|negotiate.FlagMutual), nil)
		return err
	})
	if err == nil && c.spnego {
		token, c.mechTypes = negTokenInitFor(token)
	}
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("gss: start a context with %s: %w", target, i.cred.explainInit(target, err))
	}
	return c, token, nil
}

// Finish processes the server's reply token and fails unless it completes
// the context, that is unless the server proved it holds the service key.
func (c *ClientContext) Finish(serverToken []byte) error {
	if c.ctx == nil {
		return errors.New("gss: context closed")
	}
	if len(serverToken) == 0 {
		return errors.New("gss: the server sent no mutual-authentication token")
	}
	krbToken, mic := serverToken, []byte(nil)
	if c.spnego {
		var err error
		if krbToken, mic, err = parseAcceptCompleted(serverToken); err != nil {
			return fmt.Errorf("gss: the server's SPNEGO reply: %w", err)
		}
	}
	_, complete, err := initStep(nil, &c.ctx, c.target, oidKerberos, 0, krbToken)
	if err != nil {
		return fmt.Errorf("gss: verify the server's token: %w", err)
	}
	if !complete {
		return errors.New("gss: the server's token did not complete the context")
	}
	if mic != nil {
		if err := verifyMIC(c.ctx, c.mechTypes, mic); err != nil {
			return fmt.Errorf("gss: the server's mechListMIC: %w", err)
		}
	}
	return nil
}

// Close deletes the context. It is nil-safe and idempotent.
func (c *ClientContext) Close() error {
	if c == nil {
		return nil
	}
	deleteContext(&c.ctx)
	releaseName(&c.target)
	return nil
}
