package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/negotiate-go/negotiate/gss"
)

// tokenTarget is the service every server accepts: HTTP/localhost.
const tokenTarget = "HTTP@localhost"

// tokenMaker makes fresh SPNEGO tokens from one user's ccache.
//
// All tokens come from goroutines of this one process. MIT krb5 1.20.1 keeps
// authenticator timestamps unique within a process, but two processes
// started together can stamp authenticators with identical (time, µs)
// pairs, and a replay cache that keys on them (gokrb5's) would then reject
// good tokens.
type tokenMaker struct {
	ini *gss.Initiator
}

func newTokenMaker(ccache string) (*tokenMaker, error) {
	ini, err := gss.NewInitiator(gss.WithCCache(ccache))
	if err != nil {
		return nil, err
	}
	return &tokenMaker{ini: ini}, nil
}

// Close releases the user's credentials.
func (m *tokenMaker) Close() error { return m.ini.Close() }

// one returns a single fresh token.
func (m *tokenMaker) one() ([]byte, error) {
	ctx, tok, err := m.ini.Start(tokenTarget, 0)
	if err != nil {
		return nil, err
	}
	ctx.Close()
	return tok, nil
}

// make returns n fresh tokens, made by one goroutine per CPU. Each token is
// a new authenticator that no replay cache has seen; it stays valid for the
// clock skew allowed, five minutes by default, so make tokens right before
// they are used.
func (m *tokenMaker) make(n int) ([][]byte, error) {
	tokens := make([][]byte, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, runtime.NumCPU())
	for w := range errs {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				tok, err := m.one()
				if err != nil {
					errs[w] = fmt.Errorf("token %d: %w", i, err)
					next.Store(int64(n)) // the other workers stop too
					return
				}
				tokens[i] = tok
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return tokens, nil
}
