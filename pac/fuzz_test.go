package pac

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// seedPACs are the fuzz targets' real seeds: the PACs under testdata.
func seedPACs(f *testing.F) map[string][]byte {
	f.Helper()
	seeds := map[string][]byte{}
	for _, file := range testdataPACs(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		seeds[filepath.Base(file)] = b
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	seeds := seedPACs(f)
	// A Windows Server 2003 DC's PAC (Samba's torture test): logon info,
	// client info and two HMAC-MD5 signatures.
	f.Add(seeds["win2003.pac"])
	// Samba 4.17's PAC for alice in two groups: also UPN DNS info in its
	// extended form, and the ticket and full signatures.
	f.Add(seeds["samba-alice.pac"])
	// A user in 300 groups (3 KB).
	f.Add(seeds["samba-bulk300.pac"])
	// S4U2Self (S-1-18-2) and S4U2Proxy (a delegation-info buffer).
	f.Add(seeds["samba-s4u2self.pac"])
	f.Add(seeds["samba-s4u2proxy.pac"])
	// Every decoded buffer type, with resource groups and extra SIDs.
	l := syntheticLogonInfo(f)
	f.Add(buildPAC(
		Buffer{Type: TypeLogonInfo, Data: encodeLogonInfo(l)},
		Buffer{Type: TypeDelegationInfo, Data: encodeDelegationInfo(&DelegationInfo{S4U2ProxyTarget: "HTTP/x", S4UTransitedServices: []string{"a", "b"}})},
		Buffer{Type: TypeAttributes, Data: []byte{2, 0, 0, 0, 1, 0, 0, 0}},
		Buffer{Type: TypeRequestor, Data: binarySID(l.LogonDomainID.Append(1102))},
	))
	// A header alone, and a header announcing one buffer it lacks.
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0})

	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		if p.LogonInfo != nil {
			checkConsistent(t, p.LogonInfo)
		}
		// Laid out anew from its own buffers, the PAC decodes the same.
		q, err := Parse(buildPAC(p.Buffers...))
		if err != nil {
			t.Fatalf("the PAC's own buffers, laid out anew: %v", err)
		}
		p.Buffers, q.Buffers = nil, nil
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("relaid PAC decodes differently:\n%+v\n%+v", p, q)
		}
	})
}

func FuzzParseLogonInfo(f *testing.F) {
	// The logon-info buffers of the real PACs: what MIT's
	// urn:mspac:logon-info attribute returns.
	for _, b := range seedPACs(f) {
		p, err := Parse(b)
		if err != nil {
			f.Fatal(err)
		}
		li, _ := p.Buffer(TypeLogonInfo)
		f.Add(li)
	}
	// Resource groups, extra SIDs, non-ASCII names.
	f.Add(encodeLogonInfo(syntheticLogonInfo(f)))
	// The least a logon info can be: a domain SID and nothing else.
	f.Add(encodeLogonInfo(&LogonInfo{LogonDomainID: SID{Authority: 5, SubAuthorities: []uint32{21}}}))

	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLogonInfo(b)
		if err != nil {
			return
		}
		checkConsistent(t, l)
	})
}

// checkConsistent checks what a decoded logon info promises: its SIDs
// re-derive from its fields, and it survives a round trip through the
// encoder.
func checkConsistent(t *testing.T, l *LogonInfo) {
	t.Helper()
	user, err := ParseSID(l.UserSID())
	if err != nil || !user.Equal(l.LogonDomainID.Append(l.UserID)) {
		t.Fatalf("UserSID %q: %v", l.UserSID(), err)
	}
	allowed := map[string]bool{}
	for _, g := range l.GroupIDs {
		allowed[l.LogonDomainID.Append(g.RID).String()] = true
	}
	if l.UserFlags&UserFlagExtraSIDs != 0 {
		for _, s := range l.ExtraSIDs {
			allowed[s.SID.String()] = true
		}
	}
	if l.UserFlags&UserFlagResourceGroups != 0 {
		for _, g := range l.ResourceGroupIDs {
			allowed[l.ResourceGroupDomainSID.Append(g.RID).String()] = true
		}
	}
	seen := map[string]bool{}
	for _, s := range l.GroupSIDs() {
		if _, err := ParseSID(s); err != nil {
			t.Fatalf("group SID %q: %v", s, err)
		}
		if !allowed[s] || seen[s] {
			t.Fatalf("group SID %s: allowed %v, seen %v", s, allowed[s], seen[s])
		}
		seen[s] = true
	}
	if len(seen) != len(allowed) {
		t.Fatalf("%d group SIDs, %d distinct in the fields", len(seen), len(allowed))
	}
	again, err := ParseLogonInfo(encodeLogonInfo(l))
	if err != nil {
		t.Fatalf("re-encoded logon info: %v", err)
	}
	if !reflect.DeepEqual(again, l) {
		t.Fatalf("round trip differs:\n%+v\n%+v", l, again)
	}
}
