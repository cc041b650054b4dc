package gss

import (
	"errors"
	"fmt"
	"strings"

	gssapi "github.com/golang-auth/go-gssapi/v3"

	gssapic "github.com/golang-auth/go-gssapi-c"

	"github.com/negotiate-go/negotiate"
)

// The client side goes through go-gssapi-c: it needs nothing that library
// hides, and it is not on the server's hot path.
var provider = mustProvider()

func mustProvider() gssapi.Provider {
	p, err := gssapi.NewProvider(gssapic.LIBID)
	if err != nil {
		panic("gss: go-gssapi-c provider: " + err.Error())
	}
	return p
}

// Initiator makes client-side Negotiate tokens with a user's Kerberos
// credentials, read from a credential cache named explicitly, so that a
// server can act for several users at once without touching KRB5CCNAME.
type Initiator struct {
	cred gssapi.Credential // owned: released by Close
	mech gssapi.GssMech
}

type initConfig struct {
	ccache string
	mech   gssapi.GssMech
}

// InitiatorOption configures NewInitiator.
type InitiatorOption func(*initConfig) error

// WithCCache reads the user's credentials from the credential cache named
// ccache: "FILE:/path", "MEMORY:name" or a path. Default: the library's
// default cache (KRB5CCNAME).
func WithCCache(ccache string) InitiatorOption {
	return func(c *initConfig) error {
		if ccache == "" {
			return errors.New("gss: empty ccache name")
		}
		c.ccache = ccache
		return nil
	}
}

// WithRawKerberos makes the initiator send raw Kerberos (RFC 4121) tokens
// instead of SPNEGO (RFC 4178). RFC 4559 specifies SPNEGO; some old clients
// send raw Kerberos, and servers must accept both. Default: SPNEGO.
func WithRawKerberos() InitiatorOption {
	return func(c *initConfig) error {
		c.mech = gssapi.GSS_MECH_KRB5
		return nil
	}
}

// NewInitiator acquires initiator credentials from the configured cache.
// It fails if the cache holds no usable ticket-granting ticket.
func NewInitiator(opts ...InitiatorOption) (*Initiator, error) {
	c := initConfig{mech: gssapi.GSS_MECH_SPNEGO}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	var store []gssapi.CredStoreOption
	where := "the default ccache"
	if c.ccache != "" {
		store = append(store, gssapi.WithCredStoreCCache(c.ccache))
		where = c.ccache
	}
	ext, ok := provider.(gssapi.ProviderExtCredStore)
	if !ok {
		return nil, fmt.Errorf("gss: this GSS-API library has no credential-store extension: %w", negotiate.ErrServerCredentials)
	}
	// No mechanism list: the credential gets an element for every mechanism,
	// SPNEGO included. A credential with only a krb5 element would make
	// MIT's SPNEGO fall back to the default ccache.
	cred, err := ext.AcquireCredentialFrom(nil, nil, gssapi.CredUsageInitiateOnly, nil, store...)
	if err != nil {
		return nil, fmt.Errorf("gss: initiator credentials from %s: %w", where, err)
	}
	return &Initiator{cred: cred, mech: c.mech}, nil
}

// Close releases the initiator's credentials. It is nil-safe and idempotent.
func (i *Initiator) Close() error {
	if i == nil || i.cred == nil {
		return nil
	}
	err := i.cred.Release()
	i.cred = nil
	return err
}

// ClientContext is one client-side security context, waiting for the
// server's mutual-authentication token.
type ClientContext struct {
	ctx gssapi.SecContext // owned: deleted by Close
}

// Start begins a context with target, a host-based service name such as
// "HTTP@www.example.com" (or a principal "HTTP/www.example.com@REALM"), and
// returns the first token to send. Mutual authentication is always
// requested; flags may add negotiate.FlagDelegate.
func (i *Initiator) Start(target string, flags negotiate.Flags) (*ClientContext, []byte, error) {
	nameType := gssapi.GSS_NT_HOSTBASED_SERVICE
	if strings.Contains(target, "/") {
		nameType = gssapi.GSS_KRB5_NT_PRINCIPAL_NAME
	}
	name, err := provider.ImportName(target, nameType)
	if err != nil {
		return nil, nil, fmt.Errorf("gss: target %q: %w", target, err)
	}
	defer name.Release()

	ctx, err := provider.InitSecContext(name,
		gssapi.WithInitiatorCredential(i.cred),
		gssapi.WithInitiatorMech(i.mech),
		gssapi.WithInitiatorFlags(gssapi.ContextFlag(flags|negotiate.FlagMutual)))
	if err != nil {
		return nil, nil, fmt.Errorf("gss: start context with %s: %w", target, err)
	}
	token, _, err := ctx.Continue(nil)
	if err != nil {
		ctx.Delete()
		return nil, nil, fmt.Errorf("gss: initiate context with %s: %w", target, err)
	}
	return &ClientContext{ctx: ctx}, token, nil
}

// Finish processes the server's reply token and fails unless it completes
// the context, that is unless the server proved it holds the service key.
func (c *ClientContext) Finish(serverToken []byte) error {
	if len(serverToken) == 0 {
		return errors.New("gss: the server sent no mutual-authentication token")
	}
	if !c.ctx.ContinueNeeded() {
		return errors.New("gss: context already complete")
	}
	if _, _, err := c.ctx.Continue(serverToken); err != nil {
		return fmt.Errorf("gss: verify the server's token: %w", err)
	}
	if c.ctx.ContinueNeeded() {
		return errors.New("gss: the server's token did not complete the context")
	}
	return nil
}

// Close deletes the context. It is nil-safe and idempotent.
func (c *ClientContext) Close() error {
	if c == nil || c.ctx == nil {
		return nil
	}
	_, err := c.ctx.Delete()
	c.ctx = nil
	return err
}
