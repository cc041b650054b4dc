package pac

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// reader walks an NDR 1.x (NDR20) little-endian octet stream, [MS-RPCE]
// 2.2.5 and C706 chapter 14. Every read checks what remains; the first
// failure sticks, later reads return zeros, and err reports it with the
// offset where it happened. Alignment is relative to the start of b, which
// is where the type serialization's private header ends: a multiple of 8
// from the start of the PAC buffer.
type reader struct {
	b    []byte
	off  int
	what string // the structure being decoded, for errors
	err  error
}

func (r *reader) failf(wrap error, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at offset %d: %s", wrap, r.what, r.off, fmt.Sprintf(format, args...))
	}
}

// need reports whether n more bytes remain, failing if not.
func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > len(r.b)-r.off {
		r.failf(ErrTruncated, "%d bytes needed, %d left", n, len(r.b)-r.off)
		return false
	}
	return true
}

// align skips the padding before a primitive of size n (1, 2, 4 or 8).
func (r *reader) align(n int) {
	if pad := (n - r.off%n) % n; pad > 0 && r.need(pad) {
		r.off += pad
	}
}

func (r *reader) skip(n int) {
	if r.need(n) {
		r.off += n
	}
}

func (r *reader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *reader) u16() uint16 {
	r.align(2)
	if !r.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(r.b[r.off:])
	r.off += 2
	return v
}

func (r *reader) u32() uint32 {
	r.align(4)
	if !r.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

// filetime reads a FILETIME: a structure of two 32-bit words, low first,
// so aligned to 4, not 8.
func (r *reader) filetime() uint64 {
	lo := r.u32()
	hi := r.u32()
	return uint64(hi)<<32 | uint64(lo)
}

// count reads a conformance or variance count and checks that count
// elements of elemSize bytes each can still follow, so that no allocation
// is bigger than the input.
func (r *reader) count(elemSize int) int {
	n := r.u32()
	if r.err != nil {
		return 0
	}
	if uint64(n)*uint64(elemSize) > uint64(len(r.b)-r.off) {
		r.failf(ErrTruncated, "%d elements of %d bytes announced, %d bytes left", n, elemSize, len(r.b)-r.off)
		return 0
	}
	return int(n)
}

// ustr is the inline part of an RPC_UNICODE_STRING ([MS-DTYP] 2.3.10):
// lengths in bytes and the referent of its buffer.
type ustr struct {
	length, maxLength uint16
	ptr               uint32
}

func (r *reader) ustrHeader(name string) ustr {
	h := ustr{length: r.u16(), maxLength: r.u16(), ptr: r.u32()}
	if r.err != nil {
		return h
	}
	switch {
	case h.length > h.maxLength:
		r.failf(ErrMalformed, "%s: Length %d > MaximumLength %d", name, h.length, h.maxLength)
	case h.length%2 != 0:
		r.failf(ErrMalformed, "%s: odd Length %d", name, h.length)
	case h.ptr == 0 && h.length != 0:
		r.failf(ErrMalformed, "%s: Length %d with a null buffer", name, h.length)
	}
	return h
}

// ustrBody reads the deferred buffer of h: a conformant varying array of
// WCHAR (maximum count, offset, actual count, then the characters).
func (r *reader) ustrBody(name string, h ustr) string {
	if h.ptr == 0 || r.err != nil {
		return ""
	}
	maxCount := r.u32()
	offset := r.u32()
	actual := r.count(2)
	if r.err != nil {
		return ""
	}
	switch {
	case offset != 0:
		r.failf(ErrMalformed, "%s: array offset %d, want 0", name, offset)
	case maxCount != uint32(h.maxLength/2):
		r.failf(ErrMalformed, "%s: maximum count %d, MaximumLength %d", name, maxCount, h.maxLength)
	case actual != int(h.length/2):
		r.failf(ErrMalformed, "%s: actual count %d, Length %d", name, actual, h.length)
	}
	if r.err != nil {
		return ""
	}
	s := decodeUTF16(r.b[r.off : r.off+2*actual])
	r.off += 2 * actual
	return s
}

// sid reads a deferred RPC_SID ([MS-DTYP] 2.4.2.3): the conformance (the
// sub-authority count) first, then the structure.
func (r *reader) sid(name string) SID {
	n := r.u32()
	if r.err != nil {
		return SID{}
	}
	rev := r.u8()
	count := r.u8()
	if !r.need(6) {
		return SID{}
	}
	var auth uint64
	for _, c := range r.b[r.off : r.off+6] {
		auth = auth<<8 | uint64(c)
	}
	r.off += 6
	switch {
	case rev != 1:
		r.failf(ErrMalformed, "%s: SID revision %d", name, rev)
	case count > maxSubAuthorities:
		r.failf(ErrMalformed, "%s: %d sub-authorities, at most %d", name, count, maxSubAuthorities)
	case uint32(count) != n:
		r.failf(ErrMalformed, "%s: conformance %d, SubAuthorityCount %d", name, n, count)
	}
	if r.err != nil || !r.need(4*int(count)) {
		return SID{}
	}
	if auth == 0 && count == 0 {
		r.failf(ErrMalformed, "%s: empty SID S-1-0", name)
		return SID{}
	}
	s := SID{Authority: auth, SubAuthorities: make([]uint32, count)}
	for i := range s.SubAuthorities {
		s.SubAuthorities[i] = r.u32()
	}
	return s
}

// groups reads a deferred conformant array of GROUP_MEMBERSHIP whose
// size_is field said n and whose pointer was ptr.
func (r *reader) groups(name string, ptr, n uint32) []GroupMembership {
	if r.err != nil {
		return nil
	}
	if ptr == 0 {
		if n != 0 {
			r.failf(ErrMalformed, "%s: count %d with a null array", name, n)
		}
		return nil
	}
	max := r.count(8)
	if r.err != nil {
		return nil
	}
	if uint32(max) != n {
		r.failf(ErrMalformed, "%s: array of %d, count %d", name, max, n)
		return nil
	}
	if max == 0 {
		return nil
	}
	g := make([]GroupMembership, max)
	for i := range g {
		g[i] = GroupMembership{RID: r.u32(), Attributes: r.u32()}
	}
	return g
}

func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// Type serialization version 1 ([MS-RPCE] 2.2.6): the header that starts
// every NDR-encoded PAC buffer.
const (
	serializationHeaderLen = 16   // common header (8) + private header (8)
	serializationVersion   = 1    // common header: Version
	littleEndian           = 0x10 // common header: Endianness, little-endian ASCII
)

// serialized checks the type serialization headers at the start of b and
// returns the serialized object: the ObjectBufferLength bytes after them.
func serialized(what string, b []byte) ([]byte, error) {
	if len(b) < serializationHeaderLen {
		return nil, fmt.Errorf("%w: %s: %d bytes, shorter than the type serialization header", ErrTruncated, what, len(b))
	}
	switch {
	case b[0] != serializationVersion:
		return nil, fmt.Errorf("%w: %s: type serialization version %d, want 1", ErrMalformed, what, b[0])
	case b[1] != littleEndian:
		return nil, fmt.Errorf("%w: %s: NDR endianness %#x, only little-endian (0x10) is supported", ErrMalformed, what, b[1])
	case binary.LittleEndian.Uint16(b[2:]) != 8:
		return nil, fmt.Errorf("%w: %s: common header length %d, want 8", ErrMalformed, what, binary.LittleEndian.Uint16(b[2:]))
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if uint64(n) > uint64(len(b)-serializationHeaderLen) {
		return nil, fmt.Errorf("%w: %s: object buffer length %d, %d bytes follow the header", ErrTruncated, what, n, len(b)-serializationHeaderLen)
	}
	return b[serializationHeaderLen : serializationHeaderLen+int(n)], nil
}
