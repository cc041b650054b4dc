//go:build cgo

package gss

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/negotiate-go/negotiate"
)

// S4U, Microsoft's Kerberos extensions for constrained delegation (MS-SFU):
// S4U2Proxy, a ticket to a backend for a client whose ticket the service
// holds, and S4U2Self, protocol transition, a ticket to the service itself
// for a user it names. See WithConstrainedDelegation, WithProtocolTransition
// and the package documentation.

// ErrDelegationRefused is wrapped by the error of an S4U request that the
// KDC refused, or that it would refuse: a backend the service may not
// delegate to, a user who may not be delegated, a service not trusted for
// protocol transition. The error's text says which, in words.
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

// acquireS4U acquires the acceptor's credential for S4U, for accepting as
// name ("" for any key of the keytab) and initiating as the keytab's first
// principal, and records in a what S4U needs. keytabDesc and hint are for
// its error.
func (a *Acceptor) acquireS4U(c *config, name, rcache, keytabDesc, hint string) (credID, error) {
	opt := s4uOption(c)
	keytab := c.keytab
	if keytab == "" {
		if keytab = defaultKeytabName(); keytab == "" {
			return nil, fmt.Errorf("gss: %s: the library names no default keytab: pass WithKeytab", opt)
		}
	}
	ps, err := KeytabPrincipals(keytab)
	if err != nil {
		return nil, fmt.Errorf("gss: %s: %w", opt, err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("gss: %s: %s holds no keys", opt, keytabDesc)
	}
	// MIT gets the TGT for the desired name; with none (WithHostname("*")),
	// for the client keytab's first principal, so the same one either way.
	// Naming it also binds the acceptor to that principal's keys, which in
	// Active Directory every SPN of the account shares: Accept checks the
	// ticket's server name itself (checkServer).
	account := ps[0].Principal
	desired := account
	if name == "" {
		desired = ""
	}
	ccache := s4uCCachePrefix + rand.Text()
	cred, err := acquireProxy(desired, keytab, ccache, rcache)
	if err != nil {
		destroyCCache(ccache)
		why := ""
		var ge *Error
		if errors.As(err, &ge) && int32(ge.Minor) == krbKDCClientUnknown {
			why = fmt.Sprintf("; the KDC gives %s no TGT: in Active Directory only the service's account can have one, not an SPN, so the keytab must begin with the account (samba-tool domain exportkeytab FILE --principal=ACCOUNT, then --principal=SPN, into the one file)", account)
		}
		return nil, fmt.Errorf("gss: %s: credentials accepting for %s and initiating as %s, the keytab's first principal, whose TGT S4U needs: %w%s; %s%s",
			opt, a.desc, account, err, why, describeKeytab(c.keytab), hint)
	}
	a.constrained, a.transition = c.constrained, c.transition
	a.checkServer = name != ""
	a.service, a.serviceCCache = account, ccache
	return cred, nil
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
// acceptor hands them out and the ticket is forwardable, as S4U2Proxy
// needs (a KDC withholds the flag from users who may not be delegated).
func (a *Acceptor) delegation(acc *accepted) string {
	deleg := negotiate.Flags(acc.flags)&negotiate.FlagDelegate != 0
	switch {
	case acc.proxy:
		acc.flags &^= uint32(negotiate.FlagDelegate)
		if deleg && a.constrained && acc.tktFlags&tktForwardable != 0 {
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
	if !a.transition {
		return nil, errors.New("gss: Impersonate needs WithProtocolTransition")
	}
	if user == "" {
		return nil, errors.New("gss: Impersonate: empty user name")
	}
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
		return nil, fmt.Errorf("gss: protocol transition (S4U2Self) by %s for %s: %w", a.service, user, err)
	}
	flags, err := evidenceFlags(id)
	if err != nil {
		releaseCred(&id)
		return nil, fmt.Errorf("gss: protocol transition (S4U2Self) by %s for %s: %w", a.service, user, err)
	}
	return &Credential{id: id, kind: delegationProxy, principal: user, service: a.service,
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
