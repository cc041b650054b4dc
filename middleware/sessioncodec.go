package middleware

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/negotiate-go/negotiate"
)

// sessionCodec seals sessions into cookie values and opens them: the binary
// format, the keys and their derivation. It knows nothing of HTTP. It is
// built by New and never written to afterwards.
type sessionCodec struct {
	keys   []sessionKey // [0] seals; all open
	maxAge time.Duration
}

// newSessionCodec derives the keys of the cookie named cookieName from
// secrets, the first of which seals. A cookie opens for maxAge at most
// after it was issued.
func newSessionCodec(secrets [][]byte, cookieName string, maxAge time.Duration) (sessionCodec, error) {
	c := sessionCodec{maxAge: maxAge}
	for i, secret := range secrets {
		k, err := newSessionKey(secret, cookieName)
		if err != nil {
			return sessionCodec{}, fmt.Errorf("key %d: %w", i, err)
		}
		for j := range c.keys {
			if c.keys[j].id == k.id { // one chance in 2^32 per pair
				return sessionCodec{}, fmt.Errorf("keys %d and %d have the same id: make a new key", j, i)
			}
		}
		c.keys = append(c.keys, k)
	}
	return c, nil
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
//	PAC (1 byte: 1 when the ticket had one, else 0) |
//	principal | local name | mechanism | user SID | UPN |
//	group SIDs | authentication indicators
//
// with the integers big-endian, each string a uvarint length and its bytes,
// and each list a uvarint count and its strings. Version 1 had neither the
// PAC nor the indicators: its cookies do not open (ignoredMalformed), and
// their clients negotiate again.
const (
	sessionVersion   = 2
	sessionIDLen     = 4
	sessionHeaderLen = 1 + sessionIDLen
	sessionNonceLen  = 12
	sessionTagLen    = 16
	sessionFixedLen  = 8 + 8 + 4 + 1
	// sessionMinPayload is the shortest plaintext: the fixed part, five
	// string lengths (the principal's of one byte at least, and the
	// principal) and two list counts.
	sessionMinPayload = sessionFixedLen + 5 + 1 + 2

	// maxSessionValueLen caps a cookie value the middleware opens or
	// sets: browsers keep cookies of up to 4096 bytes, name included.
	maxSessionValueLen = 4000
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
	pac            bool     // the ticket had a PAC, whose parts the next three are
	userSID        string   // the PAC's
	upn            string   // the PAC's
	groups         []string // of the PAC's group SIDs, those WithAllowedGroups names
	indicators     []string // the ticket's authentication indicators
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

// open opens one cookie value and checks its times. It returns why the
// cookie is of no use, or "".
func (c *sessionCodec) open(v string, now time.Time) (session, string) {
	const minLen = sessionHeaderLen + sessionNonceLen + sessionTagLen + sessionMinPayload
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
	for i := range c.keys {
		if string(sealed[1:sessionHeaderLen]) == string(c.keys[i].id[:]) {
			k = &c.keys[i]
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
	case t >= sess.expiry, t >= sess.issued+int64(c.maxAge/time.Second):
		return session{}, ignoredExpired
	}
	return sess, ""
}

// parseSession parses a cookie's plaintext. The strings share one
// allocation; each list that is not empty costs one more.
func parseSession(p []byte) (session, bool) {
	if len(p) < sessionMinPayload || p[sessionFixedLen-1] > 1 {
		return session{}, false
	}
	sess := session{
		issued: int64(binary.BigEndian.Uint64(p)),
		expiry: int64(binary.BigEndian.Uint64(p[8:])),
		flags:  negotiate.Flags(binary.BigEndian.Uint32(p[16:])),
		pac:    p[sessionFixedLen-1] == 1,
	}
	p = p[sessionFixedLen:]
	r := payloadReader{b: p, s: string(p)} // the one allocation of the strings
	sess.principal = r.str()
	sess.localName = r.str()
	sess.mech = r.str()
	sess.userSID = r.str()
	sess.upn = r.str()
	sess.groups = r.list()
	sess.indicators = r.list()
	switch {
	case r.bad, len(r.b) != 0, sess.principal == "", sess.issued > sess.expiry:
		return session{}, false
	case !sess.pac && (sess.userSID != "" || sess.upn != "" || sess.groups != nil):
		return session{}, false
	}
	return sess, true
}

// payloadReader reads a session's strings and lists: b is what is left of
// the plaintext, s the same bytes as one string, which the strings read
// share.
type payloadReader struct {
	b   []byte
	s   string
	bad bool // something did not parse; what is read after it is zero
}

func (r *payloadReader) uvarint() uint64 {
	if r.bad {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n > 1 && r.b[n-1] == 0 { // none, or not in its shortest form
		r.bad = true
		return 0
	}
	r.b, r.s = r.b[n:], r.s[n:]
	return v
}

func (r *payloadReader) str() string {
	l := r.uvarint()
	if r.bad || l > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	v := r.s[:l]
	r.b, r.s = r.b[l:], r.s[l:]
	return v
}

// list reads a count and as many strings; nil for none.
func (r *payloadReader) list() []string {
	n := r.uvarint()
	if r.bad || n == 0 {
		return nil
	}
	if n > uint64(len(r.b)) { // each string takes a byte at least
		r.bad = true
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = r.str()
	}
	return v
}

// appendSession appends the plaintext of sess.
func appendSession(b []byte, sess *session) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(sess.issued))
	b = binary.BigEndian.AppendUint64(b, uint64(sess.expiry))
	b = binary.BigEndian.AppendUint32(b, uint32(sess.flags))
	pac := byte(0)
	if sess.pac {
		pac = 1
	}
	b = append(b, pac)
	for _, s := range [...]string{sess.principal, sess.localName, sess.mech, sess.userSID, sess.upn} {
		b = appendString(b, s)
	}
	for _, l := range [...][]string{sess.groups, sess.indicators} {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, s := range l {
			b = appendString(b, s)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// payloadSize is about how long the plaintext of sess is: a little more.
func payloadSize(sess *session) int {
	n := sessionFixedLen + 7*binary.MaxVarintLen16 + len(sess.principal) + len(sess.localName) +
		len(sess.mech) + len(sess.userSID) + len(sess.upn)
	for _, l := range [...][]string{sess.groups, sess.indicators} {
		for _, s := range l {
			n += binary.MaxVarintLen16 + len(s)
		}
	}
	return n
}

// seal returns the cookie value of sess, sealed with the first key.
func (c *sessionCodec) seal(sess *session) string {
	k := &c.keys[0]
	plain := appendSession(make([]byte, 0, payloadSize(sess)), sess)
	b := make([]byte, 0, sessionHeaderLen+sessionNonceLen+len(plain)+sessionTagLen)
	b = append(b, sessionVersion)
	b = append(b, k.id[:]...)
	b = k.aead.Seal(b, nil, plain, k.aad)
	return sessionEncoding.EncodeToString(b)
}
