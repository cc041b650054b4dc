package gss

import (
	"encoding/asn1"
	"strings"
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

// apReq parses the AP-REQ of a Kerberos token; ok is false for any other
// token.
func (t *initiatorToken) apReq() (apReq, bool) {
	if len(t.kerberos) < 2 || [2]byte(t.kerberos[:2]) != krbTokIDAPReq {
		return apReq{}, false
	}
	return parseAPReq(t.kerberos[2:])
}

// parseAPReq reads an AP-REQ, the Kerberos message of a Kerberos token
// whose token ID is krbTokIDAPReq.
func parseAPReq(msg []byte) (req apReq, ok bool) {
	// AP-REQ ::= [APPLICATION 14] SEQUENCE { ... }
	if rest, err := asn1.UnmarshalWithParams(msg, &req, "application,explicit,tag:14"); err != nil || len(rest) != 0 {
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
