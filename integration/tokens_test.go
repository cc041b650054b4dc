package integration

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"strings"
	"testing"
)

// Tokens other than the plain ones gss.Initiator makes: hand-made ones, and
// real ones reshaped as other clients, or attackers, shape them.

// noMechToken is a SPNEGO NegTokenInit that offers Kerberos but carries no
// Kerberos token: accepting it needs another round trip.
const noMechToken = "YBsGBisGAQUFAqARMA+gDTALBgkqhkiG9xIBAgI="

// ntlmNegotiate is the start of an NTLMSSP NEGOTIATE_MESSAGE, what a client
// without a Kerberos ticket sends under Negotiate.
var ntlmNegotiate = []byte("NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\xa2\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// The DER encodings of the Kerberos OID and of the one Windows names first
// (1.2.840.48018.1.2.2). They differ in one byte.
var (
	krb5OID   = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	msKrb5OID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}
)

// windowsStyle sends a fresh SPNEGO token from u whose mechanism list names
// the Microsoft Kerberos OID, as Windows clients do.
func windowsStyle(u user) authFunc {
	return func(t *testing.T) string {
		return negotiateValue(withWindowsOID(t, mint(t, u, target, 0, false)))
	}
}

// withWindowsOID returns a copy of a SPNEGO token whose mechanism list
// names the Microsoft Kerberos OID in place of the standard one. The first
// Kerberos OID in the token is the mechanism list's; the Kerberos token
// after it keeps its own.
func withWindowsOID(t *testing.T, tok []byte) []byte {
	t.Helper()
	i := bytes.Index(tok, krb5OID)
	if i < 0 {
		t.Fatalf("no Kerberos OID in the SPNEGO token %x", tok)
	}
	tok = bytes.Clone(tok)
	copy(tok[i:], msKrb5OID)
	return tok
}

// kerberosInside returns the Kerberos token that a SPNEGO NegTokenInit
// carries (RFC 4178 section 4.2.1).
func kerberosInside(t *testing.T, tok []byte) []byte {
	t.Helper()
	var outer asn1.RawValue // [APPLICATION 0] { thisMech, NegotiationToken }
	var spnego asn1.ObjectIdentifier
	var init struct {
		MechTypes []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
		ReqFlags  asn1.BitString          `asn1:"explicit,optional,tag:1"`
		MechToken []byte                  `asn1:"explicit,optional,tag:2"`
	}
	if _, err := asn1.Unmarshal(tok, &outer); err != nil {
		t.Fatalf("not a GSS-API token: %v", err)
	}
	rest, err := asn1.Unmarshal(outer.Bytes, &spnego)
	if err == nil {
		_, err = asn1.UnmarshalWithParams(rest, &init, "explicit,tag:0")
	}
	if err != nil || len(init.MechToken) == 0 {
		t.Fatalf("not a SPNEGO NegTokenInit with a mechanism token (%v): %x", err, tok)
	}
	return init.MechToken
}

// A replayFunc makes the second request of a replay from the first one's
// Authorization value.
type replayFunc func(t *testing.T, first string) string

// again replays the same Authorization value.
func again(_ *testing.T, first string) string { return first }

// unwrapped replays the Kerberos token of a SPNEGO token, raw.
func unwrapped(t *testing.T, first string) string {
	return negotiateValue(kerberosInside(t, decodeValue(t, first)))
}

// rewrapped replays a SPNEGO token renamed to the Windows Kerberos OID.
func rewrapped(t *testing.T, first string) string {
	return negotiateValue(withWindowsOID(t, decodeValue(t, first)))
}

// decodeValue returns the token of a "Negotiate <base64>" value.
func decodeValue(t *testing.T, v string) []byte {
	t.Helper()
	tok, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, "Negotiate "))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// unknownMech sends a fresh SPNEGO token from u whose mechanism list names
// an unknown mechanism instead of Kerberos. It goes to the library's SPNEGO
// mechanism, which finds nothing to agree on.
func unknownMech(u user) authFunc {
	return func(t *testing.T) string {
		tok := mint(t, u, target, 0, false)
		i := bytes.Index(tok, krb5OID)
		if i < 0 {
			t.Fatalf("no Kerberos OID in the SPNEGO token %x", tok)
		}
		tok[i+6]-- // 1.2.840.113554.1.2.2 becomes 1.2.840.113426.1.2.2
		return negotiateValue(tok)
	}
}

// apReqParts is as much of an AP-REQ (RFC 4120 section 5.5.1) as the
// bit-flip rows need to find their target.
type apReqParts struct {
	PVNO          int            `asn1:"explicit,tag:0"`
	MsgType       int            `asn1:"explicit,tag:1"`
	APOptions     asn1.BitString `asn1:"explicit,tag:2"`
	Ticket        asn1.RawValue  `asn1:"explicit,tag:3"`
	Authenticator encPart        `asn1:"explicit,tag:4"`
}

type encPart struct {
	EType  int    `asn1:"explicit,tag:0"`
	KVNO   int    `asn1:"optional,explicit,tag:1"`
	Cipher []byte `asn1:"explicit,tag:2"`
}

type ticketParts struct {
	TktVNO  int           `asn1:"explicit,tag:0"`
	Realm   asn1.RawValue `asn1:"explicit,tag:1"`
	SName   asn1.RawValue `asn1:"explicit,tag:2"`
	EncPart encPart       `asn1:"explicit,tag:3"`
}

// apReqOf parses the AP-REQ inside a SPNEGO token, and its ticket.
func apReqOf(t *testing.T, tok []byte) (apReqParts, ticketParts) {
	t.Helper()
	krb := kerberosInside(t, tok)
	var outer asn1.RawValue
	var mech asn1.ObjectIdentifier
	var req apReqParts
	var tkt ticketParts
	_, err := asn1.Unmarshal(krb, &outer)
	var body []byte
	if err == nil {
		body, err = asn1.Unmarshal(outer.Bytes, &mech)
	}
	if err == nil && len(body) > 2 {
		_, err = asn1.UnmarshalWithParams(body[2:], &req, "application,explicit,tag:14")
	}
	if err == nil {
		_, err = asn1.UnmarshalWithParams(req.Ticket.Bytes, &tkt, "application,explicit,tag:1")
	}
	if err != nil {
		t.Fatalf("not an AP-REQ: %v", err)
	}
	return req, tkt
}

// ciphers returns the ticket's and the authenticator's ciphertexts in a
// SPNEGO token.
func ciphers(t *testing.T, tok []byte) (ticket, authenticator []byte) {
	t.Helper()
	req, tkt := apReqOf(t, tok)
	return tkt.EncPart.Cipher, req.Authenticator.Cipher
}

// flipIn flips one bit in the middle of part, which tok contains.
func flipIn(t *testing.T, tok, part []byte) []byte {
	t.Helper()
	i := bytes.Index(tok, part)
	if i < 0 || len(part) == 0 {
		t.Fatal("part not found in the token")
	}
	tok = bytes.Clone(tok)
	tok[i+len(part)/2] ^= 0x10
	return tok
}

// spnegoInit frames mechToken as a SPNEGO NegTokenInit offering mechs.
func spnegoInit(t *testing.T, mechs []asn1.ObjectIdentifier, mechToken []byte) []byte {
	t.Helper()
	type negTokenInit struct {
		MechTypes []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
		MechToken []byte                  `asn1:"explicit,optional,tag:2"`
	}
	inner, err := asn1.MarshalWithParams(negTokenInit{mechs, mechToken}, "explicit,tag:0")
	if err != nil {
		t.Fatal(err)
	}
	oid, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2})
	tok, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: append(oid, inner...)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var oidNTLMSSP = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}

// ticketKVNO returns the version of the key a SPNEGO token's ticket is
// encrypted in.
func ticketKVNO(t *testing.T, tok []byte) int {
	t.Helper()
	_, tkt := apReqOf(t, tok)
	return tkt.EncPart.KVNO
}
