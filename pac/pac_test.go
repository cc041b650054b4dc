package pac

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustSID(t testing.TB, s string) SID {
	t.Helper()
	sid, err := ParseSID(s)
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

// syntheticLogonInfo has every kind of SID: domain groups, extra SIDs and
// resource groups, with a duplicate among them.
func syntheticLogonInfo(t testing.TB) *LogonInfo {
	return &LogonInfo{
		LogonTime:       time.Date(2026, 12, 8, 1, 2, 3, 400, time.UTC),
		LogoffTime:      filetime(0x7fffffffffffffff),
		EffectiveName:   "alice",
		FullName:        "Alice Ünïcødé 😀",
		HomeDirectory:   `\\fs\alice`,
		LogonCount:      3,
		UserID:          1102,
		PrimaryGroupID:  513,
		GroupIDs:        []GroupMembership{{513, 7}, {1103, 7}, {1104, 7}},
		UserFlags:       UserFlagExtraSIDs | UserFlagResourceGroups,
		LogonServer:     "DC",
		LogonDomainName: "ADEX",
		LogonDomainID:   mustSID(t, "S-1-5-21-1-2-3"),
		ExtraSIDs: []SIDAndAttributes{
			{mustSID(t, "S-1-18-1"), 7},
			{mustSID(t, "S-1-5-21-9-9-9-1000"), 7},
			{mustSID(t, "S-1-5-21-1-2-3-1103"), 7}, // a duplicate of a GroupIDs entry
		},
		ResourceGroupDomainSID: mustSID(t, "S-1-5-21-7-7-7"),
		ResourceGroupIDs:       []GroupMembership{{2001, GroupResource | 7}, {2002, GroupResource | 7}},
	}
}

func TestSyntheticPAC(t *testing.T) {
	l := syntheticLogonInfo(t)
	del := &DelegationInfo{S4U2ProxyTarget: "HTTP/backend", S4UTransitedServices: []string{"websvc@AD.EXAMPLE.TEST", "front@AD.EXAMPLE.TEST"}}
	upn := &UPNDNSInfo{UPN: "alice@ad.example.test", DNSDomainName: "AD.EXAMPLE.TEST", Flags: UPNHasSAMNameSID, SAMName: "alice", SID: mustSID(t, "S-1-5-21-1-2-3-1102")}
	ci := &ClientInfo{ClientID: time.Date(2026, 12, 8, 1, 2, 3, 0, time.UTC), Name: "alice"}
	sig := append(binary.LittleEndian.AppendUint32(nil, 16), make([]byte, 12)...)
	kdcSig := append(append(binary.LittleEndian.AppendUint32(nil, uint32(0xffffff76)), make([]byte, 16)...), 0x34, 0x12)
	b := buildPAC(
		Buffer{Type: TypeLogonInfo, Data: encodeLogonInfo(l)},
		Buffer{Type: TypeClientInfo, Data: encodeClientInfo(ci)},
		Buffer{Type: TypeUPNDNSInfo, Data: encodeUPNDNSInfo(upn)},
		Buffer{Type: TypeDelegationInfo, Data: encodeDelegationInfo(del)},
		Buffer{Type: TypeAttributes, Data: []byte{2, 0, 0, 0, 1, 0, 0, 0}},
		Buffer{Type: TypeRequestor, Data: binarySID(mustSID(t, "S-1-5-21-1-2-3-1102"))},
		Buffer{Type: TypeServerChecksum, Data: sig},
		Buffer{Type: TypeKDCChecksum, Data: kdcSig},
		Buffer{Type: 99, Data: []byte("unknown")},
		Buffer{Type: 99, Data: []byte("twice is fine for a type we do not decode")},
	)
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.LogonInfo, l) {
		t.Errorf("logon info:\n%+v\nwant\n%+v", p.LogonInfo, l)
	}
	if !reflect.DeepEqual(p.DelegationInfo, del) || !reflect.DeepEqual(p.UPNDNSInfo, upn) || !reflect.DeepEqual(p.ClientInfo, ci) {
		t.Errorf("delegation %+v, UPN %+v, client %+v", p.DelegationInfo, p.UPNDNSInfo, p.ClientInfo)
	}
	if p.Attributes == nil || p.Attributes.Flags != AttributePACWasRequested || p.Attributes.FlagsLength != 2 {
		t.Errorf("attributes %+v", p.Attributes)
	}
	if p.RequestorSID.String() != "S-1-5-21-1-2-3-1102" {
		t.Errorf("requestor %v", p.RequestorSID)
	}
	if p.ServerChecksum == nil || p.ServerChecksum.Type != ChecksumHMACSHA196AES256 || len(p.ServerChecksum.Value) != 12 {
		t.Errorf("server checksum %+v", p.ServerChecksum)
	}
	if p.KDCChecksum == nil || p.KDCChecksum.Type != ChecksumHMACMD5 || len(p.KDCChecksum.Value) != 16 || p.KDCChecksum.RODCIdentifier != 0x1234 {
		t.Errorf("KDC checksum %+v", p.KDCChecksum)
	}
	if got, ok := p.Buffer(99); !ok || string(got) != "unknown" {
		t.Errorf("Buffer(99) = %q, %v", got, ok)
	}
	if l.LogoffTime.Year() != 30828 {
		t.Errorf("never is %v", l.LogoffTime)
	}

	if got := l.UserSID(); got != "S-1-5-21-1-2-3-1102" {
		t.Errorf("UserSID %s", got)
	}
	if got := l.PrimaryGroupSID(); got != "S-1-5-21-1-2-3-513" {
		t.Errorf("PrimaryGroupSID %s", got)
	}
	want := []string{
		"S-1-5-21-1-2-3-513", "S-1-5-21-1-2-3-1103", "S-1-5-21-1-2-3-1104",
		"S-1-18-1", "S-1-5-21-9-9-9-1000",
		"S-1-5-21-7-7-7-2001", "S-1-5-21-7-7-7-2002",
	}
	if got := l.GroupSIDs(); !slices.Equal(got, want) {
		t.Errorf("GroupSIDs\n%v\nwant\n%v", got, want)
	}
	if g := l.Groups(); len(g) != len(want) || g[5].Attributes != GroupResource|7 {
		t.Errorf("Groups %+v", g)
	}

	// The flags say which lists count.
	l.UserFlags = 0
	if got := l.GroupSIDs(); !slices.Equal(got, want[:3]) {
		t.Errorf("GroupSIDs without the D and H flags: %v", got)
	}
	l.UserFlags = UserFlagResourceGroups
	if got := l.GroupSIDs(); !slices.Equal(got, append(slices.Clip(want[:3]), want[5:]...)) {
		t.Errorf("GroupSIDs with the H flag only: %v", got)
	}
}

func TestDuplicateBufferRefused(t *testing.T) {
	li := encodeLogonInfo(syntheticLogonInfo(t))
	_, err := Parse(buildPAC(Buffer{Type: TypeLogonInfo, Data: li}, Buffer{Type: TypeLogonInfo, Data: li}))
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "two logon-info buffers") {
		t.Errorf("two logon-info buffers: %v", err)
	}
}

// TestEveryPrefixFails: no strict prefix of a real PAC or logon-info
// buffer decodes, and every failure is one of the two sentinel errors.
func TestEveryPrefixFails(t *testing.T) {
	for _, file := range testdataPACs(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		end := 0
		for _, buf := range p.Buffers {
			end = max(end, int(buf.Offset)+len(buf.Data))
		}
		for n := range b {
			_, err := Parse(b[:n])
			if n < end && err == nil {
				t.Errorf("%s: prefix of %d bytes (buffers end at %d) parsed", file, n, end)
			}
			if err != nil && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: prefix of %d: error wraps no sentinel: %v", file, n, err)
			}
		}
		// The logon-info buffer, cut anywhere with its header's object
		// length cut to match, so the cut falls inside the NDR walk.
		li, _ := p.Buffer(TypeLogonInfo)
		for n := serializationHeaderLen; n < len(li); n++ {
			cut := append([]byte(nil), li[:n]...)
			binary.LittleEndian.PutUint32(cut[8:], uint32(n-serializationHeaderLen))
			l, err := ParseLogonInfo(cut)
			if err == nil {
				// Only the padding after the last referent may go.
				full, _ := ParseLogonInfo(li)
				if !reflect.DeepEqual(l, full) {
					t.Errorf("%s: logon info cut at %d parsed differently", file, n)
				}
				continue
			}
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: logon info cut at %d: %v", file, n, err)
			}
		}
	}
}

// patch returns a copy of b with v written at off as a little-endian
// 32-bit word.
func patch(b []byte, off int, v uint32) []byte {
	c := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(c[off:], v)
	return c
}

func TestHostileContainer(t *testing.T) {
	alice, err := os.ReadFile(filepath.Join("testdata", "samba-alice.pac"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    []byte
		err  error
		msg  string
	}{
		{"empty", nil, ErrTruncated, "PAC of 0 bytes"},
		{"no buffers", make([]byte, 8), ErrMalformed, "no buffers"},
		{"version 1", patch(alice, 4, 1), ErrMalformed, "version 1"},
		{"4 billion buffers", patch(alice, 0, 0xffffffff), ErrTruncated, "4294967295 buffers"},
		{"offset inside header", patch(alice, 16, 8), ErrMalformed, "inside the PAC header"},
		{"unaligned offset", patch(alice, 16, 0x79), ErrMalformed, "8-byte boundary"},
		{"size past the end", patch(alice, 12, 0x10000), ErrTruncated, "of 65536 bytes at offset"},
		{"offset past the end", patch(patch(alice, 16, 0xfffffff8), 20, 0xffffffff), ErrTruncated, "at offset 18446744073709551608"},
	} {
		_, err := Parse(c.b)
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want %v with %q", c.name, err, c.err, c.msg)
		}
	}
}

// logonInfoOffsets are offsets into samba-alice.pac's logon-info buffer,
// counted from the buffer's start (the type serialization header is 16
// bytes, the referent 4, the six FILETIMEs 48).
const (
	offEffectiveName = 16 + 4 + 48 // Length, MaximumLength, pointer
	offGroupCount    = offEffectiveName + 6*8 + 2*2 + 2*4
	offGroupsPtr     = offGroupCount + 4
	offUserFlags     = offGroupsPtr + 4
	offDomainIDPtr   = offUserFlags + 4 + 16 + 2*8
)

func aliceLogonInfo(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samba-alice.pac"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	li, _ := p.Buffer(TypeLogonInfo)
	return append([]byte(nil), li...)
}

func TestHostileLogonInfo(t *testing.T) {
	li := aliceLogonInfo(t)
	if l, err := ParseLogonInfo(li); err != nil || l.EffectiveName != "alice" || len(l.GroupIDs) != 3 {
		t.Fatalf("the offsets below are wrong for this buffer: %v", err)
	}
	withBytes := func(off int, v ...byte) []byte {
		c := append([]byte(nil), li...)
		copy(c[off:], v)
		return c
	}
	for _, c := range []struct {
		name string
		b    []byte
		err  error
		msg  string
	}{
		{"short", li[:10], ErrTruncated, "shorter than the type serialization header"},
		{"big-endian", withBytes(1, 0x00), ErrMalformed, "only little-endian"},
		{"version 2", withBytes(0, 2), ErrMalformed, "version 2"},
		{"header length", withBytes(2, 16), ErrMalformed, "common header length 16"},
		{"object length past the end", patch(li, 8, uint32(len(li))), ErrTruncated, "object buffer length"},
		{"null top pointer", patch(li, 16, 0), ErrMalformed, "null KERB_VALIDATION_INFO"},
		{"Length > MaximumLength", withBytes(offEffectiveName, 12, 0, 10, 0), ErrMalformed, "EffectiveName: Length 12 > MaximumLength 10"},
		{"odd Length", withBytes(offEffectiveName, 9, 0, 10, 0), ErrMalformed, "odd Length 9"},
		{"Length with a null buffer", patch(li, offEffectiveName+4, 0), ErrMalformed, "null buffer"},
		{"GroupCount disagrees", patch(li, offGroupCount, 4), ErrMalformed, "GroupIds: array of 3, count 4"},
		{"GroupCount with a null array", patch(li, offGroupsPtr, 0), ErrMalformed, "count 3 with a null array"},
		// With the pointer gone, the SID's bytes are read as what follows it.
		{"LogonDomainId pointer cleared", patch(li, offDomainIDPtr, 0), ErrMalformed, "ExtraSids: array of 4, SidCount 1"},
		{"no LogonDomainId", encodeLogonInfo(&LogonInfo{EffectiveName: "x"}), ErrMalformed, "no LogonDomainId"},
		{"resource groups without their domain", encodeLogonInfo(&LogonInfo{LogonDomainID: mustSID(t, "S-1-5-21-1"),
			ResourceGroupIDs: []GroupMembership{{1, 7}}}), ErrMalformed, "1 resource groups without ResourceGroupDomainSid"},
	} {
		_, err := ParseLogonInfo(c.b)
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want %v with %q", c.name, err, c.err, c.msg)
		}
	}
}

// TestHostileCounts: counts far beyond the input fail before anything of
// their size is allocated.
func TestHostileCounts(t *testing.T) {
	l := syntheticLogonInfo(t)

	// The GroupIds array's conformance follows the strings; find it by
	// encoding with a marker count.
	l2 := *l
	l2.GroupIDs = nil
	for i := range 3 {
		l2.GroupIDs = append(l2.GroupIDs, GroupMembership{RID: 0xdead0000 + uint32(i), Attributes: 7})
	}
	li2 := encodeLogonInfo(&l2)
	at := strings.Index(string(li2), string(binary.LittleEndian.AppendUint32(nil, 0xdead0000))) - 4
	if at < 0 || binary.LittleEndian.Uint32(li2[at:]) != 3 {
		t.Fatal("no GroupIds conformance found")
	}
	huge := patch(patch(li2, offGroupCount, 0x1fffffff), at, 0x1fffffff)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ParseLogonInfo(huge)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "536870911 elements") {
		t.Errorf("a count of 2^29 groups: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("a count of 2^29 groups allocated %d bytes", grew)
	}

}

func TestHostileBuffers(t *testing.T) {
	upn := encodeUPNDNSInfo(&UPNDNSInfo{UPN: "a@b", DNSDomainName: "B", Flags: UPNHasSAMNameSID, SAMName: "a", SID: mustSID(t, "S-1-5-21-1-2-3-4")})
	for _, c := range []struct {
		name string
		f    func() error
		err  error
		msg  string
	}{
		{"UPN short", func() error { _, err := ParseUPNDNSInfo(upn[:11]); return err }, ErrTruncated, "UPN DNS info of 11 bytes"},
		{"UPN extended short", func() error { _, err := ParseUPNDNSInfo(upn[:19]); return err }, ErrTruncated, "extended UPN DNS info"},
		{"UPN offset past the end", func() error {
			c := append([]byte(nil), upn...)
			binary.LittleEndian.PutUint16(c[2:], 0xfff0)
			_, err := ParseUPNDNSInfo(c)
			return err
		}, ErrTruncated, "UPN of 6 bytes at offset 65520"},
		{"UPN odd length", func() error {
			c := append([]byte(nil), upn...)
			binary.LittleEndian.PutUint16(c[0:], 5)
			_, err := ParseUPNDNSInfo(c)
			return err
		}, ErrMalformed, "odd length 5"},
		{"UPN SID of 3 bytes", func() error {
			c := append([]byte(nil), upn...)
			binary.LittleEndian.PutUint16(c[16:], 3)
			_, err := ParseUPNDNSInfo(c)
			return err
		}, ErrTruncated, "SID of 3 bytes"},
		{"client info name past the end", func() error {
			_, err := ParseClientInfo([]byte{0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 'a', 0})
			return err
		}, ErrTruncated, "NameLength 40"},
		{"delegation: list size disagrees", func() error {
			b := encodeDelegationInfo(&DelegationInfo{S4U2ProxyTarget: "HTTP/x", S4UTransitedServices: []string{"a"}})
			_, err := ParseDelegationInfo(patch(b, serializationHeaderLen+4+8, 2))
			return err
		}, ErrMalformed, "transited list of 1, TransitedListSize 2"},
		{"signature short", func() error {
			_, err := parseSignature(TypeServerChecksum, []byte{16, 0, 0, 0, 1, 2})
			return err
		}, ErrTruncated, "needs 12 bytes, 2 left"},
		{"attributes: more bits than bytes", func() error {
			_, err := parseAttributes([]byte{64, 0, 0, 0, 1, 0, 0, 0})
			return err
		}, ErrTruncated, "64 flag bits"},
		{"requestor SID revision 2", func() error {
			_, err := parseBinarySID([]byte{2, 0, 0, 0, 0, 0, 0, 5})
			return err
		}, ErrMalformed, "revision 2"},
		{"requestor SID of 16 sub-authorities", func() error {
			_, err := parseBinarySID(append([]byte{1, 16, 0, 0, 0, 0, 0, 5}, make([]byte, 64)...))
			return err
		}, ErrMalformed, "16 sub-authorities"},
	} {
		err := c.f()
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want %v with %q", c.name, err, c.err, c.msg)
		}
	}
}

func TestSIDs(t *testing.T) {
	for _, s := range []string{"S-1-5-21-1448959046-2359161111-1218375665-1102", "S-1-18-1", "S-1-5", "S-1-0x123456789ABC-1", "S-1-4294967295-4294967295"} {
		sid, err := ParseSID(s)
		if err != nil {
			t.Errorf("ParseSID(%q): %v", s, err)
			continue
		}
		if sid.String() != s {
			t.Errorf("ParseSID(%q).String() = %q", s, sid)
		}
		if b, err := parseBinarySID(binarySID(sid)); err != nil || !b.Equal(sid) {
			t.Errorf("binary round trip of %s: %v %v", s, b, err)
		}
	}
	if s, err := ParseSID("S-1-0x5-32"); err != nil || s.String() != "S-1-5-32" {
		t.Errorf("hex authority below 2^32: %v %v", s, err)
	}
	for _, s := range []string{"", "S-1-", "S-2-5", "S-1-5-", "S-1-5-x", "S-1-4294967296", "S-1-5-4294967296", "S-1-+5", "S-1-0", "S-1-0x1000000000000",
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"} {
		if sid, err := ParseSID(s); err == nil {
			t.Errorf("ParseSID(%q) = %v, want an error", s, sid)
		}
	}
	d := mustSID(t, "S-1-5-21-1-2-3")
	if u := d.Append(1102); u.String() != "S-1-5-21-1-2-3-1102" || d.String() != "S-1-5-21-1-2-3" {
		t.Errorf("Append: %v, and the domain became %v", u, d)
	}
}

func TestMITAttribute(t *testing.T) {
	for typ, want := range map[BufferType]string{
		TypeLogonInfo:      "urn:mspac:logon-info",
		TypeKDCChecksum:    "urn:mspac:privsvr-checksum",
		TypeUPNDNSInfo:     "urn:mspac:upn-dns-info",
		TypeDelegationInfo: "urn:mspac:delegation-info",
		TypeTicketChecksum: "urn:mspac:16",
		TypeFullChecksum:   "urn:mspac:19",
		77:                 "urn:mspac:77",
	} {
		if got := typ.MITAttribute(); got != want {
			t.Errorf("%v.MITAttribute() = %q, want %q", typ, got, want)
		}
	}
	if s := BufferType(77).String(); s != "type-77" {
		t.Errorf("String of an unknown type: %q", s)
	}
}

func TestHasLogonInfo(t *testing.T) {
	for _, tt := range []struct {
		file string
		want bool
	}{
		{"samba-alice.pac", true},
		{"samba-bulk300.pac", true},
		{"mit-gss-alice.pac", true}, // the Samba DC's PAC, as MIT's GSS-API hands it out
		{"", false},                 // a PAC of client information only, as MIT's own KDC writes
	} {
		// One buffer, of type 10 (client information), 16 bytes at 24.
		b := []byte{1, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 16, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0}
		b = append(b, make([]byte, 16)...)
		if tt.file != "" {
			var err error
			if b, err = os.ReadFile(filepath.Join("testdata", tt.file)); err != nil {
				t.Fatal(err)
			}
		}
		if got := HasLogonInfo(b); got != tt.want {
			t.Errorf("HasLogonInfo(%s) = %v, want %v", tt.file, got, tt.want)
		}
		for n := range len(b) {
			HasLogonInfo(b[:n]) // no panic on any truncation
		}
	}
}
