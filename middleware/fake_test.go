package middleware

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/negotiate-go/negotiate"
)

// marker opens every fake token, so tests can check that no token reaches a
// log or a response.
const marker = "tokSECRET-"

// secretDetail is in the text of the fake acceptor's errors: it may reach
// the log, never a response body.
const secretDetail = "minor 0x96c73a25 detail"

// fakeCred is a delegated credential that counts its releases.
type fakeCred struct {
	released atomic.Int32
}

func (c *fakeCred) Store(string) error {
	if c.released.Load() > 0 {
		return errors.New("fakeCred: released")
	}
	return nil
}

func (c *fakeCred) Release() error {
	c.released.Add(1)
	return nil
}

// fakeAcceptor decides by the token's text, marker then a kind such as
// "alice" or "replay" (see fakeResult). It stands for the decision logic
// only: tests with real tokens live with the gss package.
type fakeAcceptor struct {
	calls atomic.Int32
	cred  *fakeCred // handed out by the "deleg..." kinds
}

func newFake() *fakeAcceptor { return &fakeAcceptor{cred: new(fakeCred)} }

func gssErr(sentinel error) error {
	return fmt.Errorf("gss: accept: %w (%s)", sentinel, secretDetail)
}

func (a *fakeAcceptor) Accept(tok []byte) (negotiate.Result, error) {
	a.calls.Add(1)
	kind, ok := cutMarker(string(tok))
	if !ok {
		return negotiate.Result{}, gssErr(negotiate.ErrDefectiveToken)
	}
	return fakeResult(kind, a.cred)
}

func cutMarker(s string) (string, bool) {
	if len(s) < len(marker) || s[:len(marker)] != marker {
		return "", false
	}
	return s[len(marker):], true
}

const (
	alice = "alice@EXAMPLE.TEST"
	bob   = "bob@EXAMPLE.TEST"
	carol = "carol@EXAMPLE.TEST"
)

// apRep is the fake mutual-authentication output token.
var apRep = []byte("\x6f\x81ap-rep")

func fakeResult(kind string, cred *fakeCred) (negotiate.Result, error) {
	switch kind {
	case "alice": // success with an output token
		return negotiate.Result{Principal: alice, LocalName: "alice", Mech: negotiate.MechKerberos,
			Flags: negotiate.FlagMutual, OutputToken: apRep}, nil
	case "bob": // success without an output token
		return negotiate.Result{Principal: bob, Mech: negotiate.MechKerberos}, nil
	case "deleg": // success with a delegated credential
		return negotiate.Result{Principal: carol, Mech: negotiate.MechKerberos, OutputToken: apRep,
			Flags: negotiate.FlagDelegate, Delegated: cred}, nil
	case "deleg-replay": // failure that still hands over a credential
		return negotiate.Result{Principal: carol, Delegated: cred}, gssErr(negotiate.ErrReplay)
	case "deleg-fault": // server fault that still hands over a credential
		return negotiate.Result{Delegated: cred}, gssErr(negotiate.ErrServerCredentials)
	case "deleg-noprincipal": // "success" without a principal, with a credential
		return negotiate.Result{Delegated: cred}, nil
	case "noprincipal":
		return negotiate.Result{Mech: negotiate.MechKerberos}, nil
	case "replay":
		return negotiate.Result{Principal: "mallory@EXAMPLE.TEST"}, gssErr(negotiate.ErrReplay)
	case "skew":
		return negotiate.Result{}, gssErr(negotiate.ErrClockSkew)
	case "expired":
		return negotiate.Result{}, gssErr(negotiate.ErrTicketExpired)
	case "wrongsvc":
		return negotiate.Result{}, gssErr(negotiate.ErrWrongService)
	case "kvno":
		return negotiate.Result{}, gssErr(negotiate.ErrStaleKeytab)
	case "badmech":
		return negotiate.Result{}, gssErr(negotiate.ErrBadMech)
	case "incomplete":
		return negotiate.Result{OutputToken: []byte("more")}, gssErr(negotiate.ErrIncomplete)
	case "servercred":
		return negotiate.Result{}, gssErr(negotiate.ErrServerCredentials)
	case "internal": // wraps no sentinel, so it counts as internal
		return negotiate.Result{}, fmt.Errorf("gss: unexpected (%s)", secretDetail)
	}
	return negotiate.Result{}, gssErr(negotiate.ErrDefectiveToken)
}

// b64 is the base64 of a fake token of the given kind.
func b64(kind string) string { return base64.StdEncoding.EncodeToString([]byte(marker + kind)) }

// neg is an Authorization value carrying a fake token of the given kind.
func neg(kind string) string { return "Negotiate " + b64(kind) }

// mutualHeader is the WWW-Authenticate value that carries apRep.
var mutualHeader = "Negotiate " + base64.StdEncoding.EncodeToString(apRep)
