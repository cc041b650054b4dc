package pac

import (
	"encoding/binary"
	"time"
	"unicode/utf16"
)

// A test-only NDR encoder: it builds logon-info, delegation-info and whole
// PACs from decoded values, for synthetic cases that no captured PAC has
// (resource groups, odd pointers) and for the fuzz targets' round trip.
// It writes what Windows and Samba write: MaximumLength equal to Length,
// referent IDs counting up from 0x00020000, padding with zeros.

type writer struct {
	b   []byte
	ref uint32
}

func (w *writer) align(n int) {
	for len(w.b)%n != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *writer) u8(v uint8) { w.b = append(w.b, v) }

func (w *writer) u16(v uint16) {
	w.align(2)
	w.b = binary.LittleEndian.AppendUint16(w.b, v)
}

func (w *writer) u32(v uint32) {
	w.align(4)
	w.b = binary.LittleEndian.AppendUint32(w.b, v)
}

func (w *writer) filetime(t time.Time) {
	ft := toFiletime(t)
	w.u32(uint32(ft))
	w.u32(uint32(ft >> 32))
}

// ptr writes a referent ID, or 0 if !present.
func (w *writer) ptr(present bool) {
	if !present {
		w.u32(0)
		return
	}
	w.ref += 4
	w.u32(0x00020000 + w.ref - 4)
}

func utf16le(s string) []uint16 { return utf16.Encode([]rune(s)) }

// ustrHeader writes an RPC_UNICODE_STRING's inline part. Windows and
// Samba send a non-null buffer for an empty string too.
func (w *writer) ustrHeader(s string) {
	n := uint16(2 * len(utf16le(s)))
	w.u16(n)
	w.u16(n)
	w.ptr(true)
}

func (w *writer) ustrBody(s string) {
	u := utf16le(s)
	w.u32(uint32(len(u)))
	w.u32(0)
	w.u32(uint32(len(u)))
	for _, c := range u {
		w.u16(c)
	}
}

func (w *writer) sid(s SID) {
	w.u32(uint32(len(s.SubAuthorities)))
	w.u8(1)
	w.u8(uint8(len(s.SubAuthorities)))
	for i := 5; i >= 0; i-- {
		w.u8(uint8(s.Authority >> (8 * i)))
	}
	for _, a := range s.SubAuthorities {
		w.u32(a)
	}
}

func (w *writer) groups(g []GroupMembership) {
	if len(g) == 0 {
		return
	}
	w.u32(uint32(len(g)))
	for _, m := range g {
		w.u32(m.RID)
		w.u32(m.Attributes)
	}
}

// serialize wraps an NDR body in the type serialization headers.
func serialize(body []byte) []byte {
	for len(body)%8 != 0 {
		body = append(body, 0)
	}
	h := []byte{1, 0x10, 8, 0, 0xcc, 0xcc, 0xcc, 0xcc}
	h = binary.LittleEndian.AppendUint32(h, uint32(len(body)))
	h = binary.LittleEndian.AppendUint32(h, 0)
	return append(h, body...)
}

// encodeLogonInfo is the inverse of ParseLogonInfo.
func encodeLogonInfo(l *LogonInfo) []byte {
	w := &writer{}
	w.ptr(true)
	for _, t := range []time.Time{l.LogonTime, l.LogoffTime, l.KickOffTime, l.PasswordLastSet, l.PasswordCanChange, l.PasswordMustChange} {
		w.filetime(t)
	}
	names := []string{l.EffectiveName, l.FullName, l.LogonScript, l.ProfilePath, l.HomeDirectory, l.HomeDirectoryDrive}
	for _, s := range names {
		w.ustrHeader(s)
	}
	w.u16(l.LogonCount)
	w.u16(l.BadPasswordCount)
	w.u32(l.UserID)
	w.u32(l.PrimaryGroupID)
	w.u32(uint32(len(l.GroupIDs)))
	w.ptr(len(l.GroupIDs) > 0)
	w.u32(l.UserFlags)
	w.b = append(w.b, make([]byte, 16)...) // UserSessionKey
	w.ustrHeader(l.LogonServer)
	w.ustrHeader(l.LogonDomainName)
	w.ptr(!l.LogonDomainID.IsZero())
	w.u32(0) // Reserved1
	w.u32(0)
	w.u32(l.UserAccountControl)
	w.u32(l.SubAuthStatus)
	w.filetime(l.LastSuccessfulILogon)
	w.filetime(l.LastFailedILogon)
	w.u32(l.FailedILogonCount)
	w.u32(0) // Reserved3
	w.u32(uint32(len(l.ExtraSIDs)))
	w.ptr(len(l.ExtraSIDs) > 0)
	w.ptr(!l.ResourceGroupDomainSID.IsZero())
	w.u32(uint32(len(l.ResourceGroupIDs)))
	w.ptr(len(l.ResourceGroupIDs) > 0)

	for _, s := range names {
		w.ustrBody(s)
	}
	w.groups(l.GroupIDs)
	w.ustrBody(l.LogonServer)
	w.ustrBody(l.LogonDomainName)
	if !l.LogonDomainID.IsZero() {
		w.sid(l.LogonDomainID)
	}
	if len(l.ExtraSIDs) > 0 {
		w.u32(uint32(len(l.ExtraSIDs)))
		for _, s := range l.ExtraSIDs {
			w.ptr(true)
			w.u32(s.Attributes)
		}
		for _, s := range l.ExtraSIDs {
			w.sid(s.SID)
		}
	}
	if !l.ResourceGroupDomainSID.IsZero() {
		w.sid(l.ResourceGroupDomainSID)
	}
	w.groups(l.ResourceGroupIDs)
	return serialize(w.b)
}

// encodeDelegationInfo is the inverse of ParseDelegationInfo.
func encodeDelegationInfo(d *DelegationInfo) []byte {
	w := &writer{}
	w.ptr(true)
	w.ustrHeader(d.S4U2ProxyTarget)
	w.u32(uint32(len(d.S4UTransitedServices)))
	w.ptr(len(d.S4UTransitedServices) > 0)
	w.ustrBody(d.S4U2ProxyTarget)
	if len(d.S4UTransitedServices) > 0 {
		w.u32(uint32(len(d.S4UTransitedServices)))
		for _, s := range d.S4UTransitedServices {
			w.ustrHeader(s)
		}
		for _, s := range d.S4UTransitedServices {
			w.ustrBody(s)
		}
	}
	return serialize(w.b)
}

func binarySID(s SID) []byte {
	b := []byte{1, uint8(len(s.SubAuthorities))}
	for i := 5; i >= 0; i-- {
		b = append(b, uint8(s.Authority>>(8*i)))
	}
	for _, a := range s.SubAuthorities {
		b = binary.LittleEndian.AppendUint32(b, a)
	}
	return b
}

// encodeUPNDNSInfo is the inverse of ParseUPNDNSInfo.
func encodeUPNDNSInfo(u *UPNDNSInfo) []byte {
	fields := [][]byte{utf16bytes(u.UPN), utf16bytes(u.DNSDomainName)}
	head := 12
	if u.Flags&UPNHasSAMNameSID != 0 {
		fields = append(fields, utf16bytes(u.SAMName), binarySID(u.SID))
		head = 20
	}
	b := make([]byte, head)
	binary.LittleEndian.PutUint32(b[8:], u.Flags)
	at := []int{0, 4, 12, 16}
	for i, f := range fields {
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		binary.LittleEndian.PutUint16(b[at[i]:], uint16(len(f)))
		binary.LittleEndian.PutUint16(b[at[i]+2:], uint16(len(b)))
		b = append(b, f...)
	}
	return b
}

func utf16bytes(s string) []byte {
	var b []byte
	for _, c := range utf16le(s) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

// encodeClientInfo is the inverse of ParseClientInfo.
func encodeClientInfo(c *ClientInfo) []byte {
	name := utf16bytes(c.Name)
	b := binary.LittleEndian.AppendUint64(nil, toFiletime(c.ClientID))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	return append(b, name...)
}

// buildPAC lays buffers out as a PAC: the header, then each buffer on an
// 8-byte boundary, in order.
func buildPAC(bufs ...Buffer) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(bufs)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	off := uint64(pacHeaderLen + infoBufferLen*len(bufs))
	var body []byte
	for _, buf := range bufs {
		b = binary.LittleEndian.AppendUint32(b, uint32(buf.Type))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(buf.Data)))
		b = binary.LittleEndian.AppendUint64(b, off+uint64(len(body)))
		body = append(body, buf.Data...)
		for len(body)%8 != 0 {
			body = append(body, 0)
		}
	}
	return append(b, body...)
}

// toFiletime is the inverse of filetime.
func toFiletime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.Unix()-filetimeEpoch)*1e7 + uint64(t.Nanosecond()/100)
}
