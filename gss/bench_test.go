package gss_test

import (
	"sync/atomic"
	"testing"

	"github.com/negotiate-go/negotiate/gss"
)

// BenchmarkAccept measures one accept of a fresh SPNEGO token: the price of
// an authenticated request, and of the proxy credential that
// WithConstrainedDelegation makes for it, which is released at once. Run
// it with -cpu 1,2 for one and two goroutines.
// Tokens are made before the timer starts; each is used once, as the replay
// cache demands.
func BenchmarkAccept(b *testing.B) {
	for _, rc := range []struct {
		name, cache string
		proxy       bool // with a proxy credential for each client (MIT only)
	}{
		{"rcache=default", "", false},
		{"rcache=none", "none:", false},
		{"rcache=none/constrained-delegation", "none:", true},
	} {
		b.Run(rc.name, func(b *testing.B) {
			var opts []gss.Option
			if rc.cache != "" {
				opts = append(opts, gss.WithReplayCache(rc.cache))
			}
			if rc.proxy {
				if gss.Library() == "Heimdal" {
					b.Skip("Heimdal's GSS-API has no S4U")
				}
				opts = append(opts, gss.WithConstrainedDelegation())
			}
			acc := newAcceptor(b, opts...)
			tokens := freshTokens(b, b.N)
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := acc.Accept(tokens[next.Add(1)-1])
					if err != nil {
						b.Error(err)
						return
					}
					if res.Delegated != nil {
						res.Delegated.Release()
					}
				}
			})
		})
	}
}

func freshTokens(b *testing.B, n int) [][]byte {
	b.Helper()
	ini, err := gss.NewInitiator(gss.WithCCache(realm.AliceCCache))
	if err != nil {
		b.Fatal(err)
	}
	defer ini.Close()
	tokens := make([][]byte, n)
	for i := range tokens {
		ctx, tok, err := ini.Start("HTTP@localhost", 0)
		if err != nil {
			b.Fatal(err)
		}
		ctx.Close()
		tokens[i] = tok
	}
	return tokens
}
