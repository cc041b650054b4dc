package middleware

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Session defaults.
const (
	// DefaultSessionCookieName is the session cookie's name unless
	// [WithSessionCookieName] sets another, or one of the two names below
	// applies.
	DefaultSessionCookieName = "__Host-negotiate_session"
	// SecureSessionCookieName is the default name with a path other than
	// "/" or a domain, which a __Host- cookie cannot have.
	SecureSessionCookieName = "__Secure-negotiate_session"
	// InsecureSessionCookieName is the default name with
	// [WithInsecureSessionCookie]: a prefixed cookie must be Secure.
	InsecureSessionCookieName = "negotiate_session"

	// DefaultSessionMaxAge is how long a session lasts at most unless
	// [WithSessionMaxAge] sets another limit. The ticket's end may cut it
	// shorter.
	DefaultSessionMaxAge = time.Hour

	// SessionKeySize is the size of a session key in bytes: 32, for
	// AES-256-GCM.
	SessionKeySize = 32
)

// sessionConfig is what the session options set; New checks it and builds
// a *sessions from it.
type sessionConfig struct {
	on        bool
	keys      [][]byte
	keysSet   bool
	maxAge    time.Duration
	maxAgeSet bool
	name      string
	nameSet   bool
	path      string
	pathSet   bool
	domain    string
	insecure  bool
}

// WithSessions turns sessions on. After a request authenticates with a
// Negotiate token, the middleware sets a cookie, sealed with AES-256-GCM,
// that names the principal; later requests that carry the cookie and no
// Negotiate token are authenticated by it, with no call to the acceptor and
// no 401 round trip. The package documentation, Sessions, says what the
// cookie holds, how long it lasts, and what a session request lacks.
//
// Without [WithSessionKeys], New makes a random key that lives as long as
// the process: every session ends when it restarts, and another instance
// cannot open its cookies.
//
// Default: off. Every request must carry a Negotiate token.
func WithSessions() Option {
	return func(c *config) error {
		c.sess.on = true
		return nil
	}
}

// WithSessionKeys sets the keys of the session cookies, each
// [SessionKeySize] (32) random bytes: the first seals new cookies, and a
// cookie sealed with any of them opens. To rotate, put a new key first and
// keep the old one second for as long as the sessions it sealed may last
// ([WithSessionMaxAge]), then drop it: nobody is logged out. Instances that
// share the keys (and the cookie name) accept each other's cookies.
// [ParseSessionKeys] reads keys from a file's text. The keys are copied.
// Keys must be distinct. It needs [WithSessions].
//
// Default: one random key per process, made by New.
func WithSessionKeys(keys ...[]byte) Option {
	return func(c *config) error {
		if len(keys) == 0 {
			return errors.New("WithSessionKeys: no key")
		}
		cp := make([][]byte, len(keys))
		for i, k := range keys {
			if len(k) != SessionKeySize {
				return fmt.Errorf("WithSessionKeys: key %d is %d bytes, want %d", i, len(k), SessionKeySize)
			}
			for j := range i {
				if bytes.Equal(k, keys[j]) {
					return fmt.Errorf("WithSessionKeys: keys %d and %d are the same", j, i)
				}
			}
			cp[i] = bytes.Clone(k)
		}
		c.sess.keys, c.sess.keysSet = cp, true
		return nil
	}
}

// WithSessionMaxAge sets how long a session lasts at most from the
// Negotiate request that began it. A session also ends with the client's
// service ticket, at the end of the security context the acceptor reports
// (Result.Expiry), so that it never outlives the ticket. A ticket that
// ends within a second gets no session. The limit applies when a cookie is
// opened too, so lowering it shortens sessions already issued. It must be
// at least a second, and needs [WithSessions].
//
// Default: [DefaultSessionMaxAge], one hour.
func WithSessionMaxAge(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("WithSessionMaxAge: %v is less than a second", d)
		}
		c.sess.maxAge, c.sess.maxAgeSet = d, true
		return nil
	}
}

// WithSessionCookieName sets the session cookie's name, a token of RFC 6265
// (letters, digits and !#$%&'*+-.^_`|~). A name that begins with "__Host-"
// needs the default path "/" and no domain; one that begins with "__Host-"
// or "__Secure-" cannot be combined with [WithInsecureSessionCookie]. The
// name is bound into the sealed cookie: a cookie moved to another name does
// not open. It needs [WithSessions].
//
// Default: [DefaultSessionCookieName], "__Host-negotiate_session", against
// cookie tossing: a sibling subdomain can set a cookie named
// negotiate_session for the parent domain (its own session, say), which
// the browser then sends here too, while it accepts a __Host- cookie only
// from this very host over HTTPS, Secure, with Path=/ and no Domain. With
// another path or a domain, [SecureSessionCookieName]; with
// [WithInsecureSessionCookie], [InsecureSessionCookieName].
func WithSessionCookieName(name string) Option {
	return func(c *config) error {
		if !isCookieToken(name) {
			return fmt.Errorf("WithSessionCookieName: invalid cookie name %q", name)
		}
		c.sess.name, c.sess.nameSet = name, true
		return nil
	}
}

// WithSessionCookiePath sets the session cookie's Path attribute: the
// browser sends the cookie only to that path and below. It must begin with
// "/" and hold only printable ASCII other than ";". A path other than "/"
// cannot go with a __Host- name, so it makes the default name
// [SecureSessionCookieName]. It needs [WithSessions].
//
// Default: "/", the whole site.
func WithSessionCookiePath(path string) Option {
	return func(c *config) error {
		if !strings.HasPrefix(path, "/") || strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r >= 0x7f || r == ';' }) {
			return fmt.Errorf("WithSessionCookiePath: invalid path %q", path)
		}
		c.sess.path, c.sess.pathSet = path, true
		return nil
	}
}

// WithSessionCookieDomain sets the session cookie's Domain attribute, a
// host name such as "example.com": the browser then sends the cookie to
// that host and all its subdomains, which share the session, and any of
// them can set it. A domain cannot go with a __Host- name, so it makes the
// default name [SecureSessionCookieName]. It needs [WithSessions].
//
// Default: none, so the browser sends the cookie to the host that set it
// only.
func WithSessionCookieDomain(domain string) Option {
	return func(c *config) error {
		if !isCookieDomain(domain) {
			return fmt.Errorf("WithSessionCookieDomain: invalid domain %q", domain)
		}
		c.sess.domain = domain
		return nil
	}
}

// WithInsecureSessionCookie leaves the Secure attribute off the session
// cookie, so that browsers send it over plain HTTP. It is meant for
// development on http://localhost: anyone who can read the traffic can
// steal the cookie and, until it expires, be the user. Browsers refuse a
// __Host- or __Secure- cookie that is not Secure, so the default name is
// then [InsecureSessionCookieName], "negotiate_session". It needs
// [WithSessions].
//
// Default: the cookie is Secure, sent over HTTPS only.
func WithInsecureSessionCookie() Option {
	return func(c *config) error {
		c.sess.insecure = true
		return nil
	}
}

// ParseSessionKeys reads session keys from text, one key a line, each
// [SessionKeySize] bytes written as 64 hex digits. Blank lines and lines
// that begin with "#" are skipped, and spaces around a key ignored. The
// keys come in the order of the text, so the first key line seals. Errors
// name the line, never its content. Pass the keys to [WithSessionKeys].
//
// A key can be made with "openssl rand -hex 32" or
// "head -c 32 /dev/urandom | xxd -p -c 32". Keep the file as secret as a
// keytab: whoever holds a key can seal a cookie for any principal.
func ParseSessionKeys(text []byte) ([][]byte, error) {
	var keys [][]byte
	for n, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := hex.DecodeString(line)
		if err != nil || len(k) != SessionKeySize {
			return nil, fmt.Errorf("middleware: session key on line %d is not %d hex digits", n+1, 2*SessionKeySize)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("middleware: no session key in the text")
	}
	return keys, nil
}

// newSessions checks the session options and builds the sessions, or
// returns nil when sessions are off.
func newSessions(c *config) (*sessions, error) {
	sc := &c.sess
	if !sc.on {
		switch {
		case sc.keysSet:
			return nil, errors.New("WithSessionKeys without WithSessions")
		case sc.maxAgeSet:
			return nil, errors.New("WithSessionMaxAge without WithSessions")
		case sc.nameSet:
			return nil, errors.New("WithSessionCookieName without WithSessions")
		case sc.pathSet:
			return nil, errors.New("WithSessionCookiePath without WithSessions")
		case sc.domain != "":
			return nil, errors.New("WithSessionCookieDomain without WithSessions")
		case sc.insecure:
			return nil, errors.New("WithInsecureSessionCookie without WithSessions")
		}
		return nil, nil
	}
	s := &sessions{
		name:   DefaultSessionCookieName,
		path:   "/",
		domain: sc.domain,
		secure: !sc.insecure,
		log:    c.logger,
		groups: c.authz.groups,
	}
	maxAge := DefaultSessionMaxAge
	if sc.maxAgeSet {
		maxAge = sc.maxAge
	}
	if sc.pathSet {
		s.path = sc.path
	}
	switch {
	case sc.nameSet:
		s.name = sc.name
	case !s.secure:
		s.name = InsecureSessionCookieName
	case s.path != "/" || s.domain != "":
		s.name = SecureSessionCookieName
	}
	// Browsers match the prefixes without regard to case.
	host := hasPrefixFold(s.name, "__Host-")
	switch {
	case host && (s.path != "/" || s.domain != ""):
		return nil, fmt.Errorf("session cookie %q: a __Host- cookie needs the path / and no domain", s.name)
	case (host || hasPrefixFold(s.name, "__Secure-")) && !s.secure:
		return nil, fmt.Errorf("session cookie %q: a __Host- or __Secure- cookie must be Secure, and WithInsecureSessionCookie is set", s.name)
	}
	s.prefix = s.name + "="

	keys := sc.keys
	if !sc.keysSet {
		keys = [][]byte{make([]byte, SessionKeySize)}
		rand.Read(keys[0]) // never fails; it crashes the program rather
	}
	codec, err := newSessionCodec(keys, s.name, maxAge)
	if err != nil {
		return nil, fmt.Errorf("WithSessionKeys: %w", err)
	}
	s.codec = codec
	s.expired = s.cookie("", time.Unix(0, 0), -1)
	if !sc.keysSet {
		c.logger.LogAttrs(context.Background(), slog.LevelInfo,
			"negotiate: sessions use a random key made for this process: they end when it exits, and other instances cannot open its cookies; set WithSessionKeys to share keys")
	}
	return s, nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// isCookieToken reports whether s is a token of RFC 9110 section 5.6.2, as
// a cookie name must be (RFC 6265 section 4.1.1).
func isCookieToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isCookieDomain reports whether s is a host name fit for a Domain
// attribute: dot-separated labels of letters, digits, "-" and "_", each of
// 1 to 63 bytes and neither beginning nor ending with "-", the last one not
// all digits (no IP addresses), 253 bytes at most. A leading dot, which
// browsers ignore, is allowed.
func isCookieDomain(s string) bool {
	s = strings.TrimPrefix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.ContainsFunc(last, func(r rune) bool { return r < '0' || r > '9' })
}
