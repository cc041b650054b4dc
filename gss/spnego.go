package gss

import (
	"encoding/asn1"
)

// SPNEGO framing (RFC 4178) for the one case that carries almost every HTTP
// request: an optimistic NegTokenInit whose first mechanism is Kerberos and
// which carries the Kerberos token. The acceptor unwraps it, accepts the
// Kerberos token with the Kerberos mechanism directly, and wraps the reply
// in a NegTokenResp exactly as MIT's SPNEGO acceptor does (negState
// accept-completed, supportedMech, responseToken, no mechListMIC).
//
// Why not hand the whole token to the library's SPNEGO mechanism? MIT's
// mechanism glue renumbers minor status codes per (mechanism, code) pair:
// a Kerberos error that passes up through SPNEGO comes back as an arbitrary
// number (100005 for a replay, measured here), so a replay could not be told
// from garbage by its code. Every other shape of token (no mechanism token,
// another first mechanism, a mechListMIC) still goes to the library's SPNEGO
// mechanism unchanged.

// oidSPNEGOAsn1 and the Kerberos OIDs a client may name first: the standard
// one, and the one Windows has always sent first (RFC 4121 section 1.1 notes
// it).
var (
	oidSPNEGOAsn1     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	oidKerberosAsn1   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	oidMSKerberosAsn1 = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
)

// negTokenInit is RFC 4178 section 4.2.1's NegTokenInit.
type negTokenInit struct {
	MechTypes   []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
	ReqFlags    asn1.BitString          `asn1:"explicit,optional,tag:1"`
	MechToken   []byte                  `asn1:"explicit,optional,tag:2"`
	MechListMIC []byte                  `asn1:"explicit,optional,tag:3"`
}

// negTokenResp is RFC 4178 section 4.2.2's NegTokenResp as an acceptor
// sends it when the optimistic token completes the context.
type negTokenResp struct {
	NegState      asn1.Enumerated       `asn1:"explicit,tag:0"`
	SupportedMech asn1.ObjectIdentifier `asn1:"explicit,tag:1"`
	ResponseToken []byte                `asn1:"explicit,optional,tag:2"`
}

const negStateAcceptCompleted asn1.Enumerated = 0

// optimisticKerberos returns the Kerberos token inside an optimistic SPNEGO
// NegTokenInit and the mechanism OID the client named first, or ok=false for
// any other token, which the caller passes to the library unchanged.
func optimisticKerberos(token []byte) (mech asn1.ObjectIdentifier, inner []byte, ok bool) {
	// InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
	//     thisMech MechType, innerContextToken ANY }  (RFC 2743 section 3.1)
	if len(token) == 0 || token[0] != 0x60 {
		return nil, nil, false
	}
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(token, &outer); err != nil || len(rest) != 0 ||
		outer.Class != asn1.ClassApplication || outer.Tag != 0 || !outer.IsCompound {
		return nil, nil, false
	}
	var this asn1.ObjectIdentifier
	body, err := asn1.Unmarshal(outer.Bytes, &this)
	if err != nil || !this.Equal(oidSPNEGOAsn1) {
		return nil, nil, false
	}
	// NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, ... }
	var init negTokenInit
	if rest, err := asn1.UnmarshalWithParams(body, &init, "explicit,tag:0"); err != nil || len(rest) != 0 {
		return nil, nil, false
	}
	if len(init.MechTypes) == 0 || len(init.MechToken) == 0 || len(init.MechListMIC) != 0 {
		return nil, nil, false
	}
	switch first := init.MechTypes[0]; {
	case first.Equal(oidKerberosAsn1):
		return oidKerberosAsn1, init.MechToken, true
	case first.Equal(oidMSKerberosAsn1):
		return oidMSKerberosAsn1, init.MechToken, true
	}
	return nil, nil, false
}

// acceptCompleted builds the NegTokenResp that answers an optimistic
// NegTokenInit whose Kerberos token was accepted.
func acceptCompleted(mech asn1.ObjectIdentifier, responseToken []byte) ([]byte, error) {
	return asn1.MarshalWithParams(negTokenResp{
		NegState:      negStateAcceptCompleted,
		SupportedMech: mech,
		ResponseToken: responseToken,
	}, "explicit,tag:1")
}
