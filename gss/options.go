package gss

import (
	"errors"
	"fmt"
	"strings"
)

type config struct {
	keytab    string
	service   string
	hostname  string
	principal string
	rcache    string
	anonymous bool
	// S4U: see WithConstrainedDelegation and WithProtocolTransition.
	constrained, transition bool
}

// Option configures NewAcceptor.
type Option func(*config) error

// WithKeytab reads the service keys from the keytab at path, through the
// credential-store extension (gss_acquire_cred_from). The process
// environment (KRB5_KTNAME) is neither read nor changed. Default: the
// library's default keytab.
func WithKeytab(path string) Option {
	return func(c *config) error {
		if path == "" {
			return errors.New("gss: empty keytab path")
		}
		c.keytab = path
		return nil
	}
}

// WithService sets the service part of the acceptor name. Default "HTTP".
func WithService(service string) Option {
	return func(c *config) error {
		if service == "" || strings.ContainsAny(service, "@/") {
			return fmt.Errorf("gss: invalid service name %q", service)
		}
		c.service = service
		return nil
	}
}

// WithHostname sets the host part of the acceptor name, so that the acceptor
// uses the key of service/hostname@REALM. The special value "*" accepts a
// ticket for any principal the keytab holds (GSS_C_NO_NAME). Default: the
// machine's hostname (os.Hostname).
func WithHostname(hostname string) Option {
	return func(c *config) error {
		if hostname == "" || strings.ContainsAny(hostname, "@/") {
			return fmt.Errorf("gss: invalid hostname %q", hostname)
		}
		c.hostname = hostname
		return nil
	}
}

// WithPrincipal names the acceptor's principal exactly, "HTTP/host@REALM",
// overriding WithService and WithHostname. Default: none.
func WithPrincipal(principal string) Option {
	return func(c *config) error {
		if principal == "" {
			return errors.New("gss: empty principal")
		}
		c.principal = principal
		return nil
	}
}

// WithReplayCache names the replay cache, in the library's syntax: "dfl:"
// (MIT's default file cache), "file2:/path", or "none:" to turn replay
// detection off. Default: the library default (KRB5RCACHENAME or "dfl:").
func WithReplayCache(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("gss: empty replay cache name")
		}
		c.rcache = name
		return nil
	}
}

// WithAnonymous accepts anonymous tickets (RFC 8062, anonymous PKINIT),
// whose client is "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS" or
// "WELLKNOWN/ANONYMOUS@REALM" (negotiate.FlagAnon is in Result.Flags only
// when the client asked for anonymity).
// Such a ticket proves only that a KDC issued it: anyone can get one where
// the KDC offers anonymous PKINIT. Use it only where any client may be let in.
//
// Default: an anonymous ticket is refused with negotiate.ErrAnonymous, so
// that turning on anonymous PKINIT on the KDC opens no route.
func WithAnonymous() Option {
	return func(c *config) error {
		c.anonymous = true
		return nil
	}
}

// WithConstrainedDelegation hands the handler a proxy credential for each
// client that does not delegate but whose ticket allows constrained
// delegation (S4U2Proxy, MS-SFU): with it the service calls, as the
// client, the backends that the KDC lets it delegate to (in Active
// Directory, the SPNs in the service account's msDS-AllowedToDelegateTo),
// and no others. The client forwards nothing, which is why most AD
// security baselines allow it where they forbid unconstrained delegation
// (a forwarded TGT, which is good for any service).
//
// The proxy credential is in negotiate.Result.Delegated, as a forwarded
// TGT would be, with Result.DelegationKind "proxy"; Result.Flags lacks
// negotiate.FlagDelegate, which says what the client did. A client that
// delegates gets its forwarded TGT there as without this option
// ("forwarded"), and no proxy credential. One is handed out only for a
// forwardable ticket, which S4U2Proxy needs: a client whose TGT is not
// forwardable, or one the KDC marks sensitive (NOT_DELEGATED, "account is
// sensitive and cannot be delegated"; Windows does the same for members
// of Protected Users), gets none, and Delegated is nil.
//
// The acceptor then needs the service's own TGT as well as its keys, and
// gets it from the keytab, which must begin with the principal that can
// ask for one: in Active Directory the account ("websvc", or "host$" for a
// computer account), not an SPN, for the KDC answers an AS request for
// an SPN "Client not found". Export the account first, then the SPN, into
// one file (samba-tool domain exportkeytab --principal=websvc, then
// --principal=HTTP/www.example.com). The TGT lives in a MEMORY: cache of
// this acceptor alone, never the process's default cache, and Close
// destroys it. NewAcceptor asks the KDC for it, so the KDC must answer at
// start-up. Once the TGT is past half its life, the next Accept (or
// Impersonate) gets a new one from the keytab before it accepts: that one
// call waits for the KDC, the others go on meanwhile, and if the KDC does
// not answer the acceptor tries again a minute later, serving with the old
// TGT until it expires. (MIT renews such a TGT only for a credential that
// initiates itself, which an acceptor's never does.)
//
// It needs MIT krb5: Heimdal's GSS-API has no S4U, and NewAcceptor fails
// there. See the package documentation, "Constrained delegation", for what
// a stored proxy credential holds. Default: off; only forwarded TGTs are
// handed out.
func WithConstrainedDelegation() Option {
	return func(c *config) error {
		c.constrained = true
		return nil
	}
}

// WithProtocolTransition enables [Acceptor.Impersonate]: a credential for
// any user the service names, with no ticket, password or token from that
// user (protocol transition, S4U2Self, MS-SFU). It is as powerful as it
// sounds: whoever can make this process call Impersonate can act as any
// user of the domain towards the backends the service may delegate to.
// Use it only where the service has authenticated the user some other way
// (a form, a client certificate, another SSO) and passes only that
// authenticated name, never one taken from a request.
//
// For delegation by the service's own list (msDS-AllowedToDelegateTo) the
// KDC, too, must trust the service for it (in Active Directory,
// TRUSTED_TO_AUTH_FOR_DELEGATION on the account: "samba-tool delegation
// for-any-protocol websvc on", "Trust this user for delegation to specified
// services only, use any authentication protocol"); otherwise its ticket
// is not forwardable, S4U2Proxy is refused, and [Initiator.Start] fails
// saying so. The keytab must begin with the account, as for
// [WithConstrainedDelegation]. MIT krb5 only; NewAcceptor fails under
// Heimdal. Default: off, and Impersonate fails.
func WithProtocolTransition() Option {
	return func(c *config) error {
		c.transition = true
		return nil
	}
}
