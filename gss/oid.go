package gss

import (
	"bytes"
	"strconv"

	"github.com/negotiate-go/negotiate"
)

// DER contents of the OIDs the acceptor meets on every request, so that
// naming them costs no allocation.
var (
	oidKerberos = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	oidSPNEGO   = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
)

// oidString returns the dotted form of a DER-encoded OID body (X.690
// section 8.19), or "" for a malformed one.
func oidString(der []byte) string {
	switch {
	case bytes.Equal(der, oidKerberos):
		return negotiate.MechKerberos
	case bytes.Equal(der, oidSPNEGO):
		return negotiate.MechSPNEGO
	case len(der) == 0:
		return ""
	}
	var out []byte
	var v uint64
	for i, b := range der {
		if v > 1<<56 {
			return "" // would overflow: not an OID we can name
		}
		v = v<<7 | uint64(b&0x7f)
		if b&0x80 != 0 {
			if i == len(der)-1 {
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
