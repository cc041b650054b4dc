package testrealm

import (
	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
)

// Token returns a fresh initiator token for target ("HTTP@localhost") made
// with the TGT in ccache: SPNEGO unless raw is set, then raw Kerberos. flags
// may ask for delegation (negotiate.FlagDelegate). Every call makes a new
// authenticator, so the token has never been seen by any replay cache.
func Token(ccache, target string, flags negotiate.Flags, raw bool) ([]byte, error) {
	opts := []gss.InitiatorOption{gss.WithCCache(ccache)}
	if raw {
		opts = append(opts, gss.WithRawKerberos())
	}
	ini, err := gss.NewInitiator(opts...)
	if err != nil {
		return nil, err
	}
	defer ini.Close()
	ctx, token, err := ini.Start(target, flags)
	if err != nil {
		return nil, err
	}
	ctx.Close()
	return token, nil
}
