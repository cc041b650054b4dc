package integration

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// TestConcurrentClients runs 16 clients at once, half alice and half bob,
// each sending 5 requests with fresh tokens: SPNEGO and raw Kerberos in
// turn to /whoami, and last a delegating token to /delegate. Every request
// must answer 200 with its own client's principal, and every stored ccache
// must hold its own client's TGT: one client's identity must never leak
// into another's response.
func TestConcurrentClients(t *testing.T) {
	s := newServer(t)
	const clients, requests = 16, 5

	var mu sync.Mutex
	served := map[string]int{}       // principal -> requests answered as that principal
	ccaches := map[string][]string{} // principal -> ccaches /delegate stored
	var wg sync.WaitGroup
	for c := range clients {
		u := []user{alice(), bob()}[c%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range requests {
				var ccache string
				var err error
				if i == requests-1 {
					ccache, err = delegateAs(s, u)
				} else {
					err = whoamiAs(s, u, i%2 == 1)
				}
				if err != nil {
					t.Errorf("client %d (%s), request %d: %v", c, u.principal, i, err)
					continue
				}
				mu.Lock()
				served[u.principal]++
				if ccache != "" {
					ccaches[u.principal] = append(ccaches[u.principal], ccache)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, u := range []user{alice(), bob()} {
		if want := clients / 2 * requests; served[u.principal] != want {
			t.Errorf("%s was served %d times, want %d", u.principal, served[u.principal], want)
		}
		for _, ccache := range ccaches[u.principal] {
			out, err := realm.Klist("-c", ccache)
			if err != nil || !strings.Contains(out, "Default principal: "+u.principal+"\n") {
				t.Errorf("the ccache stored for %s: %v\n%s", u.principal, err, out)
			}
		}
	}
}

// whoamiAs asks /whoami with a fresh token from u and checks the answer.
// It runs on any goroutine, so it returns an error instead of failing the
// test.
func whoamiAs(s *server, u user, raw bool) error {
	r, err := sendAs(s, u, "/whoami", 0, raw)
	if err != nil {
		return err
	}
	if r.body != u.principal+"\n" {
		return fmt.Errorf("body %q, want %q", r.body, u.principal+"\n")
	}
	return nil
}

// delegateAs sends a fresh delegating token from u to /delegate and returns
// the ccache the handler stored the credential in.
func delegateAs(s *server, u user) (string, error) {
	r, err := sendAs(s, u, "/delegate", negotiate.FlagDelegate, false)
	if err != nil {
		return "", err
	}
	ccache, ok := strings.CutPrefix(strings.TrimSuffix(r.body, "\n"), "delegated ")
	if !ok {
		return "", fmt.Errorf("body %q, want delegated FILE:...", r.body)
	}
	return ccache, nil
}

// sendAs sends a fresh token from u to path and checks for a 200 with a
// mutual-authentication token.
func sendAs(s *server, u user, path string, flags negotiate.Flags, raw bool) (reply, error) {
	tok, err := testrealm.Token(u.ccache, target, flags, raw)
	if err != nil {
		return reply{}, fmt.Errorf("token: %w", err)
	}
	r, err := s.send(path, negotiateValue(tok))
	if err != nil {
		return reply{}, err
	}
	if r.status != http.StatusOK {
		return reply{}, fmt.Errorf("got %d %q, want 200", r.status, r.body)
	}
	if c := r.challenges(); len(c) != 1 || len(c[0]) <= len("Negotiate ") {
		return reply{}, fmt.Errorf("WWW-Authenticate %q, want one Negotiate <token>", c)
	}
	return r, nil
}
