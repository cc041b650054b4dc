//go:build cgo

package gss

import (
	"fmt"

	"github.com/negotiate-go/negotiate"
)

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
	// MIT says NOKEY when the keytab holds the principal but no key of the
	// ticket's enctype at all (an RC4-only keytab, an AES ticket), and
	// when the keytab went away: the probe tells them apart.
	keyNotFound := minor == krbKtNotFound || minor == krbApErrBadKeyVer || minor == krbKtKvnoNotFound || minor == krbApErrNoKey
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
