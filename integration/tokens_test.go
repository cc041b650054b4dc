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
