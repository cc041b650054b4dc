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
	predicate        func(*Auth) bool // nil: none
}

// set reports whether any rule is configured, so that the request path
// skips authorization with one test when none is.
func (c *authzConfig) set() bool {
	return c.realms != nil || c.principals != nil || c.requireLocalName || c.predicate != nil
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

// WithAuthorize sets a predicate that decides whether an authenticated
// request may in; when it returns false the request is refused with
// [ErrNotAuthorized]. It runs after the other authorization rules, only for
// requests they let in, on the request's goroutine, so it must be quick and
// safe for concurrent use. It gets the request's Auth as the handler would,
// but before a delegated credential is stored (Auth.CCache is "") and
// before a session cookie is issued; Auth.FromSession tells a session
// request. It must neither modify the Auth nor keep it after it returns.
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
// principal, local name, predicate.
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
