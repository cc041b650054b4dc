package gss

import (
	"fmt"

	"github.com/negotiate-go/negotiate"
)

// Error is a failed GSS-API call: the operation, the status codes the library
// returned, and the library's own text for them. It unwraps to one of the
// category sentinels of package negotiate (negotiate.ErrReplay,
// negotiate.ErrDefectiveToken, ...), or, for a refused S4U request, to
// [ErrDelegationRefused], so callers decide with errors.Is and never by
// message text.
//
// The text comes from gss_display_status and may name principals and files:
// log it, but never send it to a client.
type Error struct {
	Op      string // the GSS-API function, "gss_accept_sec_context"
	Major   uint32 // the major status: calling error, routine error, supplementary bits
	Minor   uint32 // the mechanism's minor status: a krb5 error code or an errno
	Message string // gss_display_status text of both codes

	category error
}

func newError(op string, major, minor uint32, msg string) *Error {
	return &Error{Op: op, Major: major, Minor: minor, Message: msg, category: classify(major, minor)}
}

// explained returns e with the category and the detail that the ticket's
// clear text gave where the library's report was vague (Acceptor.explain).
func (e *Error) explained(category error, detail string) *Error {
	return &Error{Op: e.Op, Major: e.Major, Minor: e.Minor, Message: e.Message + " (" + detail + ")", category: category}
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (major 0x%08x, minor %d)", e.Op, e.Message, e.Major, int32(e.Minor))
}

// Unwrap returns the category sentinel from package negotiate.
func (e *Error) Unwrap() error { return e.category }

// RoutineError is the routine part of the major status (GSS_S_FAILURE,
// GSS_S_DEFECTIVE_TOKEN, ...), shifted down: RFC 2744 section 3.9.1.
func (e *Error) RoutineError() uint32 { return e.Major >> 16 & 0xff }

// CallingError is the calling part of the major status, shifted down.
// It is non-zero only for a programming error in the call.
func (e *Error) CallingError() uint32 { return e.Major >> 24 }

// Supplementary is the supplementary-information part of the major status.
func (e *Error) Supplementary() uint32 { return e.Major & 0xffff }

// The GSS-API routine errors classify looks at (RFC 2744 section 3.9.1),
// shifted down.
const (
	routineBadMech            = 1
	routineBadName            = 2
	routineBadNameType        = 3
	routineBadStatus          = 5
	routineNoCred             = 7
	routineNoContext          = 8
	routineCredentialsExpired = 11
	routineContextExpired     = 12
	routineFailure            = 13
)

// Kerberos error codes that arrive as the minor status: the values of the
// krb5 error table (base -1765328384) that MIT and Heimdal share; errno
// values (EACCES, ENOENT) arrive unchanged.
const (
	krbApErrBadIntegrity = -1765328353 // KRB5KRB_AP_ERR_BAD_INTEGRITY: decryption failed
	krbApErrTktExpired   = -1765328352 // KRB5KRB_AP_ERR_TKT_EXPIRED
	krbApErrTktNYV       = -1765328351 // KRB5KRB_AP_ERR_TKT_NYV: ticket not yet valid
	krbApErrRepeat       = -1765328350 // KRB5KRB_AP_ERR_REPEAT
	krbApErrNotUs        = -1765328349 // KRB5KRB_AP_ERR_NOT_US
	krbApErrSkew         = -1765328347 // KRB5KRB_AP_ERR_SKEW
	krbApErrBadKeyVer    = -1765328340 // KRB5KRB_AP_ERR_BADKEYVER
	krbApErrNoKey        = -1765328339 // KRB5KRB_AP_ERR_NOKEY
	krbApWrongPrinc      = -1765328240 // KRB5KRB_AP_WRONG_PRINC
	krbKtNotFound        = -1765328203 // KRB5_KT_NOTFOUND
	krbKtEnd             = -1765328202 // KRB5_KT_END: Heimdal's "no such key" for an unbound acceptor
	krbKtKvnoNotFound    = -1765328154 // KRB5_KT_KVNONOTFOUND
	krbKDCClientUnknown  = -1765328378 // KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN: "Client not found in Kerberos database"
	krbKDCServerUnknown  = -1765328377 // KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN
	krbKDCPolicy         = -1765328372 // KRB5KDC_ERR_POLICY
	krbKDCBadOption      = -1765328371 // KRB5KDC_ERR_BADOPTION: how a KDC refuses S4U2Proxy
	errnoENOENT          = 2
	errnoEACCES          = 13
	errnoEPERM           = 1
)

// minorCode is a krb5 error code as a minor status.
func minorCode(code int32) uint32 { return uint32(code) }

// classify maps a failed status to a category of package negotiate: the
// minor code first (it is the precise Kerberos reason), then the routine
// error. Anything unrecognised about a token counts as a defective token, so
// an unknown failure is refused, never let through and never a 500.
func classify(major, minor uint32) error {
	if major>>24 != 0 {
		return negotiate.ErrInternal
	}
	switch int32(minor) {
	case krbApErrRepeat:
		return negotiate.ErrReplay
	case krbApErrSkew:
		return negotiate.ErrClockSkew
	case krbApErrTktExpired, krbApErrTktNYV:
		return negotiate.ErrTicketExpired
	case krbKtNotFound, krbKtEnd, krbApErrNotUs, krbApWrongPrinc:
		return negotiate.ErrWrongService
	case krbKtKvnoNotFound, krbApErrBadKeyVer:
		return negotiate.ErrStaleKeytab
	case errnoENOENT, errnoEACCES, errnoEPERM, krbApErrNoKey:
		// MIT reports a keytab that vanished or became unreadable as
		// NOKEY when the acceptor is bound to one principal; the start-up
		// check proved the key was there, so the server lost it.
		return negotiate.ErrServerCredentials
	}
	switch major >> 16 & 0xff {
	case routineBadMech:
		return negotiate.ErrBadMech
	case routineCredentialsExpired, routineContextExpired:
		return negotiate.ErrTicketExpired
	case routineNoCred:
		return negotiate.ErrServerCredentials
	case routineBadName, routineBadNameType, routineBadStatus, routineNoContext:
		return negotiate.ErrInternal
	}
	return negotiate.ErrDefectiveToken
}
