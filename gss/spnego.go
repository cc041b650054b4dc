package gss

import (
	"bytes"
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
//
// The initiator frames its tokens here too, as the same optimistic
// NegTokenInit offering Kerberos alone.

// negStateAcceptCompleted is NegTokenResp's negState accept-completed.
const negStateAcceptCompleted = 0

// parseOptimisticInit reads the inner token of the SPNEGO framing as a
// NegTokenInit (RFC 4178 section 4.2.1) and, if it is optimistic Kerberos
// (Kerberos named first, its token present, no mechListMIC), returns the
// OID the client named first and the Kerberos token:
//
//	NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, ... }
//	NegTokenInit ::= SEQUENCE {
//	        mechTypes   [0] MechTypeList,
//	        reqFlags    [1] ContextFlags OPTIONAL,
//	        mechToken   [2] OCTET STRING OPTIONAL,
//	        mechListMIC [3] OCTET STRING OPTIONAL, ... }
func parseOptimisticInit(inner []byte) (mech, mechToken []byte, ok bool) {
	_, choice, rest, ok := readElement(inner, contextTag(0))
	if !ok || len(rest) != 0 {
		return nil, nil, false
	}
	_, fields, rest, ok := readElement(choice, tagSequence)
	if !ok || len(rest) != 0 {
		return nil, nil, false
	}
	// mechTypes: a SEQUENCE OF OID, every one well formed.
	list, fields, ok := explicit(fields, 0, tagSequence)
	if !ok || len(list) == 0 {
		return nil, nil, false
	}
	for rest := list; len(rest) > 0; {
		var oid, contents []byte
		if oid, contents, rest, ok = readElement(rest, tagOID); !ok || !validOID(contents) {
			return nil, nil, false
		}
		if mech == nil {
			mech = oid
		}
	}
	if flags, after, ok := explicit(fields, 1, tagBitString); ok {
		if !validBitString(flags) {
			return nil, nil, false
		}
		fields = after
	}
	mechToken, fields, _ = explicit(fields, 2, tagOctetString)
	if _, _, hasMIC := explicit(fields, 3, tagOctetString); hasMIC || len(mechToken) == 0 || !isKerberosOID(mech) {
		return nil, nil, false
	}
	return mech, mechToken, true
}

// explicit reads the field [n] EXPLICIT of the given inner tag at the head
// of fields and returns its contents and the fields after it; ok is false
// when fields does not start with that field.
func explicit(fields []byte, n, tag byte) (contents, rest []byte, ok bool) {
	_, wrapped, rest, ok := readElement(fields, contextTag(n))
	if !ok {
		return nil, fields, false
	}
	_, contents, after, ok := readElement(wrapped, tag)
	if !ok || len(after) != 0 {
		return nil, fields, false
	}
	return contents, rest, true
}

// appendNegTokenResp appends the NegTokenResp (RFC 4178 section 4.2.2)
// that answers an optimistic NegTokenInit whose Kerberos token mech (an
// OID TLV) was accepted with reply responseToken: accept-completed, the
// mechanism, the reply, no mechListMIC, as MIT writes it.
func appendNegTokenResp(b, mech, responseToken []byte) []byte {
	negState := []byte{contextTag(0), 3, tagEnumerated, 1, negStateAcceptCompleted}
	supported := appendTLV(make([]byte, 0, tlvLen(len(mech))), contextTag(1), mech)
	octets := tlvLen(len(responseToken))
	reply := appendTLV(make([]byte, 0, tlvLen(octets)), contextTag(2), appendTLV(make([]byte, 0, octets), tagOctetString, responseToken))
	seq := tlvLen(len(negState) + len(supported) + len(reply))
	return appendTLV(b, contextTag(1), appendTLV(make([]byte, 0, seq), tagSequence, negState, supported, reply))
}

// negTokenInitFor frames a Kerberos token as an optimistic SPNEGO
// NegTokenInit that offers Kerberos alone. It also returns the DER
// MechTypeList, which a server's mechListMIC covers.
func negTokenInitFor(krbToken []byte) (token, mechTypes []byte) {
	mechTypes = appendTLV(nil, tagSequence, oidKerberos)
	init := appendTLV(nil, tagSequence,
		appendTLV(nil, contextTag(0), mechTypes),
		appendTLV(nil, contextTag(2), appendTLV(nil, tagOctetString, krbToken)))
	return appendFraming(nil, oidSPNEGO, appendTLV(nil, contextTag(0), init)), mechTypes
}

// parseAcceptCompleted reads the server's NegTokenResp to an optimistic
// NegTokenInit that offered Kerberos alone: it must say accept-completed,
// name Kerberos if it names a mechanism, and carry the Kerberos reply. mic
// is the server's mechListMIC, nil if it sent none.
//
//	NegTokenResp ::= SEQUENCE {
//	        negState      [0] ENUMERATED OPTIONAL,
//	        supportedMech [1] MechType OPTIONAL,
//	        responseToken [2] OCTET STRING OPTIONAL,
//	        mechListMIC   [3] OCTET STRING OPTIONAL, ... }
func parseAcceptCompleted(token []byte) (krbToken, mic []byte, err error) {
	_, choice, rest, ok := readElement(token, contextTag(1))
	if ok && len(rest) != 0 {
		return nil, nil, errors.New("trailing bytes after the NegTokenResp")
	}
	var fields []byte
	if ok {
		_, fields, rest, ok = readElement(choice, tagSequence)
	}
	if !ok || len(rest) != 0 {
		return nil, nil, errors.New("not a NegTokenResp")
	}
	state, fields, hasState := explicit(fields, 0, tagEnumerated)
	mech, fields, hasMech := explicit(fields, 1, tagOID)
	krbToken, fields, _ = explicit(fields, 2, tagOctetString)
	mic, _, _ = explicit(fields, 3, tagOctetString)
	switch {
	case !hasState:
		return nil, nil, errors.New("no negotiation state, want accept-completed")
	case !bytes.Equal(state, []byte{negStateAcceptCompleted}):
		return nil, nil, fmt.Errorf("negotiation state %x, want accept-completed", state)
	case hasMech && !bytes.Equal(mech, oidKerberos[2:]):
		return nil, nil, fmt.Errorf("the server chose mechanism %s, not the Kerberos we offered", oidString(mech))
	case len(krbToken) == 0:
		return nil, nil, errors.New("no Kerberos reply in the NegTokenResp")
	}
	return krbToken, mic, nil
}
