package integration

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestKerberosAliasOIDsAreNoServerFault sends tokens framed with the
// other object identifiers MIT knows Kerberos by: the Microsoft one
// (1.2.840.48018.1.2.2), the pre-RFC one (1.3.5.1.5.2) and IAKERB's
// (1.3.6.1.5.2.5), raw and, for the Microsoft one, inside SPNEGO.
// Whatever the server makes of them, they are the client's doing: a 200 or
// a 403, never a 500 with an Error in the log.
//
// FuzzAccept found the first row (its crasher is
// testdata/fuzz/FuzzAccept/crash-ms-kerberos-oid-no-cred): 13 bytes that
// anyone can send. MIT's mechanism glue picks the mechanism by the token's
// OID, the acceptor credential has no element under these OIDs, and
// gss_accept_sec_context answers GSS_S_NO_CRED, which gss classifies as
// negotiate.ErrServerCredentials.
func TestKerberosAliasOIDsAreNoServerFault(t *testing.T) {
	s := newServer(t)
	msOID := asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	// reframe returns a fresh raw Kerberos token from alice with its
	// framing OID replaced by oid.
	reframe := func(t *testing.T, oid asn1.ObjectIdentifier) []byte {
		tok := mint(t, alice(), target, 0, true)
		var outer asn1.RawValue
		var mech asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(tok, &outer); err != nil {
			t.Fatal(err)
		}
		body, err := asn1.Unmarshal(outer.Bytes, &mech)
		if err != nil {
			t.Fatal(err)
		}
		o, _ := asn1.Marshal(oid)
		tok, err = asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: append(o, body...)})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name string
		tok  func(t *testing.T) []byte
	}{
		{"the fuzzer's 13 bytes: a header naming the Microsoft Kerberos OID", func(*testing.T) []byte {
			b, _ := base64.StdEncoding.DecodeString("YDAGCSqGSIL3EgECAg==")
			return b
		}},
		{"a good raw token framed with the Microsoft Kerberos OID", func(t *testing.T) []byte { return reframe(t, msOID) }},
		{"a good raw token framed with the pre-RFC Kerberos OID", func(t *testing.T) []byte {
			return reframe(t, asn1.ObjectIdentifier{1, 3, 5, 1, 5, 2})
		}},
		{"a good raw token framed with the IAKERB OID", func(t *testing.T) []byte {
			return reframe(t, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 2, 5})
		}},
		{"SPNEGO around a good Kerberos token framed with the Microsoft OID", func(t *testing.T) []byte {
			inner := reframe(t, msOID)
			if !bytes.Contains(inner, msKrb5OID) {
				t.Fatal("no Microsoft OID in the inner token")
			}
			return spnegoInit(t, []asn1.ObjectIdentifier{msOID, {1, 2, 840, 113554, 1, 2, 2}}, inner)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.get(t, "/whoami", negotiateValue(tt.tok(t)))
			if r.status != http.StatusOK && r.status != http.StatusForbidden {
				t.Errorf("/whoami: %d %q, want 200 or 403", r.status, r.body)
			}
			checkNoDetail(t, r)
			r = s.get(t, "/public", negotiateValue(tt.tok(t)))
			if r.status != http.StatusOK || strings.Contains(r.body, "server_credentials") {
				t.Errorf("/public: %d %q, want 200 with a client's reason", r.status, r.body)
			}
		})
	}
	if line := logLine(s.logs.String(), "level=ERROR"); line != "" {
		t.Errorf("a client's token was logged as a server fault: %s", line)
	}
}
