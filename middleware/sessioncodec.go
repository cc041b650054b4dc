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
func (c *sessionCodec) seal(sess *session) string {
	k := &c.keys[0]
	plain := appendSession(make([]byte, 0, sessionFixedLen+30+len(sess.principal)+len(sess.localName)+len(sess.mech)), sess)
	b := make([]byte, 0, sessionHeaderLen+sessionNonceLen+len(plain)+sessionTagLen)
	b = append(b, sessionVersion)
	b = append(b, k.id[:]...)
	b = k.aead.Seal(b, nil, plain, k.aad)
	return sessionEncoding.EncodeToString(b)
}
