package pac

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// maxSubAuthorities is the most sub-authorities a SID has ([MS-DTYP]
// 2.4.2).
const maxSubAuthorities = 15

// SID is a security identifier, revision 1 ([MS-DTYP] 2.4.2).
type SID struct {
	Authority      uint64   // IdentifierAuthority, 48 bits: 5 is NT Authority
	SubAuthorities []uint32 // at most 15
}

// IsZero reports whether s is the zero SID. The decoder refuses the empty
// SID S-1-0 (no sub-authorities, authority 0), so a decoded SID is zero
// only where the PAC had none.
func (s SID) IsZero() bool { return s.Authority == 0 && len(s.SubAuthorities) == 0 }

// String formats s as in [MS-DTYP] 2.4.2.1: "S-1-5-21-1-2-3-1103", the
// authority in hexadecimal ("S-1-0x123456789ABC-...") when it needs more
// than 32 bits. The zero SID is "".
func (s SID) String() string {
	if s.IsZero() {
		return ""
	}
	var b strings.Builder
	b.WriteString("S-1-")
	if s.Authority >= 1<<32 {
		fmt.Fprintf(&b, "0x%012X", s.Authority)
	} else {
		b.WriteString(strconv.FormatUint(s.Authority, 10))
	}
	for _, a := range s.SubAuthorities {
		b.WriteByte('-')
		b.WriteString(strconv.FormatUint(uint64(a), 10))
	}
	return b.String()
}

// Append returns s with rid added as its last sub-authority: a domain SID
// and a relative ID make an account's SID. It does not change s.
func (s SID) Append(rid uint32) SID {
	sub := make([]uint32, len(s.SubAuthorities), len(s.SubAuthorities)+1)
	copy(sub, s.SubAuthorities)
	return SID{Authority: s.Authority, SubAuthorities: append(sub, rid)}
}

// Equal reports whether s and t are the same SID.
func (s SID) Equal(t SID) bool {
	if s.Authority != t.Authority || len(s.SubAuthorities) != len(t.SubAuthorities) {
		return false
	}
	for i, a := range s.SubAuthorities {
		if t.SubAuthorities[i] != a {
			return false
		}
	}
	return true
}

// ParseSID parses the string form of a SID, as String writes it (the
// authority also in hexadecimal below 2^32, as [MS-DTYP] allows).
func ParseSID(str string) (SID, error) {
	rest, ok := strings.CutPrefix(str, "S-1-")
	if !ok {
		return SID{}, fmt.Errorf("pac: SID %q does not start with S-1-", str)
	}
	parts := strings.Split(rest, "-")
	if len(parts) > 1+maxSubAuthorities {
		return SID{}, fmt.Errorf("pac: SID %q has more than %d sub-authorities", str, maxSubAuthorities)
	}
	var s SID
	var err error
	if h, ok := strings.CutPrefix(parts[0], "0x"); ok {
		s.Authority, err = strconv.ParseUint(h, 16, 48)
	} else {
		s.Authority, err = strconv.ParseUint(parts[0], 10, 32)
	}
	if err != nil {
		return SID{}, fmt.Errorf("pac: SID %q: bad identifier authority", str)
	}
	for _, p := range parts[1:] {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return SID{}, fmt.Errorf("pac: SID %q: bad sub-authority %q", str, p)
		}
		s.SubAuthorities = append(s.SubAuthorities, uint32(v))
	}
	if s.IsZero() {
		return SID{}, fmt.Errorf("pac: SID %q is empty", str)
	}
	return s, nil
}

// parseBinarySID decodes a SID in its plain binary form ([MS-DTYP]
// 2.4.2.2), as UPN_DNS_INFO and PAC_REQUESTOR carry it: no NDR
// conformance in front, and b must hold exactly the SID.
func parseBinarySID(b []byte) (SID, error) {
	if len(b) < 8 {
		return SID{}, fmt.Errorf("%w: SID of %d bytes", ErrTruncated, len(b))
	}
	if b[0] != 1 {
		return SID{}, fmt.Errorf("%w: SID revision %d", ErrMalformed, b[0])
	}
	n := int(b[1])
	if n > maxSubAuthorities {
		return SID{}, fmt.Errorf("%w: SID with %d sub-authorities", ErrMalformed, n)
	}
	if len(b) != 8+4*n {
		return SID{}, fmt.Errorf("%w: SID of %d sub-authorities in %d bytes", ErrMalformed, n, len(b))
	}
	var s SID
	for _, c := range b[2:8] {
		s.Authority = s.Authority<<8 | uint64(c)
	}
	s.SubAuthorities = make([]uint32, n)
	for i := range s.SubAuthorities {
		s.SubAuthorities[i] = binary.LittleEndian.Uint32(b[8+4*i:])
	}
	if s.IsZero() {
		return SID{}, fmt.Errorf("%w: empty SID S-1-0", ErrMalformed)
	}
	return s, nil
}
