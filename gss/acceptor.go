//go:build cgo

package gss

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/negotiate-go/negotiate"
)

// Acceptor accepts Negotiate tokens with service keys acquired once, at
// construction, from a keytab. It is safe for concurrent use by many
// goroutines; it satisfies middleware.Acceptor.
type Acceptor struct {
	desc           string // what the credential is for, for error messages
	keytab         string // "" for the default keytab
	bound          string // the service principal without realm; "" for any key in the keytab
	boundPrincipal string // bound as krb5 parses it: the realm, if given, kept
	realm          string // bound's realm: the one given, or the default realm
	names          localNames
	anonymous      bool          // anonymous tickets are accepted: see WithAnonymous
	warnings       []string      // see Warnings
	addedSkew      time.Duration // what the library adds to the lifetime it reports: MIT its clock skew, Heimdal nothing
	replays        *replayCache  // nil when the library keeps its own, or replay detection is off
	now            func() time.Time

	s4u *s4uService // nil without WithConstrainedDelegation and WithProtocolTransition

	mu     sync.RWMutex // held for reading by Accept, for writing by Close and the S4U renewal
	cred   credID
	config configHold // krb5.conf kept parsed while the acceptor lives
	closed bool
	// serviceCCache is the MEMORY: cache of the service's own TGT that
	// cred keeps, with S4U; destroyed by Close and when a renewal
	// replaces cred.
	serviceCCache string
}

// NewAcceptor acquires acceptor credentials and fails, with an error naming
// the keytab and the principal, if they cannot serve: a missing or
// unreadable keytab, or one without a key for the principal.
func NewAcceptor(opts ...Option) (*Acceptor, error) {
	c := config{service: "HTTP"}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	s4u := c.constrained || c.transition
	if s4u && isHeimdal() {
		return nil, fmt.Errorf("gss: %s: Heimdal's GSS-API has no S4U (constrained delegation, protocol transition): build against MIT krb5", s4uOption(&c))
	}
	hostnameHint := `: pass WithHostname or WithPrincipal with one of those, or WithHostname("*") to accept any of them`
	if c.hostname == "" && c.principal == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("gss: hostname for the service principal: %w", err)
		}
		c.hostname = h
		hostnameHint = fmt.Sprintf(`; without WithHostname the service is %s/%s, after this machine's name (os.Hostname): pass WithHostname with the name clients use, or WithHostname("*") to accept any principal of the keytab`, c.service, h)
	}
	keytabDesc := "the default keytab"
	if c.keytab != "" {
		keytabDesc = "keytab " + c.keytab
		// The library reports a missing file late and vaguely; say it here.
		f, err := os.Open(c.keytab)
		if err != nil {
			return nil, fmt.Errorf("gss: %s: %w", keytabDesc, err)
		}
		f.Close()
	}

	// name is what the credential is acquired for ("" for any key in the
	// keytab) and bound the principal it binds to, without the realm.
	var name, bound string
	hostbased := false
	switch {
	case c.principal != "":
		name = c.principal
		bound, _, _ = strings.Cut(c.principal, "@")
	case c.hostname != "*":
		name, bound, hostbased = c.service+"@"+c.hostname, c.service+"/"+c.hostname, true
	}
	nameDesc := "any principal"
	if name != "" {
		nameDesc = cmp.Or(c.principal, bound)
	}
	desc := fmt.Sprintf("%s in %s", nameDesc, keytabDesc)
	boundPrincipal := c.principal
	if boundPrincipal == "" {
		boundPrincipal = bound
	}
	realm := defaultRealm()
	if _, r, ok := strings.Cut(c.principal, "@"); ok {
		realm = r
	}
	a := &Acceptor{desc: desc, keytab: c.keytab, bound: bound, boundPrincipal: boundPrincipal, realm: realm, anonymous: c.anonymous, now: time.Now}
	skew := clockSkew()
	rcache := c.rcache
	if !isHeimdal() {
		// MIT reports a context's lifetime as the ticket's plus its skew
		// allowance; Heimdal reports the ticket's own.
		a.addedSkew = skew
	} else {
		// Heimdal 7's acceptor detects no replays: this package does.
		switch rcache {
		case "":
			a.replays = newReplayCache(skew)
		case "none:":
		default:
			return nil, fmt.Errorf("gss: replay cache %q: under Heimdal only \"none:\" is understood", rcache)
		}
		rcache = ""
	}
	var err error
	if s4u {
		err = a.startS4U(&c, name, rcache, keytabDesc, hostnameHint)
	} else if a.cred, err = acquireAcceptor(name, hostbased, c.keytab, rcache); err != nil {
		err = fmt.Errorf("gss: acceptor credentials for %s: %w; %s%s", desc, err, describeKeytab(c.keytab), hostnameHint)
	}
	if err != nil {
		return nil, err
	}
	a.config = holdConfig()
	a.warnings = localNameWarnings(c.keytab, realm)
	return a, nil
}

// Warnings returns what NewAcceptor found that does not stop the acceptor
// from serving but that its operator should know, one sentence each: for
// now, a keytab whose realm's users krb5.conf's auth_to_local rules map to
// no local name, which leaves Result.LocalName empty and makes
// middleware.WithRequireLocalName refuse everyone; a wrong or missing
// KRB5_CONFIG is the usual cause. The middleware logs them at Warn when it
// is built.
func (a *Acceptor) Warnings() []string { return slices.Clone(a.warnings) }

// String describes the acceptor: its principal and keytab.
func (a *Acceptor) String() string { return a.desc }

// Accept accepts one initiator token, a SPNEGO (RFC 4178) or raw Kerberos
// (RFC 4121) token as sent in "Authorization: Negotiate".
//
// It returns a result with a nil error only for a fully established
// context. A token that needs another round trip (a SPNEGO NegTokenInit
// without a Kerberos token, say) yields negotiate.ErrIncomplete with the
// partial output token and no principal. Any error unwraps to a category of
// package negotiate; an *Error in the chain carries the status codes.
//
// If Result.Delegated is non-nil the caller owns it and must Release it.
func (a *Acceptor) Accept(token []byte) (_ negotiate.Result, err error) {
	a.renewS4U()
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return negotiate.Result{}, fmt.Errorf("gss: acceptor closed: %w", negotiate.ErrServerCredentials)
	}
	if len(token) == 0 {
		// MIT's SPNEGO would answer an empty token with its own
		// NegTokenInit (CONTINUE_NEEDED); no client sends one.
		return negotiate.Result{}, fmt.Errorf("gss: empty token: %w", negotiate.ErrDefectiveToken)
	}
	tok := parseInitiatorToken(token)
	if a.s4u != nil && a.s4u.checkServer {
		if err := a.checkTicketServer(&tok); err != nil {
			return negotiate.Result{}, err
		}
	}
	if a.replays != nil {
		req, ok := tok.apReq()
		if !ok {
			// Unreadable means unprotected from replay: refuse it. The
			// Kerberos-only credential would refuse other mechanisms too.
			return negotiate.Result{}, fmt.Errorf("gss: not a Kerberos AP-REQ: %w", tok.unreadableCategory())
		}
		key, fresh := a.replays.reserve(req.Authenticator.Cipher, a.now())
		if !fresh {
			return negotiate.Result{}, errReplay
		}
		defer func() {
			if err != nil {
				a.replays.forget(key)
			}
		}()
	}
	acc, err := acceptToken(a.cred, tok.library, a.s4u != nil)
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) {
			if category, detail := a.explain(ge, &tok); category != nil {
				err = ge.explained(category, detail)
			}
		}
		return negotiate.Result{}, err
	}
	defer releaseName(&acc.src)
	kind := a.delegation(&acc)
	if kind == "" {
		releaseCred(&acc.deleg)
	}
	defer func() {
		if err != nil {
			releaseCred(&acc.deleg)
		}
	}()
	if !acc.complete {
		// Heimdal answers a skewed or expired authenticator with a
		// KRB-ERROR token and CONTINUE_NEEDED rather than an error.
		if category, ok := errorTokenCategory(acc.output); ok {
			return negotiate.Result{}, fmt.Errorf("gss: the library answered with a Kerberos error: %w", category)
		}
		return negotiate.Result{OutputToken: acc.output}, negotiate.ErrIncomplete
	}
	acc.output = tok.reply(acc.output)
	principal, err := displayName(acc.src)
	if err != nil {
		return negotiate.Result{}, err
	}
	if !a.anonymous && (negotiate.Flags(acc.flags)&negotiate.FlagAnon != 0 || strings.HasPrefix(principal, anonymousPrefix)) {
		return negotiate.Result{}, fmt.Errorf("gss: %s: an anonymous ticket, which names nobody: %w", principal, negotiate.ErrAnonymous)
	}
	pacInfo, err := readPAC(acc.src)
	if err != nil {
		return negotiate.Result{}, err
	}
	res := negotiate.Result{
		PAC:            pacInfo,
		AuthIndicators: authIndicators(acc.src),
		Principal:      principal,
		LocalName:      a.names.lookup(principal, acc.src),
		OutputToken:    acc.output,
		Flags:          negotiate.Flags(acc.flags) & allFlags,
		Mech:           acc.mech,
	}
	if !acc.indefinite {
		// In the library's skew grace after the ticket's end, this is in
		// the past: the request is served, but nothing may outlive it.
		res.Expiry = a.now().Add(acc.lifetime - a.addedSkew)
	}
	if acc.deleg != nil {
		res.Delegated = &Credential{id: acc.deleg, kind: kind, principal: principal, service: a.s4u.name(), forwardable: true}
		res.DelegationKind = kind
	}
	return res, nil
}

// errReplay is what this package's own replay cache reports, shaped like
// the library's report of KRB5KRB_AP_ERR_REPEAT.
var errReplay = newError("replay cache", routineFailure<<16, minorCode(krbApErrRepeat), "Request is a replay")

// anonymousPrefix begins the name of every anonymous client (RFC 8062
// section 3): the realm that follows is WELLKNOWN:ANONYMOUS, or the
// client's realm for a realm-anonymous ticket.
const anonymousPrefix = "WELLKNOWN/ANONYMOUS@"

const allFlags = negotiate.FlagDelegate | negotiate.FlagMutual | negotiate.FlagReplay |
	negotiate.FlagSequence | negotiate.FlagConf | negotiate.FlagInteg | negotiate.FlagAnon

// Close releases the acceptor credentials, and destroys the cache of the
// service's own TGT that S4U needs. It waits for Accept calls in flight;
// later calls fail with negotiate.ErrServerCredentials. Credentials that
// Accept or Impersonate handed out stay valid until they are released. It
// is safe to call more than once.
func (a *Acceptor) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	releaseCred(&a.cred)
	a.config.release()
	if a.serviceCCache != "" {
		return destroyCCache(a.serviceCCache)
	}
	return nil
}

// Library names the GSS-API library the package was built against: "MIT"
// or "Heimdal".
func Library() string {
	if isHeimdal() {
		return "Heimdal"
	}
	return "MIT"
}
