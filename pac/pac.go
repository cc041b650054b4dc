package pac

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors that every decoding failure wraps: test with errors.Is.
var (
	// ErrTruncated: the input ends before a length or count says it does.
	ErrTruncated = errors.New("pac: truncated")
	// ErrMalformed: the input is inconsistent (a count that disagrees with
	// its array, a bad version, a duplicate buffer, ...).
	ErrMalformed = errors.New("pac: malformed")
)

// BufferType is a PAC_INFO_BUFFER's ulType ([MS-PAC] 2.4).
type BufferType uint32

// The buffer types of [MS-PAC] 2.4.
const (
	TypeLogonInfo      BufferType = 1  // KERB_VALIDATION_INFO: decoded into PAC.LogonInfo
	TypeCredentials    BufferType = 2  // PAC_CREDENTIAL_INFO, encrypted: kept raw
	TypeServerChecksum BufferType = 6  // server signature
	TypeKDCChecksum    BufferType = 7  // KDC (privilege server) signature
	TypeClientInfo     BufferType = 10 // PAC_CLIENT_INFO
	TypeDelegationInfo BufferType = 11 // S4U_DELEGATION_INFO (constrained delegation)
	TypeUPNDNSInfo     BufferType = 12 // UPN_DNS_INFO
	TypeClientClaims   BufferType = 13 // PAC_CLIENT_CLAIMS_INFO: kept raw
	TypeDeviceInfo     BufferType = 14 // PAC_DEVICE_INFO: kept raw
	TypeDeviceClaims   BufferType = 15 // PAC_DEVICE_CLAIMS_INFO: kept raw
	TypeTicketChecksum BufferType = 16 // ticket signature
	TypeAttributes     BufferType = 17 // PAC_ATTRIBUTES_INFO
	TypeRequestor      BufferType = 18 // PAC_REQUESTOR
	TypeFullChecksum   BufferType = 19 // full PAC signature (the extended KDC signature)
)

var typeNames = map[BufferType]string{
	TypeLogonInfo:      "logon-info",
	TypeCredentials:    "credentials-info",
	TypeServerChecksum: "server-checksum",
	TypeKDCChecksum:    "privsvr-checksum",
	TypeClientInfo:     "client-info",
	TypeDelegationInfo: "delegation-info",
	TypeUPNDNSInfo:     "upn-dns-info",
	TypeClientClaims:   "client-claims-info",
	TypeDeviceInfo:     "device-info",
	TypeDeviceClaims:   "device-claims-info",
	TypeTicketChecksum: "ticket-checksum",
	TypeAttributes:     "attributes-info",
	TypeRequestor:      "requestor-info",
	TypeFullChecksum:   "full-checksum",
}

// String names t: "logon-info", "ticket-checksum", or "type-N" for a type
// this package does not know.
func (t BufferType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type-%d", uint32(t))
}

// mitNamed are the types MIT krb5 (1.20) has attribute names for; it names
// the others by number.
var mitNamed = map[BufferType]bool{
	TypeLogonInfo: true, TypeCredentials: true, TypeServerChecksum: true, TypeKDCChecksum: true,
	TypeClientInfo: true, TypeDelegationInfo: true, TypeUPNDNSInfo: true,
}

// MITAttribute is the GSS-API name attribute under which MIT krb5's
// gss_get_name_attribute returns a buffer of type t, as measured with MIT
// 1.20: "urn:mspac:logon-info" for a named type, "urn:mspac:16" for
// others. The whole PAC is the attribute "urn:mspac:" ([MITWholePAC]).
func (t BufferType) MITAttribute() string {
	if mitNamed[t] {
		return MITWholePAC + typeNames[t]
	}
	return fmt.Sprintf("%s%d", MITWholePAC, uint32(t))
}

// MITWholePAC is the GSS-API name attribute under which MIT krb5 returns
// the whole PAC, for Parse.
const MITWholePAC = "urn:mspac:"

// Buffer is one PAC_INFO_BUFFER and its bytes.
type Buffer struct {
	Type   BufferType
	Offset uint64 // from the start of the PAC
	Data   []byte // cbBufferSize bytes, in the PAC's own copy of the input
}

// PAC is a decoded privilege attribute certificate: every buffer, and the
// known ones decoded. A pointer field is nil, and RequestorSID zero, when
// the PAC has no such buffer.
type PAC struct {
	Buffers []Buffer // in the order of the PAC's header

	LogonInfo      *LogonInfo
	ClientInfo     *ClientInfo
	UPNDNSInfo     *UPNDNSInfo
	DelegationInfo *DelegationInfo
	Attributes     *Attributes
	RequestorSID   SID

	ServerChecksum *Signature
	KDCChecksum    *Signature
	TicketChecksum *Signature
	FullChecksum   *Signature
}

// Limits of the PACTYPE header.
const (
	pacHeaderLen  = 8  // cBuffers, Version
	infoBufferLen = 16 // ulType, cbBufferSize, Offset
	pacAlignment  = 8  // every buffer starts on an 8-byte boundary
)

// Parse decodes a PAC: the PACTYPE header ([MS-PAC] 2.3), each
// PAC_INFO_BUFFER ([MS-PAC] 2.4), and the buffers it knows. It fails, with
// an error that wraps ErrTruncated or ErrMalformed, if the header or any
// known buffer is malformed, or a known buffer type appears twice. It does
// not verify the signatures: that needs the service's and the KDC's keys,
// and is the GSS-API library's job when it hands the PAC over. Parse keeps
// its own copy of b.
func Parse(b []byte) (*PAC, error) {
	if len(b) < pacHeaderLen {
		return nil, fmt.Errorf("%w: PAC of %d bytes", ErrTruncated, len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	if v := binary.LittleEndian.Uint32(b[4:]); v != 0 {
		return nil, fmt.Errorf("%w: PAC version %d, want 0", ErrMalformed, v)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: PAC with no buffers", ErrMalformed)
	}
	if uint64(n) > uint64(len(b)-pacHeaderLen)/infoBufferLen {
		return nil, fmt.Errorf("%w: PAC says %d buffers, %d bytes hold at most %d headers", ErrTruncated, n, len(b), (len(b)-pacHeaderLen)/infoBufferLen)
	}
	b = append([]byte(nil), b...)
	headerEnd := uint64(pacHeaderLen) + uint64(n)*infoBufferLen
	p := &PAC{Buffers: make([]Buffer, n)}
	seen := make(map[BufferType]bool, n)
	for i := range p.Buffers {
		h := b[pacHeaderLen+i*infoBufferLen:]
		t := BufferType(binary.LittleEndian.Uint32(h))
		size := uint64(binary.LittleEndian.Uint32(h[4:]))
		off := binary.LittleEndian.Uint64(h[8:])
		switch {
		case off < headerEnd:
			return nil, fmt.Errorf("%w: buffer %d (%v) at offset %d, inside the PAC header (%d bytes)", ErrMalformed, i, t, off, headerEnd)
		case off%pacAlignment != 0:
			return nil, fmt.Errorf("%w: buffer %d (%v) at offset %d, not on an 8-byte boundary", ErrMalformed, i, t, off)
		case off > uint64(len(b)) || size > uint64(len(b))-off:
			return nil, fmt.Errorf("%w: buffer %d (%v) of %d bytes at offset %d, the PAC has %d", ErrTruncated, i, t, size, off, len(b))
		}
		_, known := typeNames[t]
		if known && seen[t] {
			return nil, fmt.Errorf("%w: two %v buffers", ErrMalformed, t)
		}
		seen[t] = true
		p.Buffers[i] = Buffer{Type: t, Offset: off, Data: b[off : off+size : off+size]}
		if err := p.decode(t, p.Buffers[i].Data); err != nil {
			return nil, fmt.Errorf("%w (PAC buffer %d)", err, i)
		}
	}
	return p, nil
}

// decode decodes a buffer of a known type into p.
func (p *PAC) decode(t BufferType, data []byte) (err error) {
	switch t {
	case TypeLogonInfo:
		p.LogonInfo, err = ParseLogonInfo(data)
	case TypeClientInfo:
		p.ClientInfo, err = ParseClientInfo(data)
	case TypeUPNDNSInfo:
		p.UPNDNSInfo, err = ParseUPNDNSInfo(data)
	case TypeDelegationInfo:
		p.DelegationInfo, err = ParseDelegationInfo(data)
	case TypeAttributes:
		p.Attributes, err = parseAttributes(data)
	case TypeRequestor:
		p.RequestorSID, err = parseBinarySID(data)
		if err != nil {
			err = fmt.Errorf("requestor: %w", err)
		}
	case TypeServerChecksum:
		p.ServerChecksum, err = parseSignature(t, data)
	case TypeKDCChecksum:
		p.KDCChecksum, err = parseSignature(t, data)
	case TypeTicketChecksum:
		p.TicketChecksum, err = parseSignature(t, data)
	case TypeFullChecksum:
		p.FullChecksum, err = parseSignature(t, data)
	}
	return err
}

// Buffer returns the bytes of the buffer of type t, and whether there is
// one.
func (p *PAC) Buffer(t BufferType) ([]byte, bool) {
	for _, b := range p.Buffers {
		if b.Type == t {
			return b.Data, true
		}
	}
	return nil, false
}
