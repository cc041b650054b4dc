package gss

import (
	"bytes"
	"encoding/asn1"
	"strings"

	"github.com/negotiate-go/negotiate"
)

// The few fields of a Kerberos AP-REQ (RFC 4120 section 5.5.1) that the
// acceptor reads itself: the ticket's server name and key version, for an
// exact error when a library reports a failure vaguely, and the authenticator's
// ciphertext, the key of this package's own replay cache. Everything in it
// is in the clear; nothing here decrypts or trusts it.

// apReq is an AP-REQ as far as this package reads it.
type apReq struct {
	PVNO          int            `asn1:"explicit,tag:0"`
	MsgType       int            `asn1:"explicit,tag:1"`
	APOptions     asn1.BitString `asn1:"explicit,tag:2"`
	Ticket        asn1.RawValue  `asn1:"explicit,tag:3"` // its Bytes are the [APPLICATION 1] Ticket: see serverName
	Authenticator encryptedData  `asn1:"explicit,tag:4"`
}

// ticket is RFC 4120's Ticket, [APPLICATION 1].
type ticket struct {
	TktVNO  int              `asn1:"explicit,tag:0"`
	Realm   asn1.RawValue    `asn1:"explicit,tag:1"` // GeneralString, which encoding/asn1 reads only raw
	SName   krbPrincipalName `asn1:"explicit,tag:2"`
	EncPart encryptedData    `asn1:"explicit,tag:3"`
}

type krbPrincipalName struct {
	NameType   int             `asn1:"explicit,tag:0"`
	NameString []asn1.RawValue `asn1:"explicit,tag:1"`
}

type encryptedData struct {
	EType  int    `asn1:"explicit,tag:0"`
	KVNO   int    `asn1:"optional,explicit,tag:1"`
	Cipher []byte `asn1:"explicit,tag:2"`
}

// krb5TokIDAPReq is the token ID of an AP-REQ in the Kerberos GSS framing
// (RFC 4121 section 4.1).
var krb5TokIDAPReq = [2]byte{0x01, 0x00}

// parseAPReq reads the AP-REQ inside a raw Kerberos GSS token:
// [APPLICATION 0] { krb5 OID, TOK_ID 01 00, AP-REQ }.
func parseAPReq(token []byte) (req apReq, ok bool) {
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(token, &outer); err != nil || len(rest) != 0 ||
		outer.Class != asn1.ClassApplication || outer.Tag != 0 {
		return apReq{}, false
	}
	var mech asn1.ObjectIdentifier
	body, err := asn1.Unmarshal(outer.Bytes, &mech)
	if err != nil || (!mech.Equal(oidKerberosAsn1) && !mech.Equal(oidMSKerberosAsn1)) ||
		len(body) < 2 || [2]byte(body[:2]) != krb5TokIDAPReq {
		return apReq{}, false
	}
	// AP-REQ ::= [APPLICATION 14] SEQUENCE { ... }
	if rest, err := asn1.UnmarshalWithParams(body[2:], &req, "application,explicit,tag:14"); err != nil || len(rest) != 0 {
		return apReq{}, false
	}
	return req, len(req.Authenticator.Cipher) > 0
}

// ticketKey is what a ticket says in the clear about the key it is
// encrypted in.
type ticketKey struct {
	server  string // the server principal without its realm, "HTTP/www.example.com"
	realm   string
	kvno    int // the key's version
	enctype int // the key's encryption type: 18 is aes256-cts-hmac-sha1-96
}

// ticketKey reads the ticket's server principal and the version and
// encryption type of its key; ok is false if the ticket does not parse.
func (r *apReq) ticketKey() (k ticketKey, ok bool) {
	var t ticket
	if rest, err := asn1.UnmarshalWithParams(r.Ticket.Bytes, &t, "application,explicit,tag:1"); err != nil || len(rest) != 0 {
		return ticketKey{}, false
	}
	parts := make([]string, len(t.SName.NameString))
	for i, p := range t.SName.NameString {
		parts[i] = string(p.Bytes)
	}
	// An explicitly tagged RawValue holds the tag's contents: the
	// GeneralString's own TLV, whose contents are the realm.
	var realmString asn1.RawValue
	if _, err := asn1.Unmarshal(t.Realm.Bytes, &realmString); err != nil {
		return ticketKey{}, false
	}
	k = ticketKey{strings.Join(parts, "/"), string(realmString.Bytes), t.EncPart.KVNO, t.EncPart.EType}
	return k, len(parts) > 0
}

// The Kerberos GSS framing's OID as a DER TLV: the standard one and the one
// Windows sends, which differ in one byte.
var (
	krb5OIDTLV   = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	msKrb5OIDTLV = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}
)

// swapFramingOID returns a copy of the GSS token with its framing OID from
// replaced by to, when the token is framed with from; else it returns the
// token itself and false. A Kerberos token framed with the Microsoft OID is
// a Kerberos token like any other (the OID is not covered by any checksum),
// but MIT's acceptor credential has no element for that OID.
func swapFramingOID(token, from, to []byte) ([]byte, bool) {
	// The OID follows the outer tag and length (at most 6 bytes): look
	// before parsing, so the common token costs no ASN.1 work here.
	if len(token) == 0 || token[0] != 0x60 || !bytes.Contains(token[:min(len(token), 6+len(from))], from) {
		return token, false
	}
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(token, &outer); err != nil || !bytes.HasPrefix(outer.Bytes, from) {
		return token, false
	}
	at := len(outer.FullBytes) - len(outer.Bytes)
	swapped := bytes.Clone(token)
	copy(swapped[at:], to)
	return swapped, true
}

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

// krbTokIDError is the token ID of a KRB-ERROR in the Kerberos GSS framing.
var krbTokIDError = [2]byte{0x03, 0x00}

// errorTokenCategory reads the KRB-ERROR in a Kerberos GSS output token and
// returns the category of its error code, or ok=false if the token is no
// KRB-ERROR.
func errorTokenCategory(token []byte) (category error, ok bool) {
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(token, &outer); err != nil || outer.Class != asn1.ClassApplication || outer.Tag != 0 {
		return nil, false
	}
	var mech asn1.ObjectIdentifier
	body, err := asn1.Unmarshal(outer.Bytes, &mech)
	if err != nil || len(body) < 2 || [2]byte(body[:2]) != krbTokIDError {
		return nil, false
	}
	var e krbError
	if _, err := asn1.UnmarshalWithParams(body[2:], &e, "application,explicit,tag:30"); err != nil {
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

// unreadableCategory says why a token that is not a Kerberos AP-REQ is
// refused: another mechanism (SPNEGO without an optimistic Kerberos token,
// NTLMSSP), or garbage.
func unreadableCategory(token []byte) error {
	var outer asn1.RawValue
	var mech asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(token, &outer); err == nil && len(rest) == 0 && outer.Class == asn1.ClassApplication && outer.Tag == 0 {
		if _, err := asn1.Unmarshal(outer.Bytes, &mech); err == nil && !mech.Equal(oidKerberosAsn1) && !mech.Equal(oidMSKerberosAsn1) {
			return negotiate.ErrBadMech
		}
	}
	if bytes.HasPrefix(token, []byte("NTLMSSP\x00")) {
		return negotiate.ErrBadMech
	}
	return negotiate.ErrDefectiveToken
}
