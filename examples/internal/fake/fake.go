// Package fake is the acceptor of the examples: it stands for a
// *gss.Acceptor, so that they run without a Kerberos realm.
package fake

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/negotiate-go/negotiate"
)

// Acceptor accepts the tokens that Token makes, of alice@EXAMPLE.TEST for
// Token("alice") say, each once, as a real acceptor's replay cache
// does: the second time it refuses the token as a replay. It refuses any
// other token as defective. The zero Acceptor is ready to use.
type Acceptor struct {
	calls atomic.Int64
	mu    sync.Mutex
	seen  map[string]bool
}

// Calls returns how many tokens Accept was given.
func (a *Acceptor) Calls() int { return int(a.calls.Load()) }

// Accept accepts one token.
func (a *Acceptor) Accept(tok []byte) (negotiate.Result, error) {
	a.calls.Add(1)
	a.mu.Lock()
	replay := a.seen[string(tok)]
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	a.seen[string(tok)] = true
	a.mu.Unlock()
	user, ok := strings.CutSuffix(string(tok), "-ticket")
	user, _, _ = strings.Cut(user, "#")
	switch {
	case !ok || user == "":
		return negotiate.Result{}, fmt.Errorf("fake: %w", negotiate.ErrDefectiveToken)
	case replay:
		return negotiate.Result{}, fmt.Errorf("fake: %w", negotiate.ErrReplay)
	}
	return negotiate.Result{Principal: user + "@EXAMPLE.TEST", Mech: negotiate.MechKerberos}, nil
}

// Token returns an Authorization value that carries a fresh token of
// user, which Acceptor accepts once: sent again, it is a replay.
func Token(user string) string {
	tok := fmt.Sprintf("%s#%d-ticket", user, counter.Add(1))
	return "Negotiate " + base64.StdEncoding.EncodeToString([]byte(tok))
}

var counter atomic.Int64
