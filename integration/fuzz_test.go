package integration

import (
	"bytes"
	"encoding/base64"
	"errors"
	"sync"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

var (
	fuzzOnce      sync.Once
	fuzzAcceptors []*gss.Acceptor
	fuzzErr       error
)

// acceptorsForFuzzing returns two acceptors that live as long as the
// process: one bound to HTTP/localhost, as servers usually are, and one
// that takes any key in the keytab (-hostname '*'). Both run without a
// replay cache, so that a good token is good every time the fuzzer
// mutates around it.
func acceptorsForFuzzing(t testing.TB) []*gss.Acceptor {
	fuzzOnce.Do(func() {
		for _, host := range []string{"localhost", "*"} {
			acc, err := gss.NewAcceptor(gss.WithKeytab(realm.Keytab), gss.WithHostname(host), gss.WithReplayCache("none:"))
			if err != nil {
				fuzzErr = err
				return
			}
			fuzzAcceptors = append(fuzzAcceptors, acc)
		}
	})
	if fuzzErr != nil {
		t.Fatal(fuzzErr)
	}
	return fuzzAcceptors
}

// FuzzAccept hands arbitrary tokens to the real acceptor, that is to the
// system's GSS-API library through the cgo layer, starting from real
// tokens of every shape. The library must not crash; a token, whatever it
// holds, must never be taken for a server fault (which would be a 500 and
// an Error in the log, at the client's will); a failure must fall in one of
// the client-error categories and come without a principal or a delegated
// credential; and a success must name one of the fixture's users.
func FuzzAccept(f *testing.F) {
	u := []user{alice(), bob()}
	tok := func(u user, svc string, flags negotiate.Flags, raw bool) []byte {
		tok, err := testrealm.Token(u.ccache, svc, flags, raw)
		if err != nil {
			f.Fatal(err)
		}
		return tok
	}
	windows := tok(u[0], target, 0, false)
	if i := bytes.Index(windows, krb5OID); i >= 0 {
		copy(windows[i:], msKrb5OID)
	}
	unknown := tok(u[0], target, 0, false)
	if i := bytes.Index(unknown, krb5OID); i >= 0 {
		unknown[i+6]--
	}
	noMech, _ := base64.StdEncoding.DecodeString(noMechToken)

	f.Add(tok(u[0], target, 0, false))                            // SPNEGO, the usual
	f.Add(tok(u[0], target, 0, true))                             // raw Kerberos
	f.Add(tok(u[1], target, negotiate.FlagDelegate, false))       // delegating: a KRB-CRED in the authenticator
	f.Add(tok(u[1], target, negotiate.FlagDelegate, true))        // delegating, raw
	f.Add(windows)                                                // the Windows Kerberos OID
	f.Add(tok(u[0], "HTTP@other.localhost", 0, false))            // another service in the keytab
	f.Add(tok(u[0], "HTTP@nokey.localhost", 0, true))             // a service with no key
	f.Add(noMech)                                                 // SPNEGO without a mechanism token
	f.Add(ntlmNegotiate)                                          // NTLMSSP
	f.Add(unknown)                                                // an unknown mechanism
	f.Add([]byte{0x60, 0x80, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05}) // indefinite length
	acceptors := acceptorsForFuzzing(f)

	f.Fuzz(func(t *testing.T, tok []byte) {
		for _, acc := range acceptors {
			res, err := acc.Accept(tok)
			if res.Delegated != nil {
				defer res.Delegated.Release()
			}
			if err != nil {
				if negotiate.IsServerFault(err) {
					t.Fatalf("%v: a token made a server fault: %v", acc, err)
				}
				if res.Principal != "" || res.Delegated != nil {
					t.Fatalf("%v: failure %v with principal %q, credential %v", acc, err, res.Principal, res.Delegated != nil)
				}
				if errors.Is(err, negotiate.ErrIncomplete) {
					continue
				}
				if len(res.OutputToken) != 0 {
					t.Fatalf("%v: failure %v with an output token", acc, err)
				}
				continue
			}
			if res.Principal != u[0].principal && res.Principal != u[1].principal {
				t.Fatalf("%v: accepted as %q", acc, res.Principal)
			}
		}
	})
}
