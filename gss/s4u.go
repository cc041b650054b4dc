//go:build cgo

package gss

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/negotiate-go/negotiate"
)

// S4U, Microsoft's Kerberos extensions for constrained delegation (MS-SFU):
// S4U2Proxy, a ticket to a backend for a client whose ticket the service
// holds, and S4U2Self, protocol transition, a ticket to the service itself
// for a user it names. See WithConstrainedDelegation, WithProtocolTransition
// and the package documentation.

// ErrDelegationRefused is wrapped by the error of an S4U request that the
// KDC refused: S4U2Proxy to a backend the service may not delegate to, or
// for a user who may not be delegated or whose ticket came from a service
// not trusted for protocol transition; S4U2Self for a user the KDC does
// not know. The error's text says which, in words.
var ErrDelegationRefused = errors.New("constrained delegation refused")

// The values of negotiate.Result.DelegationKind.
const (
	delegationForwarded = "forwarded" // the client's TGT, forwarded (GSS_C_DELEG_FLAG)
	delegationProxy     = "proxy"     // an S4U2Proxy credential made from the client's ticket
)

// s4uCCachePrefix begins the name of the MEMORY: cache that holds an
// acceptor's own TGT; a random suffix makes it the acceptor's alone.
const s4uCCachePrefix = "MEMORY:negotiate-s4u-"

// s4uOption names the S4U option of c, for error messages.
func s4uOption(c *config) string {
	switch {
	case c.constrained && c.transition:
		return "WithConstrainedDelegation and WithProtocolTransition"
	case c.constrained:
		return "WithConstrainedDelegation"
	}
	return "WithProtocolTransition"
}

// s4uService is what an acceptor with an S4U option keeps.
type s4uService struct {
	constrained bool // proxy credentials are handed out: WithConstrainedDelegation
	transition  bool // Impersonate works: WithProtocolTransition
	checkServer bool // the credential takes every SPN of the account: Accept checks the ticket's server name
	// account is the principal the acceptor initiates as, its TGT's
	// client: "websvc@AD.EXAMPLE.TEST".
	account string
	// What acquireProxy needs, again at each renewal.
	keytab, desired, rcache string

	// renewAt is when the TGT is past half its life, in Unix nanoseconds
	// of the acceptor's clock: the first Accept or Impersonate after it
	// renews the credential (renewS4U). renewing is held by the one that
	// does.
	renewAt  atomic.Int64
	renewing sync.Mutex
}

// name is the account's principal, or "" without S4U.
func (s *s4uService) name() string {
	if s == nil {
		return ""
	}
	return s.account
}

// renewRetry is how long an acceptor waits to try again after a renewal
// of its TGT failed (the KDC did not answer, say); it serves with the old
// TGT meanwhile, until that expires.
const renewRetry = time.Minute

// startS4U acquires the acceptor's credential for S4U, for accepting as
// name ("" for any key of the keytab) and initiating as the keytab's first
// principal, and sets a.s4u. keytabDesc and hint are for its error.
func (a *Acceptor) startS4U(c *config, name, rcache, keytabDesc, hint string) error {
	opt := s4uOption(c)
	keytab := c.keytab
	if keytab == "" {
		if keytab = defaultKeytabName(); keytab == "" {
			return fmt.Errorf("gss: %s: the library names no default keytab: pass WithKeytab", opt)
		}
	}
	ps, err := KeytabPrincipals(keytab)
	if err != nil {
		return fmt.Errorf("gss: %s: %w", opt, err)
	}
	if len(ps) == 0 {
		return fmt.Errorf("gss: %s: %s holds no keys", opt, keytabDesc)
	}
	// MIT gets the TGT for the desired name; with none (WithHostname("*")),
	// for the client keytab's first principal, so the same one either way.
	// Naming it also binds the acceptor to that principal's keys, which in
	// Active Directory every SPN of the account shares: Accept checks the
	// ticket's server name itself (checkServer).
	s := &s4uService{constrained: c.constrained, transition: c.transition, checkServer: name != "",
		account: ps[0].Principal, keytab: keytab, desired: ps[0].Principal, rcache: rcache}
	if name == "" {
		s.desired = ""
	}
	cred, ccache, life, err := s.acquire()
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) && int32(ge.Minor) == krbKDCClientUnknown {
			// The name is not the trouble, the keytab's order is.
			hint = fmt.Sprintf("; the KDC gives %s no TGT: in Active Directory only the service's account can have one, not an SPN, so the keytab must begin with the account (samba-tool domain exportkeytab FILE --principal=ACCOUNT, then --principal=SPN, into the one file)", s.account)
		}
		return fmt.Errorf("gss: %s: credentials accepting for %s and initiating as %s, the keytab's first principal, whose TGT S4U needs: %w; %s%s",
			opt, a.desc, s.account, err, describeKeytab(c.keytab), hint)
	}
	a.cred, a.serviceCCache, a.s4u = cred, ccache, s
	s.renewAt.Store(a.now().Add(life / 2).UnixNano())
	return nil
}

// acquire acquires a new S4U credential, with a new TGT in a new MEMORY:
// cache, and says how long the TGT is good for.
func (s *s4uService) acquire() (cred credID, ccache string, life time.Duration, err error) {
	ccache = s4uCCachePrefix + rand.Text()
	if cred, err = acquireProxy(s.desired, s.keytab, ccache, s.rcache); err == nil {
		life, err = credLifetime(cred)
	}
	if err != nil {
		releaseCred(&cred)
		destroyCCache(ccache)
		return nil, "", 0, err
	}
	return cred, ccache, life, nil
}

// renewS4U replaces the S4U credential with a new one, with a new TGT,
// once the old TGT is past half its life. MIT renews the TGT of such a
// credential from its client keytab only when the credential itself
// initiates, which an acceptor's never does: neither
// gss_accept_sec_context nor gss_acquire_cred_impersonate_name renews it
// (measured with MIT krb5 1.20), and every proxy credential carries a copy
// of the TGT, so without this S4U would stop when the TGT expires, 10
// hours after start-up by default. One caller renews, asking the KDC
// before it takes the acceptor's lock, and swaps the credential under it;
// the others go on with the old credential meanwhile. A failed renewal is
// tried again after renewRetry.
func (a *Acceptor) renewS4U() {
	s := a.s4u
	if s == nil || a.now().UnixNano() < s.renewAt.Load() || !s.renewing.TryLock() {
		return
	}
	defer s.renewing.Unlock()
	if a.now().UnixNano() < s.renewAt.Load() {
		return // renewed meanwhile
	}
	cred, ccache, life, err := s.acquire()
	if err != nil {
		s.renewAt.Store(a.now().Add(renewRetry).UnixNano())
		return
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		releaseCred(&cred)
		destroyCCache(ccache)
		return
	}
	old, oldCCache := a.cred, a.serviceCCache
	a.cred, a.serviceCCache = cred, ccache
	a.mu.Unlock()
	// No Accept uses the old credential any more: the lock waited for
	// those in flight. The proxy credentials made with it hold copies.
	releaseCred(&old)
	destroyCCache(oldCCache)
	s.renewAt.Store(a.now().Add(life / 2).UnixNano())
}

// checkTicketServer refuses a token whose ticket is not for the service
// the acceptor is bound to. The S4U credential accepts with the keys of
// the service's account, which are those of every SPN of the account, so
// the library no longer tells one SPN from another. The server name is in
// the ticket's clear text: it binds the acceptor as the library's own
// binding would (which the account's key, not the name, makes good), and a
// token whose ticket cannot be read is refused.
func (a *Acceptor) checkTicketServer(tok *initiatorToken) error {
	req, ok := tok.apReq()
	if !ok {
		return fmt.Errorf("gss: not a Kerberos AP-REQ: %w", tok.unreadableCategory())
	}
	k, ok := req.ticketKey()
	if !ok {
		return fmt.Errorf("gss: the ticket does not parse: %w", negotiate.ErrDefectiveToken)
	}
	if k.server != a.bound || k.realm != a.realm {
		return fmt.Errorf("gss: the ticket is for %s@%s, not %s@%s: %w", k.server, k.realm, a.bound, a.realm, negotiate.ErrWrongService)
	}
	return nil
}

// delegation says what the delegated credential handle of acc is, or ""
// when it is to be dropped, and clears from acc.flags a delegation flag
// that the client did not set. RFC 2744: a handle is valid only with the
// delegation flag. MIT hands an acceptor with an S4U credential a proxy
// credential for every client that does not delegate, whatever its ticket,
// and sets the flag for it; the proxy credential is kept only when the
// acceptor hands them out and the ticket is forwardable: MS-SFU 3.1.5.2.1
// has the client fail S4U2Proxy with a ticket that is not, unless it came
// by S4U2Self, and a KDC withholds the flag from users who may not be
// delegated.
func (a *Acceptor) delegation(acc *accepted) string {
	deleg := negotiate.Flags(acc.flags)&negotiate.FlagDelegate != 0
	switch {
	case acc.proxy:
		acc.flags &^= uint32(negotiate.FlagDelegate)
		if deleg && a.s4u.constrained && acc.tktFlags&tktForwardable != 0 {
			return delegationProxy
		}
	case acc.deleg != nil && deleg:
		return delegationForwarded
	}
	return ""
}

// Impersonate returns a credential for user, a principal
// ("alice@AD.EXAMPLE.TEST", or "alice" in the default realm), obtained by
// protocol transition (S4U2Self): the KDC issues the service a ticket from
// user to itself, with no password, ticket or token of the user's. The
// credential works as a proxy credential of [WithConstrainedDelegation]
// does: [WithCredential] makes tokens with it, through S4U2Proxy, for the
// backends the service may delegate to, and [Credential.Store] writes it
// into a ccache. The caller owns it and releases it. Each call asks the
// KDC.
//
// It needs [WithProtocolTransition]. Whoever can choose user acts as that
// user: pass only a name the service has authenticated itself.
//
// A user the KDC does not know fails here, wrapping
// [ErrDelegationRefused]. A service the KDC does not trust for protocol
// transition, or a user marked sensitive, still gets a credential, whose
// ticket is not forwardable: delegation by the service's own list
// (msDS-AllowedToDelegateTo) refuses it, and Start fails then, wrapping
// ErrDelegationRefused and saying so in words, while resource-based
// delegation (the backend's msDS-AllowedToActOnBehalfOfOtherIdentity) takes
// it for a user who is not sensitive (MS-SFU 3.1.5.2.1).
func (a *Acceptor) Impersonate(user string) (*Credential, error) {
	if a.s4u == nil || !a.s4u.transition {
		return nil, errors.New("gss: Impersonate needs WithProtocolTransition")
	}
	if user == "" {
		return nil, errors.New("gss: Impersonate: empty user name")
	}
	a.renewS4U()
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return nil, fmt.Errorf("gss: acceptor closed: %w", negotiate.ErrServerCredentials)
	}
	id, err := impersonateName(a.cred, user)
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) && int32(ge.Minor) == krbKDCClientUnknown {
			err = ge.explained(ErrDelegationRefused, "the KDC knows no user "+user)
		}
		return nil, fmt.Errorf("gss: protocol transition (S4U2Self) by %s for %s: %w", a.s4u.account, user, err)
	}
	flags, err := evidenceFlags(id)
	if err != nil {
		releaseCred(&id)
		return nil, fmt.Errorf("gss: protocol transition (S4U2Self) by %s for %s: %w", a.s4u.account, user, err)
	}
	return &Credential{id: id, kind: delegationProxy, principal: user, service: a.s4u.account,
		selfTicket: true, forwardable: flags&tktForwardable != 0}, nil
}

// explainInit names the cause of a failed gss_init_sec_context with a
// proxy credential, where the library says only what the KDC answered:
// S4U2Proxy to target refused. Other errors are returned as they are.
func (c *Credential) explainInit(target string, err error) error {
	var ge *Error
	if c.kind != delegationProxy || !errors.As(err, &ge) {
		return err
	}
	refused := fmt.Sprintf("the KDC refused %s constrained delegation (S4U2Proxy) for %s to %s", c.service, c.principal, target)
	switch int32(ge.Minor) {
	case krbKDCBadOption, krbKDCPolicy:
	case krbKDCServerUnknown:
		return ge.explained(ErrDelegationRefused, refused+": it knows no such service")
	default:
		return err
	}
	rbcd := fmt.Sprintf("nor does %s let %s act for its users (resource-based delegation: msDS-AllowedToActOnBehalfOfOtherIdentity)", target, c.service)
	if c.selfTicket && !c.forwardable {
		return ge.explained(ErrDelegationRefused, fmt.Sprintf(
			"%s: the S4U2Self ticket for %s is not forwardable, as delegation by %s's own list needs: %s is not trusted to authenticate for delegation "+
				"(protocol transition: in Active Directory, TRUSTED_TO_AUTH_FOR_DELEGATION, samba-tool delegation for-any-protocol ACCOUNT on), "+
				"or %s is marked sensitive and cannot be delegated; %s", refused, c.principal, c.service, c.service, c.principal, rbcd))
	}
	return ge.explained(ErrDelegationRefused, fmt.Sprintf(
		"%s: %s is not among the services %s may delegate to (in Active Directory, the account's msDS-AllowedToDelegateTo), %s",
		refused, target, c.service, rbcd))
}
