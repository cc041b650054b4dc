package gss

import (
	"bytes"

	"github.com/negotiate-go/negotiate"
)

// initiatorToken is the one view of a client's token that Accept builds:
// the token is parsed once, here, and whatever needs a part of it (the
// library call, the replay cache, the error explanation, the reply) reads
// that part from the view.
type initiatorToken struct {
	// spnegoMech is the Kerberos OID (TLV) the client named first in an
	// optimistic SPNEGO NegTokenInit, or nil when the token is not one.
	spnegoMech []byte
	// mech is the framing OID (TLV) of the Kerberos token, or of the
	// token itself when it is neither optimistic SPNEGO nor Kerberos; nil
	// when it is not framed at all.
	mech []byte
	// microsoftOID is set when the Kerberos token is framed with Windows'
	// alias OID, which the library's credential does not cover.
	microsoftOID bool
	// library is what goes to gss_accept_sec_context: the Kerberos token,
	// framed with the standard OID, or the token as the client sent it.
	library []byte
	// kerberos is the framing's inner token when mech is Kerberos: the
	// token ID and the AP-REQ.
	kerberos []byte
}

// parseInitiatorToken builds the view of token.
func parseInitiatorToken(token []byte) initiatorToken {
	t := initiatorToken{library: token}
	mech, inner, ok := parseFraming(token)
	if ok && bytes.Equal(mech, oidSPNEGO) {
		first, krb, optimistic := parseOptimisticInit(inner)
		if !optimistic {
			t.mech = mech // another SPNEGO token: the library's SPNEGO takes it
			return t
		}
		t.spnegoMech, t.library = first, krb
		mech, inner, ok = parseFraming(krb)
	}
	if !ok {
		return t
	}
	t.mech = mech
	if isKerberosOID(mech) {
		t.kerberos = inner
	}
	if bytes.Equal(mech, oidMSKerberos) {
		// The OID is covered by no checksum: a Kerberos token under
		// Windows' alias is a Kerberos token like any other.
		t.microsoftOID = true
		t.library = appendFraming(nil, oidKerberos, inner)
	}
	return t
}

// unreadableCategory says why a token without a readable AP-REQ is
// refused: another mechanism (SPNEGO without an optimistic Kerberos token,
// NTLMSSP), or garbage.
func (t *initiatorToken) unreadableCategory() error {
	if t.mech != nil && !isKerberosOID(t.mech) || t.mech == nil && bytes.HasPrefix(t.library, []byte("NTLMSSP\x00")) {
		return negotiate.ErrBadMech
	}
	return negotiate.ErrDefectiveToken
}

// reply frames the library's output token as the client's token was
// framed: under Windows' OID if the client used it, inside a NegTokenResp
// if the client sent optimistic SPNEGO.
func (t *initiatorToken) reply(output []byte) []byte {
	if t.microsoftOID {
		if mech, inner, ok := parseFraming(output); ok && bytes.Equal(mech, oidKerberos) {
			output = appendFraming(nil, oidMSKerberos, inner)
		}
	}
	if t.spnegoMech != nil {
		output = appendNegTokenResp(nil, t.spnegoMech, output)
	}
	return output
}
