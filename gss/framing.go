package gss

// The GSS-API token framing (RFC 2743 section 3.1), around every
// initiator token and the acceptor's Kerberos replies:
//
//	InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
//	        thisMech          MechType,
//	        innerContextToken ANY DEFINED BY thisMech }
//
// It is read here and nowhere else, with one strictness: the token is one
// whole DER element, nothing after it.

// parseFraming reads token as an InitialContextToken and returns its
// mechanism, as an OID TLV, and the inner token.
func parseFraming(token []byte) (mech, inner []byte, ok bool) {
	_, body, rest, ok := readElement(token, tagGSSToken)
	if !ok || len(rest) != 0 {
		return nil, nil, false
	}
	mech, oid, inner, ok := readElement(body, tagOID)
	if !ok || !validOID(oid) {
		return nil, nil, false
	}
	return mech, inner, true
}

// appendFraming appends inner framed as an InitialContextToken of mech, an
// OID TLV.
func appendFraming(b, mech, inner []byte) []byte { return appendTLV(b, tagGSSToken, mech, inner) }

// Kerberos token IDs (RFC 4121 section 4.1), the two bytes that follow the
// Kerberos OID in the framing.
var (
	krbTokIDAPReq = [2]byte{0x01, 0x00}
	krbTokIDError = [2]byte{0x03, 0x00}
)

// kerberosMessage returns the Kerberos message of a framed Kerberos token
// whose token ID is id, or ok=false for any other token.
func kerberosMessage(token []byte, id [2]byte) ([]byte, bool) {
	mech, inner, ok := parseFraming(token)
	if !ok || !isKerberosOID(mech) || len(inner) < 2 || [2]byte(inner[:2]) != id {
		return nil, false
	}
	return inner[2:], true
}
