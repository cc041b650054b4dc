package ccache

import (
	"encoding/binary"
	"time"
)

// decodeError is a defect at an offset.
type decodeError struct {
	msg string
	off int
}

// decoder reads big-endian fields from buf. After the first failure every
// read returns zero values and err keeps the first failure.
type decoder struct {
	buf  []byte
	off  int
	err  *decodeError
	skip bool // check the structure, but build no principals
}

func (d *decoder) remaining() int { return len(d.buf) - d.off }

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = &decodeError{msg, d.off}
	}
}

// bytes returns the next n bytes, a sub-slice of buf, or nil after a
// failure.
func (d *decoder) bytes(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.remaining() {
		d.fail("truncated " + what)
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

func (d *decoder) u8(what string) uint8 {
	b := d.bytes(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

func (d *decoder) u16() uint16 {
	b := d.bytes(2, "16-bit field")
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (d *decoder) u32() uint32 {
	b := d.bytes(4, "32-bit field")
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// data returns a counted byte string, still a sub-slice of buf. The length is
// checked against the bytes that remain before anything is sliced.
func (d *decoder) data(what string) []byte {
	n := d.u32()
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(d.remaining()) {
		d.fail(what + " length past the end")
		return nil
	}
	return d.bytes(int(n), what)
}

func (d *decoder) time() time.Time {
	s := d.u32()
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(int64(s), 0)
}

// header reads the version 4 header and returns the time offset it holds,
// if any. Unknown tags are skipped, as MIT and Heimdal do.
func (d *decoder) header() time.Duration {
	n := d.u16()
	h := decoder{buf: d.bytes(int(n), "header")}
	if d.err != nil {
		return 0
	}
	var offset time.Duration
	for h.err == nil && h.remaining() > 0 {
		tag := h.u16()
		val := h.bytes(int(h.u16()), "header field")
		if h.err == nil && tag == 1 { // DeltaTime: seconds, microseconds
			if len(val) != 8 {
				h.fail("time offset field of length other than 8")
				break
			}
			sec := int32(binary.BigEndian.Uint32(val))
			usec := int32(binary.BigEndian.Uint32(val[4:]))
			offset = time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
		}
	}
	if h.err != nil {
		d.err = &decodeError{h.err.msg, 4 + h.err.off}
	}
	return offset
}

func (d *decoder) principal() Principal {
	var p Principal
	p.NameType = d.u32()
	count := d.u32()
	if d.err != nil {
		return p
	}
	// Each component takes at least its 4-byte length, and the realm too:
	// a count the rest of the input cannot hold is refused before any
	// allocation.
	if uint64(count)+1 > uint64(d.remaining()/4) {
		d.fail("component count past the end")
		return p
	}
	if d.skip {
		d.data("realm")
		for range count {
			if d.data("component"); d.err != nil {
				break
			}
		}
		return p
	}
	p.Realm = string(d.data("realm"))
	if count > 0 {
		p.Components = make([]string, 0, count)
	}
	for range count {
		c := d.data("component")
		if d.err != nil {
			break
		}
		p.Components = append(p.Components, string(c))
	}
	return p
}

// skipList skips addresses or authdata: a count, then count entries of a
// 16-bit type and a data field, each at least 6 bytes.
func (d *decoder) skipList(what string) {
	count := d.u32()
	if d.err != nil {
		return
	}
	if uint64(count) > uint64(d.remaining()/6) {
		d.fail(what + " count past the end")
		return
	}
	for range count {
		d.u16()
		d.data(what)
		if d.err != nil {
			return
		}
	}
}

func (d *decoder) credential(version int) Credential {
	var c Credential
	c.Client = d.principal()
	c.Server = d.principal()
	c.KeyType = d.u16()
	if version == Version3 {
		d.u16() // the enctype again; MIT ignores it
	}
	d.data("key")
	c.AuthTime = d.time()
	c.StartTime = d.time()
	c.EndTime = d.time()
	c.RenewTill = d.time()
	c.IsSKey = d.u8("is_skey") != 0
	c.Flags = d.u32()
	d.skipList("address")
	d.skipList("authdata")
	d.data("ticket")
	d.data("second ticket")
	return c
}
