package ccache

import (
	"encoding/binary"
	"time"
)

// Marshal encodes c in its Version (Version3 or Version4; anything else is
// written as Version4). It exists for tests and fixtures: [Cache] keeps no
// keys, tickets, addresses or authdata, so each credential is written with
// an empty key of its KeyType and empty tickets, which krb5 can list but not
// use. Parse(c.Marshal()) gives back c, times truncated to seconds.
func (c *Cache) Marshal() []byte {
	version := c.Version
	if version != Version3 {
		version = Version4
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(version))
	if version == Version4 {
		if c.KDCOffset == 0 {
			b = binary.BigEndian.AppendUint16(b, 0)
		} else {
			sec := c.KDCOffset / time.Second
			usec := (c.KDCOffset % time.Second) / time.Microsecond
			b = binary.BigEndian.AppendUint16(b, 12)
			b = binary.BigEndian.AppendUint16(b, 1)
			b = binary.BigEndian.AppendUint16(b, 8)
			b = binary.BigEndian.AppendUint32(b, uint32(int32(sec)))
			b = binary.BigEndian.AppendUint32(b, uint32(int32(usec)))
		}
	}
	b = appendPrincipal(b, c.Default)
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		b = appendPrincipal(b, cr.Client)
		b = appendPrincipal(b, cr.Server)
		b = binary.BigEndian.AppendUint16(b, cr.KeyType)
		if version == Version3 {
			b = binary.BigEndian.AppendUint16(b, cr.KeyType)
		}
		b = appendData(b, "") // key
		for _, t := range []time.Time{cr.AuthTime, cr.StartTime, cr.EndTime, cr.RenewTill} {
			b = binary.BigEndian.AppendUint32(b, unix32(t))
		}
		skey := byte(0)
		if cr.IsSKey {
			skey = 1
		}
		b = append(b, skey)
		b = binary.BigEndian.AppendUint32(b, cr.Flags)
		b = binary.BigEndian.AppendUint32(b, 0) // addresses
		b = binary.BigEndian.AppendUint32(b, 0) // authdata
		b = appendData(b, "")                   // ticket
		b = appendData(b, "")                   // second ticket
	}
	return b
}

func appendPrincipal(b []byte, p Principal) []byte {
	b = binary.BigEndian.AppendUint32(b, p.NameType)
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.Components)))
	b = appendData(b, p.Realm)
	for _, c := range p.Components {
		b = appendData(b, c)
	}
	return b
}

func appendData(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// unix32 is t as the file stores it: 0 for the zero Time, else the seconds
// since 1970 modulo 2^32.
func unix32(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	return uint32(t.Unix())
}
