package gss

import (
	"encoding/asn1"

	"github.com/negotiate-go/negotiate"
)

// krbError is the part of a KRB-ERROR (RFC 4120 section 5.9.1) that says
// why: some libraries answer a bad authenticator with one as an output token
// and CONTINUE_NEEDED instead of an error status.
type krbError struct {
	PVNO      int           `asn1:"explicit,tag:0"`
	MsgType   int           `asn1:"explicit,tag:1"`
	CTime     asn1.RawValue `asn1:"optional,explicit,tag:2"`
	CUSec     int           `asn1:"optional,explicit,tag:3"`
	STime     asn1.RawValue `asn1:"explicit,tag:4"`
	SUSec     int           `asn1:"explicit,tag:5"`
	ErrorCode int           `asn1:"explicit,tag:6"`
	// crealm, cname, realm, sname, e-text and e-data follow; unread.
}

// errorTokenCategory reads the KRB-ERROR in a Kerberos GSS output token and
// returns the category of its error code, or ok=false if the token is no
// KRB-ERROR.
func errorTokenCategory(token []byte) (category error, ok bool) {
	msg, ok := kerberosMessage(token, krbTokIDError)
	if !ok {
		return nil, false
	}
	var e krbError
	if _, err := asn1.UnmarshalWithParams(msg, &e, "application,explicit,tag:30"); err != nil {
		return nil, false
	}
	// RFC 4120 section 7.5.9.
	switch e.ErrorCode {
	case 32, 33: // KRB_AP_ERR_TKT_EXPIRED, KRB_AP_ERR_TKT_NYV
		return negotiate.ErrTicketExpired, true
	case 34: // KRB_AP_ERR_REPEAT
		return negotiate.ErrReplay, true
	case 37: // KRB_AP_ERR_SKEW
		return negotiate.ErrClockSkew, true
	}
	return negotiate.ErrDefectiveToken, true
}
