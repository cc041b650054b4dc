package client

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
)

// Delegation says whether the client forwards the user's credential to the
// server.
type Delegation int

const (
	// DelegateNever forwards nothing. It is the default.
	DelegateNever Delegation = iota
	// DelegateAlways forwards the user's ticket-granting ticket to every
	// server the client authenticates to: by default, every server that
	// challenges it (see [WithPreemptive] for the preemptive mode).
	DelegateAlways
	// DelegateIfOKAsDelegate forwards it only to services the KDC marks
	// ok-as-delegate (GSS_C_DELEG_POLICY_FLAG).
	DelegateIfOKAsDelegate
)

// MutualAuth says how strictly the client checks the server's proof of
// identity: the token of "WWW-Authenticate: Negotiate <token>" on a
// response to a request that carried the client's token. The modes are
// those of requests-kerberos's mutual_authentication. In every mode but
// MutualDisabled, a token that is sent and does not verify fails. A 401 or
// 403 is never checked: refusals carry no proof.
type MutualAuth int

const (
	// MutualRequired fails unless the response carries a token that
	// verifies. It is the default.
	MutualRequired MutualAuth = iota
	// MutualOptional verifies the token if the server sent one and fails
	// if it does not verify, but accepts a response with none, as from a
	// server that does not do mutual authentication, or from a public
	// endpoint in preemptive mode ([WithPreemptive]). Such a response
	// proves nothing about who sent it.
	MutualOptional
	// MutualDisabled never looks at the server's token: any response is
	// accepted as it is. Use it only where it does not matter who
	// answered, as against a server whose tokens this client cannot
	// verify.
	MutualDisabled
)

// String returns "required", "optional" or "disabled".
func (m MutualAuth) String() string {
	switch m {
	case MutualRequired:
		return "required"
	case MutualOptional:
		return "optional"
	case MutualDisabled:
		return "disabled"
	}
	return fmt.Sprintf("MutualAuth(%d)", int(m))
}

type config struct {
	base       http.RoundTripper
	flags      negotiate.Flags
	mutual     MutualAuth
	preemptive bool
	spn        func(*http.Request) string
	source     []gss.InitiatorOption
}

// Option configures New.
type Option func(*config) error

// WithCCache takes the user's credentials from the credential cache named
// ccache ("FILE:/path" or a path). Default: the library's default cache
// (KRB5CCNAME).
func WithCCache(ccache string) Option {
	return func(c *config) error {
		c.source = append(c.source, gss.WithCCache(ccache))
		return nil
	}
}

// WithCredential takes the user's credentials from a credential that user
// delegated to this server, as the middleware's Auth.Delegated holds it.
// The Transport borrows it: it stays valid only as long as the credential
// does (for Auth.Delegated, until the handler returns).
func WithCredential(cred negotiate.Credential) Option {
	return func(c *config) error {
		c.source = append(c.source, gss.WithCredential(cred))
		return nil
	}
}

// WithDelegation sets the delegation policy. Default: DelegateNever.
func WithDelegation(d Delegation) Option {
	return func(c *config) error {
		switch d {
		case DelegateNever:
			c.flags = 0
		case DelegateAlways:
			c.flags = negotiate.FlagDelegate
		case DelegateIfOKAsDelegate:
			c.flags = negotiate.FlagDelegPolicy
		default:
			return fmt.Errorf("negotiate client: unknown delegation policy %d", d)
		}
		return nil
	}
}

// WithMutualAuth sets how strictly the server's proof of identity is
// checked; see [MutualAuth]. Default: MutualRequired.
func WithMutualAuth(m MutualAuth) Option {
	return func(c *config) error {
		switch m {
		case MutualRequired, MutualOptional, MutualDisabled:
			c.mutual = m
		default:
			return fmt.Errorf("negotiate client: unknown mutual authentication mode %d", m)
		}
		return nil
	}
}

// WithPreemptive makes RoundTrip send the token with the first request,
// before any challenge, like requests-kerberos's force_preemptive. It saves
// the 401 round trip, and a request body then goes once. But the token
// goes to every host, asked or not, and a public endpoint answers it
// without proof, which only [MutualOptional] or [MutualDisabled] accepts.
//
// Delegation is never preemptive to a host that has not asked. The Transport
// remembers the origins (scheme://host:port) that answered it with a
// Negotiate challenge, up to 256 of them. While the delegation policy is
// other than [DelegateNever], a request to any other origin goes as in the
// default mode, first without a token, and only the answer to a challenge
// carries the user's credential; once the origin has challenged, later
// requests to it carry a delegating token up front. With DelegateNever,
// every request carries a token.
//
// A 401 Negotiate challenge to a preemptive token gets the same one retry
// as in the default mode, with a fresh token.
//
// Default: off; a token goes only in answer to a challenge.
func WithPreemptive() Option {
	return func(c *config) error {
		c.preemptive = true
		return nil
	}
}

// WithBase sets the transport that carries the requests. Default:
// http.DefaultTransport.
func WithBase(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("negotiate client: nil base transport")
		}
		c.base = rt
		return nil
	}
}

// WithSPN sets how the service name is chosen for a request, as a
// host-based name "service@host" or a principal "service/host@REALM".
// Default: "HTTP@" and the request URL's host name, without the port.
func WithSPN(spn func(*http.Request) string) Option {
	return func(c *config) error {
		if spn == nil {
			return errors.New("negotiate client: nil SPN function")
		}
		c.spn = spn
		return nil
	}
}
