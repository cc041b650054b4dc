package gss

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

// The reference: the same framing read and written with encoding/asn1,
// as this package once did. FuzzOptimisticKerberos holds the hand-written
// DER of der.go, framing.go and spnego.go to it.

var (
	asn1Kerberos   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	asn1MSKerberos = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	asn1SPNEGO     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	asn1NTLM       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
)

// negTokenInit is RFC 4178 section 4.2.1's NegTokenInit.
type negTokenInit struct {
	MechTypes   []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
	ReqFlags    asn1.BitString          `asn1:"explicit,optional,tag:1"`
	MechToken   []byte                  `asn1:"explicit,optional,tag:2"`
	MechListMIC []byte                  `asn1:"explicit,optional,tag:3"`
}

// spnegoInit frames a NegTokenInit as an InitialContextToken.
func spnegoInit(t testing.TB, init negTokenInit) []byte {
	t.Helper()
	inner, err := asn1.MarshalWithParams(init, "explicit,tag:0")
	if err != nil {
		t.Fatal(err)
	}
	oid, _ := asn1.Marshal(asn1SPNEGO)
	tok, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: append(oid, inner...)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// asn1Optimistic is the encoding/asn1 reading of an optimistic Kerberos
// NegTokenInit.
func asn1Optimistic(token []byte) (mech asn1.ObjectIdentifier, inner []byte, ok bool) {
	mech, inner, _, ok = asn1OptimisticInit(token)
	return mech, inner, ok
}

// asn1OptimisticInit is asn1Optimistic that also returns the NegTokenInit
// it read.
func asn1OptimisticInit(token []byte) (mech asn1.ObjectIdentifier, inner []byte, init negTokenInit, ok bool) {
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(token, &outer); err != nil || len(rest) != 0 ||
		outer.Class != asn1.ClassApplication || outer.Tag != 0 || !outer.IsCompound {
		return nil, nil, init, false
	}
	var this asn1.ObjectIdentifier
	body, err := asn1.Unmarshal(outer.Bytes, &this)
	if err != nil || !this.Equal(asn1SPNEGO) {
		return nil, nil, init, false
	}
	if rest, err := asn1.UnmarshalWithParams(body, &init, "explicit,tag:0"); err != nil || len(rest) != 0 {
		return nil, nil, init, false
	}
	if len(init.MechTypes) == 0 || len(init.MechToken) == 0 || len(init.MechListMIC) != 0 {
		return nil, nil, init, false
	}
	if first := init.MechTypes[0]; first.Equal(asn1Kerberos) || first.Equal(asn1MSKerberos) {
		return first, init.MechToken, init, true
	}
	return nil, nil, init, false
}

// optimistic is what the acceptor's view of token says of it: the OID
// named first and the Kerberos token, when it is optimistic Kerberos.
func optimistic(token []byte) (mech asn1.ObjectIdentifier, inner []byte, ok bool) {
	v := parseInitiatorToken(token)
	if v.spnegoMech == nil {
		return nil, nil, false
	}
	if _, err := asn1.Unmarshal(v.spnegoMech, &mech); err != nil {
		panic(err)
	}
	return mech, v.library, true
}

func TestOptimisticKerberos(t *testing.T) {
	krbToken := []byte("\x60\x03kerberos AP-REQ stand-in")
	noMechToken, _ := base64.StdEncoding.DecodeString("YBsGBisGAQUFAqARMA+gDTALBgkqhkiG9xIBAgI=")
	valid := spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{asn1Kerberos, asn1NTLM}, MechToken: krbToken})

	tests := []struct {
		name     string
		token    []byte
		wantMech asn1.ObjectIdentifier // nil: not optimistic Kerberos
	}{
		{"krb5 first with its token", valid, asn1Kerberos},
		{"MS krb5 first", spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{asn1MSKerberos, asn1Kerberos}, MechToken: krbToken}), asn1MSKerberos},
		{"with request flags", spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{asn1Kerberos}, ReqFlags: asn1.BitString{Bytes: []byte{0x60}, BitLength: 3}, MechToken: krbToken}), asn1Kerberos},
		{"no mech token (the issue's sample)", noMechToken, nil},
		{"NTLM first", spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{asn1NTLM, asn1Kerberos}, MechToken: krbToken}), nil},
		{"with a mechListMIC", spnegoInit(t, negTokenInit{MechTypes: []asn1.ObjectIdentifier{asn1Kerberos}, MechToken: krbToken, MechListMIC: []byte{1}}), nil},
		{"empty mech list", spnegoInit(t, negTokenInit{MechToken: krbToken}), nil},
		{"trailing bytes", append(bytes.Clone(valid), 0), nil},
		{"truncated", valid[:len(valid)-1], nil},
		{"raw krb5 token", []byte{0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}, nil},
		{"NTLMSSP", []byte("NTLMSSP\x00\x01\x00\x00\x00"), nil},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mech, inner, ok := optimistic(tt.token)
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
	got := appendNegTokenResp(nil, oidKerberos, apRep)
	head, _ := hex.DecodeString(mitHead)
	want := append(head, apRep...)
	if !bytes.Equal(got, want) {
		t.Errorf("NegTokenResp\n got %x\nwant %x", got, want)
	}
}

// TestNegTokenInitRoundTrip reads the initiator's own framing back, with
// this package's parser and with encoding/asn1, and reads a NegTokenResp
// built here with the client's parser.
func TestNegTokenInitRoundTrip(t *testing.T) {
	for _, n := range []int{1, 100, 200, 300, 70000} {
		krb := append([]byte{0x60}, bytes.Repeat([]byte{7}, n)...)
		tok, mechTypes := negTokenInitFor(krb)
		if mech, inner, ok := asn1Optimistic(tok); !ok || !mech.Equal(asn1Kerberos) || !bytes.Equal(inner, krb) {
			t.Errorf("%d bytes: encoding/asn1 reads %v %v", n, mech, ok)
		}
		if mech, inner, ok := optimistic(tok); !ok || !mech.Equal(asn1Kerberos) || !bytes.Equal(inner, krb) {
			t.Errorf("%d bytes: the view reads %v %v", n, mech, ok)
		}
		var list []asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(mechTypes, &list); err != nil || len(list) != 1 || !list[0].Equal(asn1Kerberos) {
			t.Errorf("%d bytes: mechTypes %x: %v %v", n, mechTypes, list, err)
		}
		got, mic, err := parseAcceptCompleted(appendNegTokenResp(nil, oidKerberos, krb))
		if err != nil || !bytes.Equal(got, krb) || mic != nil {
			t.Errorf("%d bytes: parseAcceptCompleted: %v", n, err)
		}
	}
}

// FuzzOptimisticKerberos checks that the token view never panics, that
// whatever it unwraps is a part of its input, and that its hand-written DER
// agrees with encoding/asn1: what it takes as optimistic Kerberos,
// encoding/asn1 reads the same way, and what encoding/asn1 takes, it takes
// too when the input is exactly what encoding/asn1 writes for what it read
// (encoding/asn1 also reads bytes left inside an explicit tag after its
// element, and some other forms DER does not allow, which the view
// refuses).
func FuzzOptimisticKerberos(f *testing.F) {
	krbToken := []byte("\x60\x03kerberos AP-REQ stand-in")
	// An optimistic NegTokenInit, Kerberos first: the common case.
	f.Add(spnegoInit(f, negTokenInit{MechTypes: []asn1.ObjectIdentifier{asn1Kerberos, asn1NTLM}, MechToken: krbToken}))
	// Windows' order: the MS Kerberos OID first.
	f.Add(spnegoInit(f, negTokenInit{MechTypes: []asn1.ObjectIdentifier{asn1MSKerberos, asn1Kerberos}, MechToken: krbToken}))
	// A NegTokenInit without a mech token (asks for another round trip).
	noMechToken, _ := base64.StdEncoding.DecodeString("YBsGBisGAQUFAqARMA+gDTALBgkqhkiG9xIBAgI=")
	f.Add(noMechToken)
	// NTLM offered through SPNEGO.
	f.Add(spnegoInit(f, negTokenInit{MechTypes: []asn1.ObjectIdentifier{asn1NTLM}, MechToken: []byte("NTLMSSP\x00")}))
	// Raw NTLMSSP, no SPNEGO framing.
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00"))
	// An application tag with a length far past the end.
	f.Add([]byte{0x60, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06})
	f.Fuzz(func(t *testing.T, token []byte) {
		v := parseInitiatorToken(token)
		for _, part := range [][]byte{v.mech, v.kerberos} {
			if part != nil && !bytes.Contains(token, part) {
				t.Fatalf("part %x is not in the input", part)
			}
		}
		if !v.microsoftOID && !bytes.Contains(token, v.library) {
			t.Fatalf("library token %x is not in the input", v.library)
		}
		v.reply([]byte{0x60, 0x00})
		if v.kerberos != nil {
			v.apReq()
		}

		mech, inner, ok := optimistic(token)
		refMech, refInner, init, refOK := asn1OptimisticInit(token)
		if ok && (!refOK || !mech.Equal(refMech) || !bytes.Equal(inner, refInner)) {
			t.Fatalf("the view reads %v %x; encoding/asn1 %v %x %v", mech, inner, refMech, refInner, refOK)
		}
		if refOK && !ok && bytes.Equal(spnegoInit(t, init), token) {
			t.Fatalf("encoding/asn1 reads optimistic %v %x; the view does not", refMech, refInner)
		}
	})
}

func TestOIDString(t *testing.T) {
	tests := []struct {
		der  []byte
		want string
	}{
		{oidKerberos[2:], "1.2.840.113554.1.2.2"},
		{oidSPNEGO[2:], "1.3.6.1.5.5.2"},
		{oidMSKerberos[2:], "1.2.840.48018.1.2.2"},
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
