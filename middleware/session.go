package middleware

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/negotiate-go/negotiate"
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

// sessions seals and opens session cookies. It is built by New and never
// written to afterwards.
type sessions struct {
	keys    []sessionKey // [0] seals; all open
	maxAge  time.Duration
	name    string
	prefix  string // name + "="
	path    string
	domain  string
	secure  bool
	expired string // the Set-Cookie value that ends a session
	log     *slog.Logger
}

// sessionKey is one key, ready to seal or open.
type sessionKey struct {
	id   [sessionIDLen]byte
	aead cipher.AEAD // safe for concurrent use
	aad  []byte      // the cookie's header and name: what Seal and Open authenticate besides the payload
}

// The sealed cookie value is base64url without padding of
//
//	version (1 byte) | key id (4) | nonce (12) | ciphertext | GCM tag (16)
//
// where the key id, derived from the key, picks the one key to try, and
// the version, key id and cookie name are authenticated as additional
// data. The plaintext is
//
//	issued (int64, Unix seconds) | expiry (int64) | flags (uint32) |
//	uvarint lengths of principal, local name, mechanism |
//	principal | local name | mechanism
//
// all big-endian.
const (
	sessionVersion   = 1
	sessionIDLen     = 4
	sessionHeaderLen = 1 + sessionIDLen
	sessionNonceLen  = 12
	sessionTagLen    = 16
	sessionFixedLen  = 8 + 8 + 4

	// maxSessionValueLen caps a cookie value the middleware opens or
	// sets: browsers keep cookies of up to 4096 bytes, name included.
	maxSessionValueLen = 4000
	// maxSessionTries caps the cookies of the configured name that one
	// request may make the middleware try to open.
	maxSessionTries = 4
	// sessionSkew is how far in the future a cookie's issue time may be,
	// for instances whose clocks differ: Kerberos's default skew.
	sessionSkew = 5 * time.Minute
)

// HKDF labels: the key a cookie is sealed with and the id that names it
// are derived from the configured key, each for its one purpose.
const (
	sessionKeyLabel = "negotiate-go middleware session v1: AES-256-GCM key"
	sessionIDLabel  = "negotiate-go middleware session v1: key id"
)

// sessionEncoding is base64url without padding, and strict, so that every
// sealed cookie has exactly one encoding. It is built once: Strict
// allocates.
var sessionEncoding = base64.RawURLEncoding.Strict()

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
		maxAge: DefaultSessionMaxAge,
		name:   DefaultSessionCookieName,
		path:   "/",
		domain: sc.domain,
		secure: !sc.insecure,
		log:    c.logger,
	}
	if sc.maxAgeSet {
		s.maxAge = sc.maxAge
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
	for i, secret := range keys {
		k, err := newSessionKey(secret, s.name)
		if err != nil {
			return nil, fmt.Errorf("WithSessionKeys: key %d: %w", i, err)
		}
		for j := range s.keys {
			if s.keys[j].id == k.id { // one chance in 2^32 per pair
				return nil, fmt.Errorf("WithSessionKeys: keys %d and %d have the same id: make a new key", j, i)
			}
		}
		s.keys = append(s.keys, k)
	}
	s.expired = s.cookie("", time.Unix(0, 0), -1)
	if !sc.keysSet {
		c.logger.LogAttrs(context.Background(), slog.LevelInfo,
			"negotiate: sessions use a random key made for this process: they end when it exits, and other instances cannot open its cookies; set WithSessionKeys to share keys")
	}
	return s, nil
}

func newSessionKey(secret []byte, cookieName string) (sessionKey, error) {
	var k sessionKey
	key, err := hkdf.Key(sha256.New, secret, nil, sessionKeyLabel, 32)
	if err != nil {
		return k, err
	}
	id, err := hkdf.Key(sha256.New, secret, nil, sessionIDLabel, sessionIDLen)
	if err != nil {
		return k, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return k, err
	}
	if k.aead, err = cipher.NewGCMWithRandomNonce(block); err != nil {
		return k, err
	}
	copy(k.id[:], id)
	k.aad = append(append([]byte{sessionVersion}, k.id[:]...), cookieName...)
	return k, nil
}

// session is what a session cookie says.
type session struct {
	issued, expiry int64 // Unix seconds
	flags          negotiate.Flags
	principal      string
	localName      string
	mech           string
}

// Why a cookie was ignored, for the debug log.
const (
	ignoredMalformed = "malformed"   // not base64url, truncated, too long, another version
	ignoredUnknown   = "unknown_key" // sealed with a key that is not configured
	ignoredTampered  = "tampered"    // does not open: modified, or a key with a colliding id
	ignoredPayload   = "bad_payload" // opens, but its content does not parse
	ignoredExpired   = "expired"     // past its expiry or the configured maximum age
	ignoredFuture    = "issued_in_future"
)

// fromRequest returns the session of the first cookie of the configured
// name, among the first few, that opens and is current at now. It logs each
// ignored cookie at Debug, with why, never the cookie.
func (s *sessions) fromRequest(r *http.Request, now time.Time) (session, bool) {
	tries := 0
	for _, line := range r.Header["Cookie"] {
		for line != "" && tries < maxSessionTries {
			var part string
			part, line, _ = strings.Cut(line, ";")
			v, ok := strings.CutPrefix(textproto.TrimString(part), s.prefix)
			if !ok {
				continue
			}
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1] // RFC 6265 allows a quoted value
			}
			tries++
			sess, why := s.open(v, now)
			if why == "" {
				return sess, true
			}
			s.ignored(r, why)
		}
	}
	return session{}, false
}

func (s *sessions) ignored(r *http.Request, why string) {
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: session cookie ignored",
			slog.String("session", why),
			slog.String("remote_addr", r.RemoteAddr))
	}
}

// open opens one cookie value and checks its times. It returns why the
// cookie is of no use, or "".
func (s *sessions) open(v string, now time.Time) (session, string) {
	const minLen = sessionHeaderLen + sessionNonceLen + sessionTagLen + sessionFixedLen + 3
	// Go's decoder skips CR and LF: refuse them, so that a sealed cookie
	// has one spelling only.
	if len(v) > maxSessionValueLen || len(v) < base64.RawURLEncoding.EncodedLen(minLen) || strings.ContainsAny(v, "\r\n") {
		return session{}, ignoredMalformed
	}
	// One buffer: the sealed bytes, then the plaintext, apart so that
	// Open's output does not overlap its input.
	n := sessionEncoding.DecodedLen(len(v))
	buf := make([]byte, n, 2*n)
	n, err := sessionEncoding.Decode(buf, []byte(v))
	if err != nil || n < minLen || buf[0] != sessionVersion {
		return session{}, ignoredMalformed
	}
	sealed := buf[:n]
	var k *sessionKey
	for i := range s.keys {
		if string(sealed[1:sessionHeaderLen]) == string(s.keys[i].id[:]) {
			k = &s.keys[i]
			break
		}
	}
	if k == nil {
		return session{}, ignoredUnknown
	}
	plain, err := k.aead.Open(buf[n:n], nil, sealed[sessionHeaderLen:], k.aad)
	if err != nil {
		return session{}, ignoredTampered
	}
	sess, ok := parseSession(plain)
	if !ok {
		return session{}, ignoredPayload
	}
	t := now.Unix()
	switch {
	case sess.issued > t+int64(sessionSkew/time.Second):
		return session{}, ignoredFuture
	case t >= sess.expiry, t >= sess.issued+int64(s.maxAge/time.Second):
		return session{}, ignoredExpired
	}
	return sess, ""
}

// parseSession parses a cookie's plaintext. It costs one allocation: the
// principal, the local name and a mechanism other than Kerberos share one
// string.
func parseSession(p []byte) (session, bool) {
	if len(p) < sessionFixedLen {
		return session{}, false
	}
	sess := session{
		issued: int64(binary.BigEndian.Uint64(p)),
		expiry: int64(binary.BigEndian.Uint64(p[8:])),
		flags:  negotiate.Flags(binary.BigEndian.Uint32(p[16:])),
	}
	p = p[sessionFixedLen:]
	var lens [3]uint64
	for i := range lens {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)) {
			return session{}, false
		}
		lens[i], p = l, p[n:]
	}
	if lens[0] == 0 || lens[0]+lens[1]+lens[2] != uint64(len(p)) || sess.issued > sess.expiry {
		return session{}, false
	}
	np, nl := int(lens[0]), int(lens[1])
	if mech := p[np+nl:]; string(mech) == negotiate.MechKerberos {
		sess.mech = negotiate.MechKerberos
		p = p[:np+nl]
	}
	str := string(p) // the one allocation: the names share it
	sess.principal, sess.localName = str[:np], str[np:np+nl]
	if sess.mech == "" {
		sess.mech = str[np+nl:]
	}
	return sess, true
}

// appendSession appends the plaintext of sess.
func appendSession(b []byte, sess *session) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(sess.issued))
	b = binary.BigEndian.AppendUint64(b, uint64(sess.expiry))
	b = binary.BigEndian.AppendUint32(b, uint32(sess.flags))
	b = binary.AppendUvarint(b, uint64(len(sess.principal)))
	b = binary.AppendUvarint(b, uint64(len(sess.localName)))
	b = binary.AppendUvarint(b, uint64(len(sess.mech)))
	b = append(b, sess.principal...)
	b = append(b, sess.localName...)
	return append(b, sess.mech...)
}

// seal returns the cookie value of sess, sealed with the first key.
func (s *sessions) seal(sess *session) string {
	k := &s.keys[0]
	plain := appendSession(make([]byte, 0, sessionFixedLen+30+len(sess.principal)+len(sess.localName)+len(sess.mech)), sess)
	b := make([]byte, 0, sessionHeaderLen+sessionNonceLen+len(plain)+sessionTagLen)
	b = append(b, sessionVersion)
	b = append(b, k.id[:]...)
	b = k.aead.Seal(b, nil, plain, k.aad)
	return sessionEncoding.EncodeToString(b)
}

// issue sets a session cookie for a, which authenticated with a Negotiate
// token at now, on the response. The session ends at the earlier of the
// maximum age and the context's end ctxEnd, if ctxEnd is not zero, rounded
// down to the second; none is issued when that leaves
// less than a second.
func (s *sessions) issue(w http.ResponseWriter, r *http.Request, a *Auth, ctxEnd, now time.Time) {
	end := now.Add(s.maxAge)
	if !ctxEnd.IsZero() {
		if ctxEnd.Before(end) {
			end = ctxEnd
		}
	}
	maxAge := int64(end.Sub(now) / time.Second)
	if maxAge < 1 {
		s.notIssued(r, a.Principal, "the ticket ends within a second")
		return
	}
	// now.Unix() <= now, so the expiry is never after end.
	sess := session{
		issued:    now.Unix(),
		expiry:    now.Unix() + maxAge,
		flags:     a.Flags,
		principal: a.Principal,
		localName: a.LocalName,
		mech:      a.Mech,
	}
	v := s.seal(&sess)
	if len(v) > maxSessionValueLen {
		s.notIssued(r, a.Principal, "the principal's names make the cookie too long")
		return
	}
	w.Header().Add("Set-Cookie", s.cookie(v, time.Unix(sess.expiry, 0), int(maxAge)))
}

func (s *sessions) notIssued(r *http.Request, principal, why string) {
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "negotiate: no session cookie issued",
			slog.String("why", why),
			slog.String("principal", principal),
			slog.String("remote_addr", r.RemoteAddr))
	}
}

// cookie returns a Set-Cookie value for the session cookie. A negative
// maxAge deletes it ("Max-Age=0").
func (s *sessions) cookie(value string, expires time.Time, maxAge int) string {
	c := &http.Cookie{
		Name:     s.name,
		Value:    value,
		Path:     s.path,
		Domain:   s.domain,
		Expires:  expires,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
	return c.String()
}

// EndSession ends the client's session (log out): it adds to w's header a
// Set-Cookie that expires the session cookie at once, and drops a session
// cookie the middleware set on this response. It must be called before the
// handler writes the header. It does nothing when sessions are off.
//
// The request that calls it still counts as authenticated, and the cookie
// itself stays valid until it expires: a client that kept a copy can use
// it. To invalidate every session at once, drop the key that sealed them
// from [WithSessionKeys]. A browser that goes on to a route that requires
// authentication negotiates again, at once and silently when it holds a
// Kerberos ticket.
func (m *Middleware) EndSession(w http.ResponseWriter) {
	s := m.sess
	if s == nil {
		return
	}
	h := w.Header()
	if old := h["Set-Cookie"]; len(old) > 0 {
		kept := make([]string, 0, len(old)+1)
		for _, v := range old {
			if !strings.HasPrefix(v, s.prefix) {
				kept = append(kept, v)
			}
		}
		h["Set-Cookie"] = kept
	}
	h.Add("Set-Cookie", s.expired)
}

// sessionCCache returns the ccache that a session request may use: the
// principal's file in the delegation directory, when the session began with
// a delegating request and the PerPrincipal policy keeps such files, and
// the file is there. Otherwise it returns "".
func (m *Middleware) sessionCCache(sess *session) string {
	st := m.store
	if st == nil || st.policy != PerPrincipal || sess.flags&negotiate.FlagDelegate == 0 {
		return ""
	}
	name, err := CCacheName(sess.principal)
	if err != nil {
		return ""
	}
	path := filepath.Join(st.dir, name)
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	return "FILE:" + path
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
