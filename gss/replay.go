package gss

import (
	"crypto/sha256"
	"sync"
	"time"
)

// replayCache remembers the authenticators this process accepted, for
// GSS-API libraries whose acceptor keeps none (Heimdal 7). It keys on a hash
// of the authenticator's ciphertext, never on (client, time, microseconds):
// MIT krb5 1.20 stamps authenticators from two processes with identical
// times, and only the ciphertext tells them apart.
//
// An authenticator is accepted only within the clock skew of its time, so
// an entry can be dropped after twice the skew: by then the library refuses
// the token as too old anyway.
type replayCache struct {
	mu        sync.Mutex
	seen      map[[sha256.Size]byte]time.Time // ciphertext hash: when to forget it
	ttl       time.Duration
	nextPurge time.Time
}

// replayWindow is twice Kerberos's default clock skew of five minutes.
const replayWindow = 10 * time.Minute

func newReplayCache() *replayCache {
	return &replayCache{seen: make(map[[sha256.Size]byte]time.Time), ttl: replayWindow}
}

// reserve records the authenticator ciphertext and reports false if it was
// seen within the window: a replay. A reservation for a token that then
// fails is dropped with forget.
func (c *replayCache) reserve(cipher []byte, now time.Time) (key [sha256.Size]byte, fresh bool) {
	key = sha256.Sum256(cipher)
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.After(c.nextPurge) {
		for k, until := range c.seen {
			if now.After(until) {
				delete(c.seen, k)
			}
		}
		c.nextPurge = now.Add(c.ttl / 4)
	}
	if until, ok := c.seen[key]; ok && !now.After(until) {
		return key, false
	}
	c.seen[key] = now.Add(c.ttl)
	return key, true
}

// forget drops a reservation.
func (c *replayCache) forget(key [sha256.Size]byte) {
	c.mu.Lock()
	delete(c.seen, key)
	c.mu.Unlock()
}
