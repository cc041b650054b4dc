package pac

import (
	"encoding/binary"
	"fmt"
	"time"
)

// ClientInfo is PAC_CLIENT_INFO ([MS-PAC] 2.7): the client's name and the
// authentication time, which must match the ticket's.
type ClientInfo struct {
	ClientID time.Time // the ticket's authtime
	Name     string    // the client's principal name, without the realm
}

// ParseClientInfo decodes a client-information buffer (type 10).
func ParseClientInfo(b []byte) (*ClientInfo, error) {
	if len(b) < 10 {
		return nil, fmt.Errorf("%w: client info of %d bytes", ErrTruncated, len(b))
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	if n%2 != 0 {
		return nil, fmt.Errorf("%w: client info: odd NameLength %d", ErrMalformed, n)
	}
	if n > len(b)-10 {
		return nil, fmt.Errorf("%w: client info: NameLength %d, %d bytes left", ErrTruncated, n, len(b)-10)
	}
	return &ClientInfo{
		ClientID: filetime(binary.LittleEndian.Uint64(b)),
		Name:     decodeUTF16(b[10 : 10+n]),
	}, nil
}

// UPN_DNS_INFO flags ([MS-PAC] 2.10).
const (
	UPNConstructed   = 0x1 // U: the account has no userPrincipalName; UPN was made from the account name and the DNS domain
	UPNHasSAMNameSID = 0x2 // S: SAMName and SID follow (UPN_DNS_INFO extended)
)

// UPNDNSInfo is UPN_DNS_INFO ([MS-PAC] 2.10).
type UPNDNSInfo struct {
	UPN           string // "alice@ad.example.test"
	DNSDomainName string // "AD.EXAMPLE.TEST"
	Flags         uint32
	SAMName       string // with UPNHasSAMNameSID: the sAMAccountName
	SID           SID    // with UPNHasSAMNameSID: the account's SID
}

// ParseUPNDNSInfo decodes a UPN and DNS information buffer (type 12), in
// its plain and its extended form.
func ParseUPNDNSInfo(b []byte) (*UPNDNSInfo, error) {
	if len(b) < 12 {
		return nil, fmt.Errorf("%w: UPN DNS info of %d bytes", ErrTruncated, len(b))
	}
	u := &UPNDNSInfo{Flags: binary.LittleEndian.Uint32(b[8:])}
	if u.Flags&UPNHasSAMNameSID != 0 && len(b) < 20 {
		return nil, fmt.Errorf("%w: extended UPN DNS info of %d bytes", ErrTruncated, len(b))
	}
	var err error
	if u.UPN, err = upnString(b, 0, "UPN"); err != nil {
		return nil, err
	}
	if u.DNSDomainName, err = upnString(b, 4, "DNS domain name"); err != nil {
		return nil, err
	}
	if u.Flags&UPNHasSAMNameSID == 0 {
		return u, nil
	}
	if u.SAMName, err = upnString(b, 12, "SAM name"); err != nil {
		return nil, err
	}
	sid, err := upnField(b, 16, "SID")
	if err != nil {
		return nil, err
	}
	if u.SID, err = parseBinarySID(sid); err != nil {
		return nil, fmt.Errorf("UPN DNS info: %w", err)
	}
	return u, nil
}

// upnField returns the bytes of the (length, offset) pair of 16-bit words
// at at in an UPN_DNS_INFO buffer; offsets count from the buffer's start.
func upnField(b []byte, at int, name string) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(b[at:]))
	off := int(binary.LittleEndian.Uint16(b[at+2:]))
	if n == 0 {
		return nil, nil
	}
	if off > len(b) || n > len(b)-off {
		return nil, fmt.Errorf("%w: UPN DNS info: %s of %d bytes at offset %d, the buffer has %d", ErrTruncated, name, n, off, len(b))
	}
	return b[off : off+n], nil
}

func upnString(b []byte, at int, name string) (string, error) {
	f, err := upnField(b, at, name)
	if err != nil {
		return "", err
	}
	if len(f)%2 != 0 {
		return "", fmt.Errorf("%w: UPN DNS info: %s of odd length %d", ErrMalformed, name, len(f))
	}
	return decodeUTF16(f), nil
}

// DelegationInfo is S4U_DELEGATION_INFO ([MS-PAC] 2.9): in a ticket got
// by constrained delegation (S4U2Proxy), the service it was got for and
// the services the request passed through.
type DelegationInfo struct {
	S4U2ProxyTarget      string   // the SPN the ticket is for
	S4UTransitedServices []string // the services that delegated, first to last
}

// ParseDelegationInfo decodes a constrained-delegation buffer (type 11):
// the NDR type serialization of a pointer to an S4U_DELEGATION_INFO.
func ParseDelegationInfo(b []byte) (*DelegationInfo, error) {
	body, err := serialized("delegation info", b)
	if err != nil {
		return nil, err
	}
	r := &reader{b: body, what: "delegation info"}
	if ptr := r.u32(); r.err == nil && ptr == 0 {
		return nil, fmt.Errorf("%w: delegation info: null S4U_DELEGATION_INFO pointer", ErrMalformed)
	}
	target := r.ustrHeader("S4U2proxyTarget")
	n := r.u32()
	ptr := r.u32()
	d := &DelegationInfo{S4U2ProxyTarget: r.ustrBody("S4U2proxyTarget", target)}
	if ptr == 0 {
		if r.err == nil && n != 0 {
			r.failf(ErrMalformed, "TransitedListSize %d with a null list", n)
		}
	} else {
		max := r.count(8)
		if r.err == nil && uint32(max) != n {
			r.failf(ErrMalformed, "transited list of %d, TransitedListSize %d", max, n)
		}
		if r.err == nil && max > 0 {
			hs := make([]ustr, max)
			for i := range hs {
				hs[i] = r.ustrHeader(fmt.Sprintf("S4UTransitedServices[%d]", i))
			}
			d.S4UTransitedServices = make([]string, max)
			for i, h := range hs {
				d.S4UTransitedServices[i] = r.ustrBody(fmt.Sprintf("S4UTransitedServices[%d]", i), h)
			}
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return d, nil
}

// PAC_ATTRIBUTES_INFO flags ([MS-PAC] 2.14).
const (
	AttributePACWasRequested       = 0x1
	AttributePACWasGivenImplicitly = 0x2
)

// Attributes is PAC_ATTRIBUTES_INFO ([MS-PAC] 2.14).
type Attributes struct {
	FlagsLength uint32 // how many bits of Flags are valid
	Flags       uint32 // the first 32 flag bits; later ones are not kept
}

func parseAttributes(b []byte) (*Attributes, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: attributes info of %d bytes", ErrTruncated, len(b))
	}
	a := &Attributes{FlagsLength: binary.LittleEndian.Uint32(b)}
	words := (uint64(a.FlagsLength) + 31) / 32
	if words*4 > uint64(len(b)-4) {
		return nil, fmt.Errorf("%w: attributes info: %d flag bits, %d bytes left", ErrTruncated, a.FlagsLength, len(b)-4)
	}
	if words > 0 {
		a.Flags = binary.LittleEndian.Uint32(b[4:])
		if a.FlagsLength < 32 {
			a.Flags &= 1<<a.FlagsLength - 1
		}
	}
	return a, nil
}

// Checksum types of PAC signatures ([MS-PAC] 2.8).
const (
	ChecksumHMACMD5          int32 = -138 // KERB_CHECKSUM_HMAC_MD5, 16 bytes
	ChecksumHMACSHA196AES128 int32 = 15   // 12 bytes
	ChecksumHMACSHA196AES256 int32 = 16   // 12 bytes
)

// Signature is PAC_SIGNATURE_DATA ([MS-PAC] 2.8).
type Signature struct {
	Type           int32  // a checksum type: one of the Checksum constants, or another
	Value          []byte // the checksum
	RODCIdentifier uint16 // in a KDC signature by a read-only DC: its key version's high bits; 0 otherwise
}

func parseSignature(t BufferType, b []byte) (*Signature, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %v of %d bytes", ErrTruncated, t, len(b))
	}
	s := &Signature{Type: int32(binary.LittleEndian.Uint32(b))}
	rest := b[4:]
	size := len(rest)
	switch s.Type {
	case ChecksumHMACMD5:
		size = 16
	case ChecksumHMACSHA196AES128, ChecksumHMACSHA196AES256:
		size = 12
	}
	if size > len(rest) {
		return nil, fmt.Errorf("%w: %v: checksum type %d needs %d bytes, %d left", ErrTruncated, t, s.Type, size, len(rest))
	}
	s.Value = rest[:size:size]
	if t == TypeKDCChecksum && len(rest)-size >= 2 {
		s.RODCIdentifier = binary.LittleEndian.Uint16(rest[size:])
	}
	return s, nil
}
