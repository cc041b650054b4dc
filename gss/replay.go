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
// The library accepts an authenticator while its time is within the clock
// skew of the acceptor's clock, so a token it accepted at time now carries
// a time between now-skew and now+skew, and the library would accept it
// again until that time plus skew: at the latest now+2·skew. An entry is
// kept for twice the skew from its acceptance, which covers the skew on
// both sides of any accepted authenticator's own time.
type replayCache struct {
	mu        sync.Mutex
	seen      map[[sha256.Size]byte]time.Time // ciphertext hash: when to forget it
	ttl       time.Duration
	nextPurge time.Time
}

// newReplayCache returns a cache for an acceptor whose library allows
// clock skew skew (krb5.conf's clockskew).
func newReplayCache(skew time.Duration) *replayCache {
	return &replayCache{seen: make(map[[sha256.Size]byte]time.Time), ttl: 2 * skew}
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
