package gss

import "sync"

// localNames caches gss_localname per principal: the call builds a krb5
// context and re-reads krb5.conf each time (about 150 µs measured), as much
// as the accept itself. The mapping depends only on the principal and the
// configuration, which a running process does not re-read anyway.
type localNames struct {
	mu sync.RWMutex
	m  map[string]string
}

// maxLocalNames bounds the cache; past it the cache starts again, so a
// realm with many users costs memory in proportion to the active ones.
const maxLocalNames = 4096

func (l *localNames) lookup(principal string, name nameID) string {
	l.mu.RLock()
	local, ok := l.m[principal]
	l.mu.RUnlock()
	if ok {
		return local
	}
	local, _ = localName(name)
	l.mu.Lock()
	if l.m == nil || len(l.m) >= maxLocalNames {
		l.m = make(map[string]string)
	}
	l.m[principal] = local
	l.mu.Unlock()
	return local
}
