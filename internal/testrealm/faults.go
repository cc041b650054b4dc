package testrealm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// Helpers for fault and bad-input tests: key rotation, service tickets
// fetched ahead of time, a second KDC for the same realm (on a shifted
// clock, say), and ccache rewrites that make a client believe what the KDC
// never said.

// MasterPassword is the password of every throwaway database's master key.
// It protects nothing; tests look for it in logs.
const MasterPassword = masterPassword

// Kadmin runs one kadmin.local query on the realm's database and returns
// its output. It fails when the query fails (kadmin.local itself exits 0).
func (r *Realm) Kadmin(query string) (string, error) { return r.kadmin(query) }

// ktaddKVNO finds the key version in ktadd's "Entry for principal P with
// kvno N, ..." lines.
var ktaddKVNO = regexp.MustCompile(`with kvno (\d+)`)

// RotateKey gives principal a new random key, as an administrator rotating
// a service key does, and appends it to the keytab at path (ktadd without
// -norandkey): the keytab then holds the old key versions and the new one.
// It returns the new key version.
func (r *Realm) RotateKey(path, principal string) (int, error) {
	out, err := r.kadmin(fmt.Sprintf("ktadd -k %s %s", path, principal))
	if err != nil {
		return 0, err
	}
	m := ktaddKVNO.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return 0, fmt.Errorf("testrealm: no key version in ktadd's output: %s", out)
	}
	return strconv.Atoi(m[len(m)-1][1])
}

// RemoveOldKeys removes from the keytab at path every key of principal but
// the newest version (ktremove ... old).
func (r *Realm) RemoveOldKeys(path, principal string) error {
	_, err := r.kadmin(fmt.Sprintf("ktremove -k %s %s old", path, principal))
	return err
}

// ServiceTicket gets a ticket for principal ("HTTP/localhost@OTHER.TEST")
// into the ccache file at path, which must hold a TGT, with kvno. A
// process that does not know this realm's KDC can then make tokens for
// principal from that ccache: the library finds the ticket in the cache
// and asks no KDC.
func (r *Realm) ServiceTicket(path, principal string) error {
	_, err := r.run(nil, "kvno", "-c", "FILE:"+path, principal)
	return err
}

// StartCopy starts a second KDC for r's realm, on its own port, from a
// copy of r's database in dir (new or empty): the same principals and the
// same keys, so its tickets are good wherever r's are. env is added to the
// second KDC's environment only, for example a shifted clock:
//
//	LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 FAKETIME=-1h
//
// Changes to either database after the copy stay there. Stop the copy with
// Close.
func (r *Realm) StartCopy(dir string, env ...string) (*Realm, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("testrealm: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("testrealm: %w", err)
	}
	c, err := newRealm(dir, r.Name)
	if err != nil {
		return nil, err
	}
	if err := c.startCopyOf(r, env); err != nil {
		c.unlock()
		return nil, err
	}
	return c, nil
}

func (c *Realm) startCopyOf(r *Realm, env []string) error {
	dump := filepath.Join(c.Dir, "principal.dump")
	if _, err := r.run(nil, "kdb5_util", "-r", r.Name, "dump", dump); err != nil {
		return err
	}
	stash, err := os.ReadFile(filepath.Join(r.Dir, "stash"))
	if err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.Dir, "stash"), stash, 0o600); err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	return c.startOnFreePort(c.writeConfig, []string{"load", dump}, env...)
}

// RewriteCCache rewrites the FILE ccache (format version 4) at path in
// place of what the KDC wrote:
//
//   - the header's KDC time offset becomes offset (none when 0). MIT's
//     library adds it to the clock of a process that uses the cache, as if
//     the KDC's clock were that far ahead: a client whose authenticators
//     are outside the server's clock skew;
//   - when end is not zero, every credential's end time becomes end: a
//     client that believes its expired tickets are still good and sends
//     them. The tickets themselves, which the KDC encrypted, keep their
//     real end time.
func RewriteCCache(path string, offset time.Duration, end time.Time) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	out, err := rewriteCCache(b, offset, end)
	if err != nil {
		return fmt.Errorf("testrealm: %s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o600)
}

func rewriteCCache(b []byte, offset time.Duration, end time.Time) ([]byte, error) {
	p := ccacheWalker{b: b}
	if p.u16() != 0x0504 {
		return nil, errors.New("not a version 4 ccache")
	}
	hlen := int(p.u16())
	p.skip(hlen)
	if p.err != nil {
		return nil, p.err
	}
	var header []byte
	if offset != 0 {
		sec, usec := int32(offset/time.Second), int32(offset%time.Second/time.Microsecond)
		header = binary.BigEndian.AppendUint16(header, 1) // tag: KDC time offset
		header = binary.BigEndian.AppendUint16(header, 8)
		header = binary.BigEndian.AppendUint32(header, uint32(sec))
		header = binary.BigEndian.AppendUint32(header, uint32(usec))
	}
	out := binary.BigEndian.AppendUint16(nil, 0x0504)
	out = binary.BigEndian.AppendUint16(out, uint16(len(header)))
	out = append(out, header...)
	body := p.off
	out = append(out, b[body:]...)
	if end.IsZero() {
		return out, nil
	}
	// Walk the credentials and patch each end time in out.
	shift := len(out) - len(b)
	p.principal() // default principal
	for p.err == nil && p.off < len(b) {
		p.principal()     // client
		p.principal()     // server
		p.u16()           // key type
		p.skip(p.u32i())  // key
		p.skip(4 + 4)     // auth time, start time
		at := p.off       // end time
		p.skip(4 + 4 + 1) // end time, renew till, is_skey
		p.skip(4)         // ticket flags
		for range p.u32i() {
			p.u16()
			p.skip(p.u32i())
		}
		for range p.u32i() {
			p.u16()
			p.skip(p.u32i())
		}
		p.skip(p.u32i()) // ticket
		p.skip(p.u32i()) // second ticket
		if p.err == nil {
			binary.BigEndian.PutUint32(out[at+shift:], uint32(end.Unix()))
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return out, nil
}

// ccacheWalker reads the big-endian fields of a ccache file.
type ccacheWalker struct {
	b   []byte
	off int
	err error
}

func (p *ccacheWalker) skip(n int) {
	if p.err == nil && (n < 0 || n > len(p.b)-p.off) {
		p.err = errors.New("truncated ccache")
	}
	if p.err == nil {
		p.off += n
	}
}

func (p *ccacheWalker) u16() uint16 {
	at := p.off
	p.skip(2)
	if p.err != nil {
		return 0
	}
	return binary.BigEndian.Uint16(p.b[at:])
}

func (p *ccacheWalker) u32i() int {
	at := p.off
	p.skip(4)
	if p.err != nil {
		return 0
	}
	n := binary.BigEndian.Uint32(p.b[at:])
	if n > 1<<20 {
		p.err = errors.New("implausible length in ccache")
		return 0
	}
	return int(n)
}

func (p *ccacheWalker) principal() {
	p.skip(4) // name type
	n := p.u32i()
	p.skip(p.u32i()) // realm
	for range n {
		p.skip(p.u32i())
	}
}
