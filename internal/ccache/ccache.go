package ccache

import (
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
