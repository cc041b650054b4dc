//go:build cgo

package gss

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

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

// localNameWarnings checks, once at start-up, that a user of the
// acceptor's realm, and of every realm in the keytab, maps to a local
// name: it asks gss_localname for a made-up one-component principal of
// each realm. MIT's DEFAULT rule maps only the default realm.
func localNameWarnings(keytab, realm string) []string {
	realms := []string{realm}
	if ps, err := KeytabPrincipals(keytab); err == nil {
		for _, p := range ps {
			if i := strings.LastIndexByte(p.Principal, '@'); i >= 0 && !slices.Contains(realms, p.Principal[i+1:]) {
				realms = append(realms, p.Principal[i+1:])
			}
		}
	}
	var warnings []string
	for _, r := range realms {
		if r == "" || mapsToLocalName("negotiate-probe@"+r) {
			continue
		}
		conf := cmp.Or(os.Getenv("KRB5_CONFIG"), "the default krb5.conf")
		warnings = append(warnings, fmt.Sprintf(
			"users of realm %s map to no local name: krb5.conf (%s) has default realm %q and no auth_to_local rule for %s, so Auth.LocalName stays empty and WithRequireLocalName refuses them; check KRB5_CONFIG, or add auth_to_local rules",
			r, conf, defaultRealm(), r))
	}
	return warnings
}

// mapsToLocalName reports whether principal maps to a local name.
func mapsToLocalName(principal string) bool {
	name, err := importName(principal, principalName)
	if err != nil {
		return false
	}
	defer releaseName(&name)
	_, ok := localName(name)
	return ok
}
