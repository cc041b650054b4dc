package gss

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

var oidNTLMAsn1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}

// spnegoInit frames a NegTokenInit as an InitialContextToken.
func spnegoInit(t testing.TB, init negTokenInit) []byte {
	t.Helper()
	tok, err := marshalNegTokenInit(init)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestOptimisticKerberos(t *testing.T) {
	krbToken := []byte("\x60\x03kerberos AP-REQ stand-in")
	noMechToken, _ := base64.StdEncoding.DecodeString("YBsGBisGAQUFAqARMA+gDTALBgkqhkiG9xIBAgI=")
	valid := spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{oidKerberosAsn1, oidNTLMAsn1}, MechToken: krbToken})

	tests := []struct {
		name     string
		token    []byte
		wantMech asn1.ObjectIdentifier // nil: not optimistic Kerberos
	}{
		{"krb5 first with its token", valid, oidKerberosAsn1},
		{"MS krb5 first", spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{oidMSKerberosAsn1, oidKerberosAsn1}, MechToken: krbToken}), oidMSKerberosAsn1},
		{"no mech token (the issue's sample)", noMechToken, nil},
		{"NTLM first", spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{oidNTLMAsn1, oidKerberosAsn1}, MechToken: krbToken}), nil},
		{"with a mechListMIC", spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{oidKerberosAsn1}, MechToken: krbToken, MechListMIC: []byte{1}}), nil},
		{"empty mech list", spnegoInit(t, negTokenInit{MechToken: krbToken}), nil},
		{"trailing bytes", append(bytes.Clone(valid), 0), nil},
		{"truncated", valid[:len(valid)-1], nil},
		{"raw krb5 token", []byte{0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}, nil},
		{"NTLMSSP", []byte("NTLMSSP\x00\x01\x00\x00\x00"), nil},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mech, inner, ok := optimisticKerberos(tt.token)
			if ok != (tt.wantMech != nil) {
				t.Fatalf("ok = %v, want %v", ok, tt.wantMech != nil)
			}
			if ok && (!mech.Equal(tt.wantMech) || !bytes.Equal(inner, krbToken)) {
				t.Errorf("mech %v inner %q, want %v %q", mech, inner, tt.wantMech, krbToken)
			}
		})
	}
}

func TestAcceptCompletedMatchesMIT(t *testing.T) {
	// The head of the NegTokenResp MIT's own SPNEGO acceptor sent for a
	// 156-byte AP-REP, captured on this project's test realm: [1] SEQUENCE
	// { [0] ENUMERATED 0, [1] OID krb5, [2] OCTET STRING ... }.
	const mitHead = "a181b73081b4a0030a0100a10b06092a864886f712010202a2819f04819c"
	apRep := bytes.Repeat([]byte{0xab}, 156)
	got, err := acceptCompleted(oidKerberosAsn1, apRep)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := hex.DecodeString(mitHead)
	want := append(head, apRep...)
	if !bytes.Equal(got, want) {
		t.Errorf("NegTokenResp\n got %x\nwant %x", got, want)
	}
}

// FuzzOptimisticKerberos checks that the SPNEGO framing never panics, and
// that whatever it unwraps is a part of its input.
func FuzzOptimisticKerberos(f *testing.F) {
	krbToken := []byte("\x60\x03kerberos AP-REQ stand-in")
	// An optimistic NegTokenInit, Kerberos first: the common case.
	f.Add(spnegoInit(f, negTokenInit{MechTypes: []asn1.ObjectIdentifier{oidKerberosAsn1, oidNTLMAsn1}, MechToken: krbToken}))
	// Windows' order: the MS Kerberos OID first.
	f.Add(spnegoInit(f, negTokenInit{MechTypes: []asn1.ObjectIdentifier{oidMSKerberosAsn1, oidKerberosAsn1}, MechToken: krbToken}))
	// A NegTokenInit without a mech token (asks for another round trip).
	noMechToken, _ := base64.StdEncoding.DecodeString("YBsGBisGAQUFAqARMA+gDTALBgkqhkiG9xIBAgI=")
	f.Add(noMechToken)
	// NTLM offered through SPNEGO.
	f.Add(spnegoInit(f, negTokenInit{MechTypes: []asn1.ObjectIdentifier{oidNTLMAsn1}, MechToken: []byte("NTLMSSP\x00")}))
	// Raw NTLMSSP, no SPNEGO framing.
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00"))
	// An application tag with a length far past the end.
	f.Add([]byte{0x60, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06})
	f.Fuzz(func(t *testing.T, token []byte) {
		mech, inner, ok := optimisticKerberos(token)
		if !ok {
			return
		}
		if !mech.Equal(oidKerberosAsn1) && !mech.Equal(oidMSKerberosAsn1) {
			t.Fatalf("unwrapped for mechanism %v", mech)
		}
		if len(inner) == 0 || !bytes.Contains(token, inner) {
			t.Fatalf("inner token %x is not part of the input", inner)
		}
		if _, err := acceptCompleted(mech, inner); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOIDString(t *testing.T) {
	tests := []struct {
		der  []byte
		want string
	}{
		{oidKerberos, "1.2.840.113554.1.2.2"},
		{oidSPNEGO, "1.3.6.1.5.5.2"},
		{[]byte{0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}, "1.2.840.48018.1.2.2"},
		{[]byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}, "1.3.6.1.4.1.311.2.2.10"},
		{[]byte{0x88, 0x37}, "2.999"},
		{nil, ""},
		{[]byte{0x2a, 0x86}, ""}, // truncated arc
	}
	for _, tt := range tests {
		if got := oidString(tt.der); got != tt.want {
			t.Errorf("oidString(%x) = %q, want %q", tt.der, got, tt.want)
		}
	}
}
