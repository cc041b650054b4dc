package middleware

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/negotiate-go/negotiate"
)

// marker opens every fake token, so tests can check that no token reaches a
// log or a response.
const marker = "tokSECRET-"

// secretDetail is in the text of the fake acceptor's errors: it may reach
// the log, never a response body.
const secretDetail = "minor 0x96c73a25 detail"

// fakeCred is a delegated credential that counts its releases and stores.
type fakeCred struct {
	released atomic.Int32
	stored   atomic.Int32

	// contents is what Store writes into a "FILE:" cache: a ccache file
	// (see testCCache). It is written in small pieces, so that readers
	// racing an unprotected write would see a torn file. With contents nil
	// Store writes nothing, as for a MEMORY: cache.
	contents []byte
	// fail makes Store fail with it, after writing half the file.
	fail error
}

func (c *fakeCred) Store(name string) error {
	if c.released.Load() > 0 {
		return errors.New("fakeCred: released")
	}
	c.stored.Add(1)
	path, ok := strings.CutPrefix(name, "FILE:")
	if !ok || c.contents == nil {
		return c.fail
	}
	// 0666 like MIT krb5's FILE cache before its fchmod: only the umask
	// and the middleware's own chmod make it private.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("fakeCred: %w", err)
	}
	defer f.Close()
	data := c.contents
	if c.fail != nil {
		data = data[:len(data)/2]
	}
	for len(data) > 0 {
		n := min(len(data), 16)
		if _, err := f.Write(data[:n]); err != nil {
			return fmt.Errorf("fakeCred: %w", err)
		}
		data = data[n:]
		runtime.Gosched()
	}
	if c.fail != nil {
		return c.fail
	}
	return f.Close()
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

	// newCred, when set, makes the kinds "deleg:PRINCIPAL" and
	// "proxy:PRINCIPAL" hand out a fresh credential of PRINCIPAL, recorded
	// in issued: a forwarded TGT of an acceptor that names no kind, and a
	// proxy credential.
	newCred func(principal string) *fakeCred
	mu      sync.Mutex
	issued  []*fakeCred

	// seen, when not nil, makes the fake refuse a token it saw before as
	// a replay, as a real acceptor's replay cache does. The kind of such
	// a fake's token may end in "#" and anything, to make it fresh.
	seen map[string]bool
}

func newFake() *fakeAcceptor { return &fakeAcceptor{cred: new(fakeCred)} }

// newOnceFake returns a fake that accepts each token once: the second
// time it fails as a replay.
func newOnceFake() *fakeAcceptor {
	a := newFake()
	a.seen = map[string]bool{}
	return a
}

func gssErr(sentinel error) error {
	return fmt.Errorf("gss: accept: %w (%s)", sentinel, secretDetail)
}

func (a *fakeAcceptor) Accept(tok []byte) (negotiate.Result, error) {
	a.calls.Add(1)
	if a.seen != nil {
		a.mu.Lock()
		replay := a.seen[string(tok)]
		a.seen[string(tok)] = true
		a.mu.Unlock()
		if replay {
			return negotiate.Result{}, gssErr(negotiate.ErrReplay)
		}
	}
	kind, ok := cutMarker(string(tok))
	if !ok {
		return negotiate.Result{}, gssErr(negotiate.ErrDefectiveToken)
	}
	if a.seen != nil {
		kind, _, _ = strings.Cut(kind, "#")
	}
	if p, ok := strings.CutPrefix(kind, "deleg:"); ok && a.newCred != nil {
		return negotiate.Result{Principal: p, Mech: negotiate.MechKerberos, Flags: negotiate.FlagDelegate, Delegated: a.issue(p)}, nil
	}
	if p, ok := strings.CutPrefix(kind, "proxy:"); ok && a.newCred != nil {
		// A proxy credential, as gss.WithConstrainedDelegation makes for a
		// client that does not delegate: no FlagDelegate.
		return negotiate.Result{Principal: p, Mech: negotiate.MechKerberos, Delegated: a.issue(p), DelegationKind: "proxy"}, nil
	}
	if p, ok := strings.CutPrefix(kind, "nodeleg:"); ok { // success without delegation
		return negotiate.Result{Principal: p, Mech: negotiate.MechKerberos}, nil
	}
	if p, ok := strings.CutPrefix(kind, "typednil:"); ok { // a typed nil credential, as go-gssapi-c returns
		return negotiate.Result{Principal: p, Mech: negotiate.MechKerberos, Delegated: (*fakeCred)(nil)}, nil
	}
	return fakeResult(kind, a.cred)
}

// issue returns a fresh credential of principal from newCred, recorded in
// issued.
func (a *fakeAcceptor) issue(principal string) *fakeCred {
	c := a.newCred(principal)
	a.mu.Lock()
	a.issued = append(a.issued, c)
	a.mu.Unlock()
	return c
}

// issuedCreds returns the credentials newCred made so far.
func (a *fakeAcceptor) issuedCreds() []*fakeCred {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.issued)
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

// The Active Directory user of the fake's "ad" kinds, and SIDs of its
// domain.
const (
	adAlice   = "alice@AD.EXAMPLE.TEST"
	domainSID = "S-1-5-21-1004336348-1177238915-682003330"
	sidAlice  = domainSID + "-1104"
	sidUsers  = domainSID + "-513"  // Domain Users: everyone's primary group
	sidStaff  = domainSID + "-1107" // a group alice is in
	sidAdmins = domainSID + "-512"  // Domain Admins: alice is not
)

// alicePAC is the PAC of adAlice in the given groups.
func alicePAC(groups ...string) *negotiate.PAC {
	return &negotiate.PAC{UserSID: sidAlice, PrimaryGroupSID: sidUsers, GroupSIDs: groups,
		LogonName: "alice", Domain: "ADEX", UPN: "alice@ad.example.test", DNSDomain: "AD.EXAMPLE.TEST"}
}

// apRep is the fake mutual-authentication output token.
var apRep = []byte("\x6f\x81ap-rep")

func fakeResult(kind string, cred *fakeCred) (negotiate.Result, error) {
	switch kind {
	case "alice": // success with an output token
		return negotiate.Result{Principal: alice, LocalName: "alice", Mech: negotiate.MechKerberos,
			Flags: negotiate.FlagMutual, OutputToken: apRep}, nil
	case "bob": // success without an output token
		return negotiate.Result{Principal: bob, Mech: negotiate.MechKerberos}, nil
	case "deleg": // success with a delegated credential, of an acceptor that names no kind
		return negotiate.Result{Principal: carol, Mech: negotiate.MechKerberos, OutputToken: apRep,
			Flags: negotiate.FlagDelegate, Delegated: cred}, nil
	case "forwarded": // success with a forwarded TGT, named so as gss names it
		return negotiate.Result{Principal: carol, Mech: negotiate.MechKerberos, OutputToken: apRep,
			Flags: negotiate.FlagDelegate, Delegated: cred, DelegationKind: "forwarded"}, nil
	case "proxy": // success with a proxy credential (constrained delegation): the client delegated nothing
		return negotiate.Result{Principal: carol, Mech: negotiate.MechKerberos, OutputToken: apRep,
			Delegated: cred, DelegationKind: "proxy"}, nil
	case "proxy-nocred": // a kind named without a credential: no credential it is
		return negotiate.Result{Principal: carol, Mech: negotiate.MechKerberos, DelegationKind: "proxy"}, nil
	case "deleg-replay": // failure that still hands over a credential
		return negotiate.Result{Principal: carol, Delegated: cred}, gssErr(negotiate.ErrReplay)
	case "deleg-fault": // server fault that still hands over a credential
		return negotiate.Result{Delegated: cred}, gssErr(negotiate.ErrServerCredentials)
	case "deleg-noprincipal": // "success" without a principal, with a credential
		return negotiate.Result{Delegated: cred}, nil
	case "ad": // an Active Directory ticket: a PAC with alice's groups
		return negotiate.Result{Principal: adAlice, Mech: negotiate.MechKerberos, PAC: alicePAC(sidUsers, sidStaff)}, nil
	case "ad300": // alice in 300 groups, sidStaff the 151st
		groups := []string{sidUsers}
		for i := range 298 {
			if i == 149 {
				groups = append(groups, sidStaff)
			}
			groups = append(groups, fmt.Sprintf("%s-%d", domainSID, 5000+i))
		}
		return negotiate.Result{Principal: adAlice, Mech: negotiate.MechKerberos, PAC: alicePAC(groups...)}, nil
	case "otp": // an MIT ticket of a login with two indicators
		return negotiate.Result{Principal: bob, Mech: negotiate.MechKerberos, AuthIndicators: []string{"hardened", "otp"}}, nil
	case "noprincipal":
		return negotiate.Result{Mech: negotiate.MechKerberos}, nil
	case "replay":
		return negotiate.Result{Principal: "mallory@EXAMPLE.TEST"}, gssErr(negotiate.ErrReplay)
	case "incomplete":
		return negotiate.Result{OutputToken: []byte("more")}, gssErr(negotiate.ErrIncomplete)
	case "internal": // wraps no sentinel: category unknown, a server fault to the middleware
		return negotiate.Result{}, fmt.Errorf("gss: unexpected (%s)", secretDetail)
	}
	if sentinel, ok := fakeFailures[kind]; ok {
		return negotiate.Result{}, gssErr(sentinel)
	}
	return negotiate.Result{}, gssErr(negotiate.ErrDefectiveToken)
}

// fakeFailures are the kinds that fail with nothing but a sentinel.
var fakeFailures = map[string]error{
	"skew":       negotiate.ErrClockSkew,
	"expired":    negotiate.ErrTicketExpired,
	"wrongsvc":   negotiate.ErrWrongService,
	"kvno":       negotiate.ErrStaleKeytab,
	"enctype":    negotiate.ErrKeytabEnctype,
	"anonymous":  negotiate.ErrAnonymous,
	"badmech":    negotiate.ErrBadMech,
	"servercred": negotiate.ErrServerCredentials,
}

// b64 is the base64 of a fake token of the given kind.
func b64(kind string) string { return base64.StdEncoding.EncodeToString([]byte(marker + kind)) }

// neg is an Authorization value carrying a fake token of the given kind.
func neg(kind string) string { return "Negotiate " + b64(kind) }

// mutualHeader is the WWW-Authenticate value that carries apRep.
var mutualHeader = "Negotiate " + base64.StdEncoding.EncodeToString(apRep)

// warningFake is a fake with start-up warnings, as *gss.Acceptor has, that
// describes itself.
type warningFake struct {
	*fakeAcceptor
	warnings []string
}

func (a warningFake) Warnings() []string { return a.warnings }
func (a warningFake) String() string     { return "fake HTTP/localhost" }

// fixedAcceptor returns the same answer every time, so that benchmarks
// measure the middleware and not the fake.
type fixedAcceptor struct {
	res negotiate.Result
	err error
}

func (a fixedAcceptor) Accept([]byte) (negotiate.Result, error) { return a.res, a.err }
