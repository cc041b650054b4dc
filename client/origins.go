package client

import (
	"net"
	"net/url"
	"strings"
	"sync"
)

// maxOrigins caps the origins a Transport remembers as having challenged
// it. Past the cap one is forgotten at random: it is then treated as one
// that never challenged, which costs a round trip, never a leak.
const maxOrigins = 256

// origin returns u's origin as "scheme://host:port", lower case, with the
// scheme's default port filled in.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// originSet holds the origins that answered the Transport with a
// Negotiate challenge. It is safe for concurrent use.
type originSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (s *originSet) add(o string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[o]; ok {
		return
	}
	if s.m == nil {
		s.m = make(map[string]struct{})
	}
	if len(s.m) >= maxOrigins {
		for old := range s.m {
			delete(s.m, old)
			break
		}
	}
	s.m[o] = struct{}{}
}

func (s *originSet) has(o string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[o]
	return ok
}
