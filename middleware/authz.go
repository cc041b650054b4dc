package middleware

import (
	"errors"
	"fmt"
	"strings"
)

// authzConfig is the authorization rules. A zero authzConfig allows anyone
// who authenticates.
type authzConfig struct {
	realms           map[string]struct{} // nil: any realm
	principals       map[string]struct{} // nil: any principal
	requireLocalName bool
	groups           map[string]struct{} // nil: no group needed
	indicators       map[string]struct{} // nil: no indicator needed
	predicate        func(*Auth) bool    // nil: none
}

// set reports whether any rule is configured, so that the request path
// skips authorization with one test when none is.
func (c *authzConfig) set() bool {
	return c.realms != nil || c.principals != nil || c.requireLocalName ||
		c.groups != nil || c.indicators != nil || c.predicate != nil
}

// WithAllowedRealms lets in only principals of the given Kerberos realms,
// compared exactly (realm names are case-sensitive). The realm of
// "alice@EXAMPLE.TEST" is "EXAMPLE.TEST"; it is what follows the first "@"
// that the display name does not escape with a backslash, so that an
// enterprise name such as "alice\@corp.example@EXAMPLE.TEST" is of
// EXAMPLE.TEST. A principal of another realm, a cross-realm user say, is
// refused with [ErrRealmNotAllowed]. A realm must be non-empty, and hold no
// "@", backslash, white space or control character. Several calls add up.
//
// Like every authorization rule, it applies to Negotiate and session
// requests alike, after authentication and before a delegated credential
// is stored or a session cookie issued; see the package documentation,
// Authorization.
//
// Default: any realm the acceptor's keytab and the KDCs trust.
func WithAllowedRealms(realms ...string) Option {
	return func(c *config) error {
		if len(realms) == 0 {
			return errors.New("WithAllowedRealms: no realm")
		}
		for _, r := range realms {
			if r == "" || strings.ContainsAny(r, "@\\") || strings.ContainsFunc(r, isSpaceOrControl) {
				return fmt.Errorf("WithAllowedRealms: invalid realm %q", r)
			}
		}
		c.authz.realms = addAll(c.authz.realms, realms)
		return nil
	}
}

// WithAllowedPrincipals lets in only the given principals, compared exactly
// with the display name, "alice@EXAMPLE.TEST": no case folding, and no
// principal without its realm. Anyone else is refused with
// [ErrPrincipalNotAllowed]. For rules that a list cannot say, use
// [WithAuthorize]. A principal must be non-empty. Several calls add up.
//
// Default: any principal.
func WithAllowedPrincipals(principals ...string) Option {
	return func(c *config) error {
		if len(principals) == 0 {
			return errors.New("WithAllowedPrincipals: no principal")
		}
		for _, p := range principals {
			if p == "" {
				return errors.New("WithAllowedPrincipals: empty principal")
			}
		}
		c.authz.principals = addAll(c.authz.principals, principals)
		return nil
	}
}

// WithRequireLocalName lets in only principals that the krb5.conf
// auth_to_local rules map to a local name (Auth.LocalName is not empty), as
// an acceptor finds with gss_localname. Anyone else is refused with
// [ErrNoLocalName]. The middleware never makes up a local name: in
// particular it never strips the realm, which would let alice@OTHER.REALM
// in as the local alice.
//
// Default: a principal without a local name is let in, with
// Auth.LocalName "".
func WithRequireLocalName() Option {
	return func(c *config) error {
		c.authz.requireLocalName = true
		return nil
	}
}

// WithAllowedGroups lets in only members of at least one of the given
// Active Directory groups, named by SID, as the ticket's PAC lists them
// in Auth.PAC.GroupSIDs ([negotiate.PAC]): the user's groups, its primary
// group (Domain Users, RID 513) among them, and extra SIDs such as
// S-1-18-1. A SID is compared exactly, so it must be spelled as Windows
// writes it, which New checks: "S-1-", the identifier authority in decimal
// (from 2^32 on, "0x" and 12 upper-case hex digits), and up to 15 decimal
// sub-authorities, without leading zeros, "S-1-5-21-…-1107" say. A client
// is refused with [ErrGroupNotAllowed] when it is in none of the groups,
// and when its ticket has no PAC: an MIT KDC's tickets, and every ticket
// when the library is built on Heimdal, carry no groups. Several calls add
// up.
//
// With [WithSessions], a session cookie keeps, of the user's groups, only
// those that the list names, so that a user of hundreds of groups (some
// 13 KB of SIDs for 300) still fits in a cookie: on a session request
// Auth.PAC.GroupSIDs holds only those. Instances that share session keys
// should then allow the same groups; a cookie sealed before the list
// changed keeps the old list's groups until it expires; and a Middleware
// after the one that issued the cookie, in one handler chain, judges a
// session by the groups that one keeps (see the package documentation,
// Several middlewares in one chain).
//
// Default: no group is needed.
func WithAllowedGroups(sids ...string) Option {
	return func(c *config) error {
		if len(sids) == 0 {
			return errors.New("WithAllowedGroups: no SID")
		}
		for _, s := range sids {
			if !isSID(s) {
				return fmt.Errorf("WithAllowedGroups: %q is not a SID as Windows writes it (S-1-5-21-...)", s)
			}
		}
		c.authz.groups = addAll(c.authz.groups, sids)
		return nil
	}
}

// WithRequiredAuthIndicators lets in only clients whose ticket carries at
// least one of the given authentication indicators (Auth.AuthIndicators),
// compared exactly: to require a smart-card or OTP login, say, by the names
// the KDC's configuration gives those logins (MIT's kdc.conf
// pkinit_indicator, the indicator of an otp token type). Anyone else is
// refused with [ErrNoAuthIndicator]. An MIT KDC puts indicators in tickets;
// Active Directory and Heimdal KDCs put none, and under Heimdal the
// library reads none, so there every client is refused. An MIT KDC can
// also enforce this itself, for the service principal's tickets
// (require_auth). An indicator must be non-empty, without white space or
// control characters. Several calls add up.
//
// Default: no indicator is needed.
func WithRequiredAuthIndicators(indicators ...string) Option {
	return func(c *config) error {
		if len(indicators) == 0 {
			return errors.New("WithRequiredAuthIndicators: no indicator")
		}
		for _, s := range indicators {
			if s == "" || strings.ContainsFunc(s, isSpaceOrControl) {
				return fmt.Errorf("WithRequiredAuthIndicators: invalid indicator %q", s)
			}
		}
		c.authz.indicators = addAll(c.authz.indicators, indicators)
		return nil
	}
}

// WithAuthorize sets a predicate that decides whether an authenticated
// request is let in; when it returns false the request is refused with
// [ErrNotAuthorized]. It runs after the other authorization rules, only for
// requests they let in, on the request's goroutine, so it must be quick and
// safe for concurrent use. It gets the request's Auth as the handler would,
// but before a delegated credential is stored (Auth.CCache is "", unless a
// handler earlier in the chain stored it) and before a session cookie is
// issued; Auth.FromSession tells a session
// request, whose Auth.PAC holds only some groups (see [WithAllowedGroups]):
// decide on groups with WithAllowedGroups rather than here. It must
// neither modify the Auth nor keep it after it returns.
// Calling WithAuthorize again replaces the predicate.
//
// Default: none.
func WithAuthorize(allow func(*Auth) bool) Option {
	return func(c *config) error {
		if isNil(allow) {
			return errors.New("WithAuthorize: nil function")
		}
		c.authz.predicate = allow
		return nil
	}
}

// authorize applies the authorization rules to a, which authenticated, and
// returns the first that refuses it, or nil. The order is fixed: realm,
// principal, local name, groups, authentication indicators, predicate.
func (c *authzConfig) authorize(a *Auth) error {
	if c.realms != nil {
		if _, ok := c.realms[realmOf(a.Principal)]; !ok {
			return ErrRealmNotAllowed
		}
	}
	if c.principals != nil {
		if _, ok := c.principals[a.Principal]; !ok {
			return ErrPrincipalNotAllowed
		}
	}
	if c.requireLocalName && a.LocalName == "" {
		return ErrNoLocalName
	}
	if c.groups != nil {
		if a.PAC == nil {
			return errNoPAC
		}
		if !anyIn(c.groups, a.PAC.GroupSIDs) {
			return ErrGroupNotAllowed
		}
	}
	if c.indicators != nil && !anyIn(c.indicators, a.AuthIndicators) {
		return ErrNoAuthIndicator
	}
	if c.predicate != nil && !c.predicate(a) {
		return ErrNotAuthorized
	}
	return nil
}

// realmOf returns the realm of a Kerberos display name: what follows the
// first "@" not escaped by a backslash (RFC 1964 section 2.1.1 and
// krb5_unparse_name quote "@", "/" and "\" in name components), or "" when
// there is none.
func realmOf(principal string) string {
	for i := 0; i < len(principal); i++ {
		switch principal[i] {
		case '\\':
			i++ // skip the escaped byte
		case '@':
			return principal[i+1:]
		}
	}
	return ""
}

// anyIn reports whether one of items is in set.
func anyIn(set map[string]struct{}, items []string) bool {
	for _, s := range items {
		if _, ok := set[s]; ok {
			return true
		}
	}
	return false
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

func addAll(set map[string]struct{}, items []string) map[string]struct{} {
	if set == nil {
		set = make(map[string]struct{}, len(items))
	}
	for _, s := range items {
		set[s] = struct{}{}
	}
	return set
}
