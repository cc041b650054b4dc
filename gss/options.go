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
