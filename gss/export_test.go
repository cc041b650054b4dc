package gss

import "time"

// Hooks for this package's external tests, which need the library's own
// SPNEGO on both sides to show that this package's SPNEGO framing agrees
// with MIT's.

// LibrarySPNEGOContext is a client context driven by the library's SPNEGO
// mechanism, with credentials for every mechanism from a ccache.
type LibrarySPNEGOContext struct {
	cred   credID
	ctx    ctxID
	target nameID
}

// StartLibrarySPNEGO returns MIT's own SPNEGO initiator token for target.
func StartLibrarySPNEGO(ccache, target string) (*LibrarySPNEGOContext, []byte, error) {
	c := &LibrarySPNEGOContext{}
	var err error
	if c.cred, err = acquireInitiator(ccache, oidSPNEGO); err != nil {
		return nil, nil, err
	}
	if c.target, err = importName(target, hostbasedName); err != nil {
		c.Close()
		return nil, nil, err
	}
	token, _, err := initStep(c.cred, &c.ctx, c.target, oidSPNEGO, 2 /* mutual */, nil)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, token, nil
}

// Finish feeds the server's reply to MIT's SPNEGO initiator and reports
// whether it completed the context.
func (c *LibrarySPNEGOContext) Finish(reply []byte) (complete bool, err error) {
	_, complete, err = initStep(c.cred, &c.ctx, c.target, oidSPNEGO, 0, reply)
	return complete, err
}

func (c *LibrarySPNEGOContext) Close() {
	deleteContext(&c.ctx)
	releaseName(&c.target)
	releaseCred(&c.cred)
}

// AcceptWithLibrarySPNEGO accepts token with the library's SPNEGO
// mechanism, bypassing this package's unwrapping, and returns MIT's reply
// and the initiator's name.
func AcceptWithLibrarySPNEGO(a *Acceptor, token []byte) (reply []byte, principal string, err error) {
	acc, err := acceptToken(a.cred, token, false)
	if err != nil {
		return nil, "", err
	}
	defer releaseName(&acc.src)
	releaseCred(&acc.deleg)
	principal, err = displayName(acc.src)
	return acc.output, principal, err
}

// TicketServer returns the server principal, with its realm, named in a
// raw Kerberos token's ticket, as the acceptor reads it.
func TicketServer(token []byte) (string, bool) {
	v := parseInitiatorToken(token)
	req, ok := v.apReq()
	if !ok {
		return "", false
	}
	k, ok := req.ticketKey()
	return k.server + "@" + k.realm, ok
}

// SetClock makes a's replay cache and expiry times read now instead of
// the system clock, so that a test can move the acceptor's clock forward
// without moving the library's.
func SetClock(a *Acceptor, now func() time.Time) { a.now = now }

// ServiceCCache returns the cache of the service's own TGT that an
// acceptor with an S4U option keeps, or "".
func ServiceCCache(a *Acceptor) string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.serviceCCache
}
