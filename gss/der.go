package gss

import "math"

// A minimal DER reader and writer (X.690) for the few messages the token
// framing reads on every request: the GSS-API InitialContextToken and
// SPNEGO's NegTokenInit and NegTokenResp. It knows one-byte tags and
// definite lengths in their shortest form, and it refuses what
// encoding/asn1 refuses in those messages (FuzzFraming compares the two);
// reading allocates nothing. The Kerberos messages inside (AP-REQ,
// KRB-ERROR), read only when a request fails or under Heimdal, keep
// encoding/asn1.

// DER tags the framing meets.
const (
	tagBitString   = 0x03
	tagOctetString = 0x04
	tagOID         = 0x06
	tagEnumerated  = 0x0a
	tagSequence    = 0x30
	tagGSSToken    = 0x60 // [APPLICATION 0], constructed: RFC 2743 section 3.1
)

// contextTag is the tag byte of an explicit, constructed context tag [n].
func contextTag(n byte) byte { return 0xa0 | n }

// readTLV splits b into its first element's tag and contents and what
// follows; ok is false unless b starts with a whole element in DER.
func readTLV(b []byte) (tag byte, contents, rest []byte, ok bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f { // multi-byte tags appear in none of these messages
		return 0, nil, nil, false
	}
	tag, n, b := b[0], int(b[1]), b[2:]
	if n >= 0x80 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < k || b[0] == 0 { // indefinite, too long, or not minimal
			return 0, nil, nil, false
		}
		n = 0
		for _, c := range b[:k] {
			n = n<<8 | int(c)
		}
		if n < 0x80 { // the short form would do: not DER
			return 0, nil, nil, false
		}
		b = b[k:]
	}
	if n > len(b) {
		return 0, nil, nil, false
	}
	return tag, b[:n], b[n:], true
}

// readElement reads b's first element if its tag is want, returning the
// whole element (tag and length included) as well as its contents.
func readElement(b []byte, want byte) (element, contents, rest []byte, ok bool) {
	tag, contents, rest, ok := readTLV(b)
	if !ok || tag != want {
		return nil, nil, nil, false
	}
	return b[:len(b)-len(rest)], contents, rest, true
}

// validOID reports whether contents are an OID's as encoding/asn1 reads
// them: at least one subidentifier, each in base 128 with no leading 0x80
// byte, none past a 32-bit int.
func validOID(contents []byte) bool {
	if len(contents) == 0 {
		return false
	}
	var v int64
	start := true
	for i, c := range contents {
		if start && c == 0x80 {
			return false
		}
		v = v<<7 | int64(c&0x7f)
		if v > math.MaxInt32 {
			return false
		}
		start = c&0x80 == 0
		if start {
			v = 0
		} else if i == len(contents)-1 {
			return false
		}
	}
	return true
}

// validBitString reports whether contents are a BIT STRING's as
// encoding/asn1 reads them: a count of unused bits, at most 7 and zero for
// an empty string, then the bits, the unused ones zero.
func validBitString(contents []byte) bool {
	if len(contents) == 0 {
		return false
	}
	pad := contents[0]
	return pad <= 7 && (len(contents) > 1 || pad == 0) && contents[len(contents)-1]&(1<<pad-1) == 0
}

// appendTLV appends an element of tag with the given contents parts.
func appendTLV(b []byte, tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b = append(b, tag)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n <= 0xff:
		b = append(b, 0x81, byte(n))
	case n <= 0xffff:
		b = append(b, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		b = append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// tlvLen is the length of an element whose contents are n bytes long.
func tlvLen(n int) int {
	switch {
	case n < 0x80:
		return 2 + n
	case n <= 0xff:
		return 3 + n
	case n <= 0xffff:
		return 4 + n
	case n <= 0xffffff:
		return 5 + n
	}
	return 6 + n
}
