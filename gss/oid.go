package gss

import (
	"bytes"
	"strconv"

	"github.com/negotiate-go/negotiate"
)

// Every OID this package names, in one form: the whole DER TLV (tag 06,
// length, contents), which is how the token framing compares and writes
// them. The GSS-API takes the contents alone (oid[2:]). The dotted forms
// users see are negotiate.MechKerberos and negotiate.MechSPNEGO.
var (
	// oidKerberos is the Kerberos V5 mechanism, 1.2.840.113554.1.2.2
	// (RFC 4121).
	oidKerberos = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	// oidMSKerberos is the Kerberos OID Windows has always sent first,
	// 1.2.840.48018.1.2.2: a mangled oidKerberos that differs in one byte
	// (RFC 4121 section 1.1 notes it).
	oidMSKerberos = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}
	// oidSPNEGO is the SPNEGO pseudo-mechanism, 1.3.6.1.5.5.2 (RFC 4178).
	oidSPNEGO = []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
)

// isKerberosOID reports whether the OID TLV oid names Kerberos, under its
// standard OID or Windows' alias.
func isKerberosOID(oid []byte) bool {
	return bytes.Equal(oid, oidKerberos) || bytes.Equal(oid, oidMSKerberos)
}

// oidString returns the dotted form of the contents of a DER OID (X.690
// section 8.19), as the library hands them out, or "" for a malformed one.
func oidString(contents []byte) string {
	switch {
	case bytes.Equal(contents, oidKerberos[2:]):
		return negotiate.MechKerberos
	case bytes.Equal(contents, oidSPNEGO[2:]):
		return negotiate.MechSPNEGO
	case len(contents) == 0:
		return ""
	}
	var out []byte
	var v uint64
	for i, b := range contents {
		if v > 1<<56 {
			return "" // would overflow: not an OID we can name
		}
		v = v<<7 | uint64(b&0x7f)
		if b&0x80 != 0 {
			if i == len(contents)-1 {
				return "" // truncated arc
			}
			continue
		}
		if out == nil {
			// The first subidentifier packs the first two arcs.
			first := min(v/40, 2)
			out = strconv.AppendUint(out, first, 10)
			out = append(out, '.')
			out = strconv.AppendUint(out, v-40*first, 10)
		} else {
			out = append(out, '.')
			out = strconv.AppendUint(out, v, 10)
		}
		v = 0
	}
	return string(out)
}
