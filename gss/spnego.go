package gss

import (
	"encoding/asn1"
	"errors"
	"fmt"
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

// negTokenRespIn is a NegTokenResp as a client receives it: every field is
// optional, and an absent negState reads as -1.
type negTokenRespIn struct {
	NegState      asn1.Enumerated       `asn1:"explicit,optional,default:-1,tag:0"`
	SupportedMech asn1.ObjectIdentifier `asn1:"explicit,optional,tag:1"`
	ResponseToken []byte                `asn1:"explicit,optional,tag:2"`
	MechListMIC   []byte                `asn1:"explicit,optional,tag:3"`
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

// negTokenInitFor frames a Kerberos token as an optimistic SPNEGO
// NegTokenInit that offers Kerberos alone. It also returns the DER
// MechTypeList, which a server's mechListMIC covers.
func negTokenInitFor(krbToken []byte) (token, mechTypes []byte, err error) {
	init := negTokenInit{MechTypes: []asn1.ObjectIdentifier{oidKerberosAsn1}, MechToken: krbToken}
	if mechTypes, err = asn1.Marshal(init.MechTypes); err != nil {
		return nil, nil, err
	}
	token, err = marshalNegTokenInit(init)
	return token, mechTypes, err
}

// marshalNegTokenInit frames init as an InitialContextToken (RFC 2743
// section 3.1) of the SPNEGO mechanism.
func marshalNegTokenInit(init negTokenInit) ([]byte, error) {
	inner, err := asn1.MarshalWithParams(init, "explicit,tag:0")
	if err != nil {
		return nil, err
	}
	oid, err := asn1.Marshal(oidSPNEGOAsn1)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{
		Class: asn1.ClassApplication, Tag: 0, IsCompound: true,
		Bytes: append(oid, inner...),
	})
}

// parseAcceptCompleted reads the server's NegTokenResp to an optimistic
// NegTokenInit that offered Kerberos alone: it must say accept-completed,
// name Kerberos, and carry the Kerberos reply. mic is the server's
// mechListMIC, nil if it sent none.
func parseAcceptCompleted(token []byte) (krbToken, mic []byte, err error) {
	var resp negTokenRespIn
	rest, err := asn1.UnmarshalWithParams(token, &resp, "explicit,tag:1")
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("not a NegTokenResp: %w", err)
	case len(rest) != 0:
		return nil, nil, errors.New("trailing bytes after the NegTokenResp")
	case resp.NegState != negStateAcceptCompleted:
		return nil, nil, fmt.Errorf("negotiation state %d, want accept-completed", resp.NegState)
	case resp.SupportedMech != nil && !resp.SupportedMech.Equal(oidKerberosAsn1):
		return nil, nil, fmt.Errorf("the server chose mechanism %v, not the Kerberos we offered", resp.SupportedMech)
	case len(resp.ResponseToken) == 0:
		return nil, nil, errors.New("no Kerberos reply in the NegTokenResp")
	}
	return resp.ResponseToken, resp.MechListMIC, nil
}
