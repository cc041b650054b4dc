package gss

import (
	"cmp"
	"errors"
	"fmt"
	"os"
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
	addedSkew      time.Duration // what the library adds to the lifetime it reports: MIT its clock skew, Heimdal nothing
	replays        *replayCache  // nil when the library keeps its own, or replay detection is off
	now            func() time.Time

	mu     sync.RWMutex // held for reading by Accept, for writing by Close
	cred   credID
	config configHold // krb5.conf kept parsed while the acceptor lives
	closed bool
}

type config struct {
	keytab    string
	service   string
	hostname  string
	principal string
	rcache    string
	anonymous bool
}

// Option configures NewAcceptor.
type Option func(*config) error

// WithKeytab reads the service keys from the keytab at path, through the
// credential-store extension (gss_acquire_cred_from). The process
// environment (KRB5_KTNAME) is neither read nor changed. Default: the
// library's default keytab.
func WithKeytab(path string) Option {
	return func(c *config) error {
		if path == "" {
			return errors.New("gss: empty keytab path")
		}
		c.keytab = path
		return nil
	}
}

// WithService sets the service part of the acceptor name. Default "HTTP".
func WithService(service string) Option {
	return func(c *config) error {
		if service == "" || strings.ContainsAny(service, "@/") {
			return fmt.Errorf("gss: invalid service name %q", service)
		}
		c.service = service
		return nil
	}
}

// WithHostname sets the host part of the acceptor name, so that the acceptor
// uses the key of service/hostname@REALM. The special value "*" accepts a
// ticket for any principal the keytab holds (GSS_C_NO_NAME). Default: the
// machine's hostname (os.Hostname).
func WithHostname(hostname string) Option {
	return func(c *config) error {
		if hostname == "" || strings.ContainsAny(hostname, "@/") {
			return fmt.Errorf("gss: invalid hostname %q", hostname)
		}
		c.hostname = hostname
		return nil
	}
}

// WithPrincipal names the acceptor's principal exactly, "HTTP/host@REALM",
// overriding WithService and WithHostname. Default: none.
func WithPrincipal(principal string) Option {
	return func(c *config) error {
		if principal == "" {
			return errors.New("gss: empty principal")
		}
		c.principal = principal
		return nil
	}
}

// WithReplayCache names the replay cache, in the library's syntax: "dfl:"
// (MIT's default file cache), "file2:/path", or "none:" to turn replay
// detection off. Default: the library default (KRB5RCACHENAME or "dfl:").
func WithReplayCache(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("gss: empty replay cache name")
		}
		c.rcache = name
		return nil
	}
}

// WithAnonymous accepts anonymous tickets (RFC 8062, anonymous PKINIT),
// whose client is "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS" or
// "WELLKNOWN/ANONYMOUS@REALM" (negotiate.FlagAnon is in Result.Flags only
// when the client asked for anonymity).
// Such a ticket proves only that a KDC issued it: anyone can get one where
// the KDC offers anonymous PKINIT. Use it only where any client may in.
//
// Default: an anonymous ticket is refused with negotiate.ErrAnonymous, so
// that turning on anonymous PKINIT on the KDC opens no route.
func WithAnonymous() Option {
	return func(c *config) error {
		c.anonymous = true
		return nil
	}
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
	if c.hostname == "" && c.principal == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("gss: hostname for the service principal: %w", err)
		}
		c.hostname = h
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
	cred, err := acquireAcceptor(name, hostbased, c.keytab, rcache)
	if err != nil {
		return nil, fmt.Errorf("gss: acceptor credentials for %s: %w", desc, err)
	}
	a.cred = cred
	a.config = holdConfig()
	return a, nil
}

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
	acc, err := acceptToken(a.cred, tok.library)
	if err != nil {
		if ge, ok := errors.AsType[*Error](err); ok {
			if category, detail := a.explain(ge, &tok); category != nil {
				err = ge.explained(category, detail)
			}
		}
		return negotiate.Result{}, err
	}
	defer releaseName(&acc.src)
	// RFC 2744: the delegated credential is valid only with the
	// delegation flag; a handle the flag does not vouch for is dropped.
	if negotiate.Flags(acc.flags)&negotiate.FlagDelegate == 0 {
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
	res := negotiate.Result{
		Principal:   principal,
		LocalName:   a.names.lookup(principal, acc.src),
		OutputToken: acc.output,
		Flags:       negotiate.Flags(acc.flags) & allFlags,
		Mech:        acc.mech,
	}
	if !acc.indefinite {
		// In the library's skew grace after the ticket's end, this is in
		// the past: the request is served, but nothing may outlive it.
		res.Expiry = a.now().Add(acc.lifetime - a.addedSkew)
	}
	if acc.deleg != nil {
		res.Delegated = &Credential{id: acc.deleg}
	}
	return res, nil
}

// errReplay is what this package's own replay cache reports, shaped like
// the library's report of KRB5KRB_AP_ERR_REPEAT.
var errReplay = newError("replay cache", routineFailure<<16, minorCode(krbApErrRepeat), "Request is a replay")

// explain names the cause of a failed accept that the library reported
// vaguely, from what the ticket says in the clear: a category and a detail
// for the log, or a nil category where the library's report stands.
// Heimdal, bound to one key, reports a ticket for another service as a
// failed decryption, and a missing keytab, a keytab without the service's
// key and a stale key version all as "key table entry not found". Both
// libraries report a ticket whose enctype the keytab lacks for its key
// version as a key-version problem, which it is not: the keytab was
// exported without that enctype, or the token was altered (the enctype is
// in the clear).
func (a *Acceptor) explain(ge *Error, tok *initiatorToken) (category error, detail string) {
	if ge.RoutineError() == routineNoCred && ge.Minor == 0 {
		// The credential is held, so the token named a mechanism it does
		// not cover (an unregistered Kerberos alias OID, say).
		return negotiate.ErrBadMech, "no credential for the token's mechanism"
	}
	minor := int32(ge.Minor)
	keyNotFound := minor == krbKtNotFound || minor == krbApErrBadKeyVer || minor == krbKtKvnoNotFound
	if a.bound == "" || (minor != krbApErrBadIntegrity && !keyNotFound) {
		return nil, ""
	}
	req, ok := tok.apReq()
	if !ok {
		return nil, ""
	}
	k, ok := req.ticketKey()
	if !ok {
		return nil, ""
	}
	switch {
	case k.server != a.bound || k.realm != a.realm:
		return negotiate.ErrWrongService, fmt.Sprintf("the ticket is for %s@%s, not %s@%s", k.server, k.realm, a.bound, a.realm)
	case !keyNotFound:
		return nil, ""
	}
	switch keytabHolds(a.keytab, a.boundPrincipal, k.kvno, k.enctype) {
	case keyOfTheTicket:
		return nil, ""
	case otherEnctypesOnly:
		return negotiate.ErrKeytabEnctype, fmt.Sprintf("the keytab holds key version %d of %s, but not of the ticket's enctype %d", k.kvno, a.bound, k.enctype)
	case otherVersionsOnly:
		return negotiate.ErrStaleKeytab, fmt.Sprintf("the keytab lacks key version %d of %s", k.kvno, a.bound)
	}
	return negotiate.ErrServerCredentials, fmt.Sprintf("the keytab holds no key of %s any more", a.bound)
}

// anonymousPrefix begins the name of every anonymous client (RFC 8062
// section 3): the realm that follows is WELLKNOWN:ANONYMOUS, or the
// client's realm for a realm-anonymous ticket.
const anonymousPrefix = "WELLKNOWN/ANONYMOUS@"

const allFlags = negotiate.FlagDelegate | negotiate.FlagMutual | negotiate.FlagReplay |
	negotiate.FlagSequence | negotiate.FlagConf | negotiate.FlagInteg | negotiate.FlagAnon

// Close releases the acceptor credentials. It waits for Accept calls in
// flight; later calls fail with negotiate.ErrServerCredentials. It is safe
// to call more than once.
func (a *Acceptor) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed {
		a.closed = true
		releaseCred(&a.cred)
		a.config.release()
	}
	return nil
}

// localNames caches gss_localname per principal: the call builds a krb5
// context and re-reads krb5.conf each time (about 150 µs measured), as much
// as the accept itself. The mapping depends only on the principal and the
// configuration, which a running process does not re-read anyway.
type localNames struct {
	mu sync.RWMutex
	m  map[string]string
}

// maxLocalNames bounds the cache; past it the cache starts again, so a
// realm with many users costs memory in proportion to the active ones.
const maxLocalNames = 4096

func (l *localNames) lookup(principal string, name nameID) string {
	l.mu.RLock()
	local, ok := l.m[principal]
	l.mu.RUnlock()
	if ok {
		return local
	}
	local, _ = localName(name)
	l.mu.Lock()
	if l.m == nil || len(l.m) >= maxLocalNames {
		l.m = make(map[string]string)
	}
	l.m[principal] = local
	l.mu.Unlock()
	return local
}

// Library names the GSS-API library the package was built against: "MIT"
// or "Heimdal".
func Library() string {
	if isHeimdal() {
		return "Heimdal"
	}
	return "MIT"
}
