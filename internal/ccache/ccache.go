package ccache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Format versions this package reads.
const (
	Version3 = 0x0503
	Version4 = 0x0504
)

// ConfigRealm is the realm of the server principal of a configuration entry.
const ConfigRealm = "X-CACHECONF:"

// ErrFormat is wrapped by every error about a file's contents: a version
// this package does not read, a truncated field, a length past the end.
var ErrFormat = errors.New("ccache: malformed credential cache")

// Principal is a Kerberos principal name as a ccache stores it.
type Principal struct {
	NameType   uint32
	Realm      string
	Components []string
}

// String returns the principal in the form of krb5_unparse_name: the
// components joined by "/", then "@" and the realm, with "/", "@", "\" and
// the control characters NUL, TAB, LF and BS escaped by a backslash inside a
// component (and "@" and "\" inside the realm), so that the result names
// exactly one principal. "svc/admin@EXAMPLE.TEST" is two components.
func (p Principal) String() string {
	var b strings.Builder
	for i, c := range p.Components {
		if i > 0 {
			b.WriteByte('/')
		}
		writeEscaped(&b, c, false)
	}
	b.WriteByte('@')
	writeEscaped(&b, p.Realm, true)
	return b.String()
}

func writeEscaped(b *strings.Builder, s string, realm bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '/':
			if realm {
				b.WriteByte(c)
			} else {
				b.WriteString(`\/`)
			}
		case '@':
			b.WriteString(`\@`)
		case '\\':
			b.WriteString(`\\`)
		case 0:
			b.WriteString(`\0`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\b':
			b.WriteString(`\b`)
		default:
			b.WriteByte(c)
		}
	}
}

// Credential is one entry of a cache: a ticket, or a configuration entry.
// A time the file holds as 0 is the zero [time.Time].
type Credential struct {
	Client Principal
	Server Principal

	// AuthTime is when the client first authenticated (the initial
	// ticket's issue time).
	AuthTime time.Time
	// StartTime is when the ticket becomes valid; zero means AuthTime.
	StartTime time.Time
	// EndTime is when the ticket expires.
	EndTime time.Time
	// RenewTill is the end of the ticket's renewable life, or zero.
	RenewTill time.Time

	// Flags are the ticket flags as MIT stores them: the most significant
	// bit is RFC 4120's flag 0 (reserved), forwardable is 0x40000000.
	Flags uint32
	// IsSKey is set for a user-to-user ticket.
	IsSKey bool
	// KeyType is the session key's encryption type (18 is
	// aes256-cts-hmac-sha1-96). The key itself is not kept.
	KeyType uint16
}

// IsConfig reports whether c is a configuration entry rather than a ticket.
func (c *Credential) IsConfig() bool { return c.Server.Realm == ConfigRealm }

// removedAuthTime is the authtime, -1 as an unsigned 32-bit count of
// seconds, with which MIT krb5 (1.19 and later) and Heimdal mark a removed
// entry.
const removedAuthTime = 1<<32 - 1

// removedConfigRealm replaces ConfigRealm in a configuration entry that
// Heimdal removed.
const removedConfigRealm = "X-RMED-CONF:"

// IsRemoved reports whether c was removed in place. MIT krb5 and Heimdal
// remove an entry from a FILE cache by overwriting its endtime with 0 and
// its authtime with -1, and Heimdal renames the realm of a removed
// configuration entry "X-RMED-CONF:". klist of MIT krb5 1.20 hides the
// former, as [Cache.Tickets] does. (Heimdal also hides any entry of endtime
// 0 and non-zero authtime; such an entry has expired anyway.)
func (c *Credential) IsRemoved() bool {
	return c.EndTime.IsZero() && c.AuthTime.Unix() == removedAuthTime || c.Server.Realm == removedConfigRealm
}

// Start returns when the ticket became valid, as klist shows it: StartTime,
// or AuthTime when StartTime is zero.
func (c *Credential) Start() time.Time {
	if c.StartTime.IsZero() {
		return c.AuthTime
	}
	return c.StartTime
}

// Cache is a parsed credential cache.
type Cache struct {
	// Version is Version3 or Version4.
	Version int
	// KDCOffset is the KDC's clock minus the client's, from the version 4
	// header's time-offset field, or 0.
	KDCOffset time.Duration
	// Default is the cache's default (client) principal.
	Default Principal
	// Credentials are the entries in file order, configuration entries
	// included.
	Credentials []Credential
}

// Tickets returns the real credentials: those that are neither
// configuration entries nor removed, the ones klist lists.
func (c *Cache) Tickets() []Credential {
	var out []Credential
	for _, cr := range c.Credentials {
		if !cr.IsConfig() && !cr.IsRemoved() {
			out = append(out, cr)
		}
	}
	return out
}

// LatestEnd returns the latest EndTime of the cache's tickets, ignoring
// configuration and removed entries, and false when there are no tickets.
// A cache whose LatestEnd is not after now holds nothing usable.
func (c *Cache) LatestEnd() (time.Time, bool) {
	var end time.Time
	found := false
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		if cr.IsConfig() || cr.IsRemoved() {
			continue
		}
		if !found || cr.EndTime.After(end) {
			end, found = cr.EndTime, true
		}
	}
	return end, found
}

// MaxFileSize is the largest file ReadFile reads. A delegated ticket-granting
// ticket takes about 1 KiB, or up to about 50 KiB with a large Active
// Directory PAC.
const MaxFileSize = 4 << 20

// ReadFile reads and parses the cache file name. It fails for a file over
// [MaxFileSize] bytes without reading it whole.
func ReadFile(name string) (*Cache, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// Read reads a cache from r, at most [MaxFileSize] bytes, and parses it.
func Read(r io.Reader) (*Cache, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrFormat, MaxFileSize)
	}
	return Parse(data)
}

// Parse parses a whole cache file. It reports an error wrapping [ErrFormat]
// for any defect, including a truncated last credential; it never panics.
func Parse(data []byte) (*Cache, error) {
	d := decoder{buf: data}
	c := &Cache{}
	v := d.u16()
	if d.err == nil && v != Version3 && v != Version4 {
		return nil, fmt.Errorf("%w: version %#04x, want 0x0503 or 0x0504", ErrFormat, v)
	}
	c.Version = int(v)
	if v == Version4 {
		c.KDCOffset = d.header()
	}
	c.Default = d.principal()
	// Count the credentials first, allocating nothing, so that the slice
	// is made once at its size: growing it by appending would allocate
	// several times the file's size for a file of minimal credentials.
	start := d.off
	d.skip = true
	n := 0
	for d.err == nil && d.remaining() > 0 {
		d.credential(c.Version)
		n++
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %s at offset %d", ErrFormat, d.err.msg, d.err.off)
	}
	d.off, d.skip = start, false
	if n > 0 {
		c.Credentials = make([]Credential, n)
	}
	for i := range c.Credentials {
		c.Credentials[i] = d.credential(c.Version)
	}
	if d.err != nil { // cannot happen: the first pass read the same bytes
		return nil, fmt.Errorf("%w: %s at offset %d", ErrFormat, d.err.msg, d.err.off)
	}
	return c, nil
}

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
