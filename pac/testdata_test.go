package pac

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// sambaDecoding is a NAME.pac.json file: Samba's NDR decoder's reading of
// NAME.pac (testdata/samba_expected.py).
type sambaDecoding struct {
	Buffers    []uint32 `json:"buffers"`
	ClientInfo *struct {
		Name     string `json:"name"`
		ClientID uint64 `json:"client_id"`
	} `json:"client_info"`
	UPNDNSInfo *struct {
		UPN           string `json:"upn"`
		DNSDomainName string `json:"dns_domain_name"`
		Flags         uint32 `json:"flags"`
		SAMName       string `json:"sam_name"`
		SID           string `json:"sid"`
	} `json:"upn_dns_info"`
	DelegationInfo *struct {
		Target    string   `json:"target"`
		Transited []string `json:"transited"`
	} `json:"delegation_info"`
	Signatures map[string]struct {
		Type  uint32 `json:"type"`
		Value string `json:"value"`
	} `json:"signatures"`
	LogonInfo *struct {
		EffectiveName      string              `json:"effective_name"`
		FullName           string              `json:"full_name"`
		LogonScript        string              `json:"logon_script"`
		ProfilePath        string              `json:"profile_path"`
		HomeDirectory      string              `json:"home_directory"`
		HomeDrive          string              `json:"home_drive"`
		LogonCount         uint16              `json:"logon_count"`
		BadPasswordCount   uint16              `json:"bad_password_count"`
		UserID             uint32              `json:"user_id"`
		PrimaryGroupID     uint32              `json:"primary_group_id"`
		RawGroupIDs        []map[string]uint32 `json:"group_ids"`
		UserFlags          uint32              `json:"user_flags"`
		LogonServer        string              `json:"logon_server"`
		LogonDomainName    string              `json:"logon_domain_name"`
		LogonDomainID      string              `json:"logon_domain_id"`
		UserAccountControl uint32              `json:"user_account_control"`
		LogonTime          uint64              `json:"logon_time"`
		PasswordLastSet    uint64              `json:"password_last_set"`
		ExtraSIDs          []struct {
			SID        string `json:"sid"`
			Attributes uint32 `json:"attributes"`
		} `json:"extra_sids"`
		ResourceGroupDomainSID string              `json:"resource_group_domain_sid"`
		ResourceGroupIDs       []map[string]uint32 `json:"resource_group_ids"`
	} `json:"logon_info"`
}

// readSIDs reads a NAME.sids file.
func readSIDs(t *testing.T, path string) expectedSIDs {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var e expectedSIDs
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, _ := strings.Cut(s.Text(), " ")
		switch k {
		case "user":
			e.user = v
		case "group":
			e.groups = append(e.groups, v)
		case "upn":
			e.upn = v
		case "proxy":
			e.proxy = v
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return e
}

func testdataPACs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.pac"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.pac: %v", err)
	}
	return files
}

// TestTestdataPACs decodes every PAC under testdata and compares it with
// Samba's decoding (NAME.pac.json) and with the expected SIDs (NAME.sids).
func TestTestdataPACs(t *testing.T) {
	for _, file := range testdataPACs(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			j, err := os.ReadFile(file + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var want sambaDecoding
			if err := json.Unmarshal(j, &want); err != nil {
				t.Fatal(err)
			}
			compareWithSamba(t, p, &want)
			sids := strings.TrimSuffix(file, ".pac") + ".sids"
			if _, err := os.Stat(sids); err == nil {
				e := readSIDs(t, sids)
				if e.upn == "" {
					// No UPN buffer (Windows 2003 had none): check the rest.
					if p.UPNDNSInfo != nil {
						t.Errorf("UPN DNS info %+v, the .sids file names no UPN", p.UPNDNSInfo)
					}
					l := p.LogonInfo
					if l.UserSID() != e.user || !slices.Equal(l.GroupSIDs(), e.groups) {
						t.Errorf("SIDs %s %v, want %s %v", l.UserSID(), l.GroupSIDs(), e.user, e.groups)
					}
					return
				}
				checkPAC(t, b, e)
			} else {
				t.Errorf("no %s", sids)
			}
		})
	}
}

func compareWithSamba(t *testing.T, p *PAC, want *sambaDecoding) {
	t.Helper()
	var types []uint32
	for _, b := range p.Buffers {
		types = append(types, uint32(b.Type))
	}
	if !slices.Equal(types, want.Buffers) {
		t.Errorf("buffer types %v, Samba %v", types, want.Buffers)
	}
	if w := want.LogonInfo; w != nil {
		l := p.LogonInfo
		if l == nil {
			t.Fatal("no logon info")
		}
		strs := [][3]string{
			{"EffectiveName", l.EffectiveName, w.EffectiveName},
			{"FullName", l.FullName, w.FullName},
			{"LogonScript", l.LogonScript, w.LogonScript},
			{"ProfilePath", l.ProfilePath, w.ProfilePath},
			{"HomeDirectory", l.HomeDirectory, w.HomeDirectory},
			{"HomeDirectoryDrive", l.HomeDirectoryDrive, w.HomeDrive},
			{"LogonServer", l.LogonServer, w.LogonServer},
			{"LogonDomainName", l.LogonDomainName, w.LogonDomainName},
			{"LogonDomainID", l.LogonDomainID.String(), w.LogonDomainID},
			{"ResourceGroupDomainSID", l.ResourceGroupDomainSID.String(), w.ResourceGroupDomainSID},
		}
		for _, s := range strs {
			if s[1] != s[2] {
				t.Errorf("%s = %q, Samba %q", s[0], s[1], s[2])
			}
		}
		nums := []struct {
			name      string
			got, want uint64
		}{
			{"LogonCount", uint64(l.LogonCount), uint64(w.LogonCount)},
			{"BadPasswordCount", uint64(l.BadPasswordCount), uint64(w.BadPasswordCount)},
			{"UserID", uint64(l.UserID), uint64(w.UserID)},
			{"PrimaryGroupID", uint64(l.PrimaryGroupID), uint64(w.PrimaryGroupID)},
			{"UserFlags", uint64(l.UserFlags), uint64(w.UserFlags)},
			{"UserAccountControl", uint64(l.UserAccountControl), uint64(w.UserAccountControl)},
			{"LogonTime", toFiletime(l.LogonTime), w.LogonTime},
			{"PasswordLastSet", toFiletime(l.PasswordLastSet), w.PasswordLastSet},
		}
		for _, n := range nums {
			if n.got != n.want {
				t.Errorf("%s = %d, Samba %d", n.name, n.got, n.want)
			}
		}
		if got, want := groupList(l.GroupIDs), w.RawGroupIDs; !sameGroups(got, want) {
			t.Errorf("GroupIDs %v, Samba %v", got, want)
		}
		if got, want := groupList(l.ResourceGroupIDs), w.ResourceGroupIDs; !sameGroups(got, want) {
			t.Errorf("ResourceGroupIDs %v, Samba %v", got, want)
		}
		if len(l.ExtraSIDs) != len(w.ExtraSIDs) {
			t.Errorf("%d extra SIDs, Samba %d", len(l.ExtraSIDs), len(w.ExtraSIDs))
		} else {
			for i, s := range l.ExtraSIDs {
				if s.SID.String() != w.ExtraSIDs[i].SID || s.Attributes != w.ExtraSIDs[i].Attributes {
					t.Errorf("ExtraSIDs[%d] = %v %#x, Samba %v %#x", i, s.SID, s.Attributes, w.ExtraSIDs[i].SID, w.ExtraSIDs[i].Attributes)
				}
			}
		}
	}
	if w := want.ClientInfo; w != nil {
		if c := p.ClientInfo; c == nil || c.Name != w.Name || toFiletime(c.ClientID) != w.ClientID {
			t.Errorf("client info %+v, Samba %+v", c, w)
		}
	}
	if w := want.UPNDNSInfo; w != nil {
		u := p.UPNDNSInfo
		if u == nil || u.UPN != w.UPN || u.DNSDomainName != w.DNSDomainName || u.Flags != w.Flags ||
			u.SAMName != w.SAMName || u.SID.String() != w.SID {
			t.Errorf("UPN DNS info %+v, Samba %+v", u, w)
		}
	} else if p.UPNDNSInfo != nil {
		t.Errorf("UPN DNS info %+v, Samba none", p.UPNDNSInfo)
	}
	if w := want.DelegationInfo; w != nil {
		d := p.DelegationInfo
		if d == nil || d.S4U2ProxyTarget != w.Target || !slices.Equal(d.S4UTransitedServices, w.Transited) {
			t.Errorf("delegation info %+v, Samba %+v", d, w)
		}
	} else if p.DelegationInfo != nil {
		t.Errorf("delegation info %+v, Samba none", p.DelegationInfo)
	}
	sigs := map[string]*Signature{"6": p.ServerChecksum, "7": p.KDCChecksum, "16": p.TicketChecksum, "19": p.FullChecksum}
	for k, s := range sigs {
		w, ok := want.Signatures[k]
		if !ok {
			if s != nil {
				t.Errorf("signature %s present, Samba has none", k)
			}
			continue
		}
		if s == nil || s.Type != int32(w.Type) || hex.EncodeToString(s.Value) != w.Value {
			t.Errorf("signature %s = %+v, Samba %+v", k, s, w)
		}
	}
}

func groupList(g []GroupMembership) []map[string]uint32 {
	out := []map[string]uint32{}
	for _, m := range g {
		out = append(out, map[string]uint32{"rid": m.RID, "attributes": m.Attributes})
	}
	return out
}

func sameGroups(a, b []map[string]uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i]["rid"] != b[i]["rid"] || a[i]["attributes"] != b[i]["attributes"] {
			return false
		}
	}
	return true
}

// bulkGroups is how many groups the user bulk is in, in
// testdata/samba-bulk300.pac.
const bulkGroups = 300

// TestBigPAC: a user in 300 groups, captured from Samba: every group is
// there, in the order of the RIDs, each once.
func TestBigPAC(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "samba-bulk300.pac"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	l := p.LogonInfo
	if len(l.GroupIDs) != bulkGroups+1 { // and Domain Users
		t.Fatalf("%d group IDs, want %d", len(l.GroupIDs), bulkGroups+1)
	}
	sids := l.GroupSIDs()
	if len(sids) != bulkGroups+2 { // and S-1-18-1
		t.Fatalf("%d group SIDs, want %d", len(sids), bulkGroups+2)
	}
	seen := map[string]bool{}
	for _, s := range sids {
		if seen[s] {
			t.Errorf("%s twice", s)
		}
		seen[s] = true
		if _, err := ParseSID(s); err != nil {
			t.Error(err)
		}
	}
}

// TestParseCopiesInput: the PAC does not alias the caller's slice.
func TestParseCopiesInput(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "samba-alice.pac"))
	if err != nil {
		t.Fatal(err)
	}
	orig := bytes.Clone(b)
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	data, ok := p.Buffer(TypeLogonInfo)
	if !ok || !bytes.Equal(data, orig[p.Buffers[0].Offset:p.Buffers[0].Offset+uint64(len(data))]) {
		t.Error("the PAC's buffer changed with the caller's input")
	}
}

// expectedSIDs is what a PAC must decode to.
type expectedSIDs struct {
	user   string
	groups []string // GroupSIDs, in order
	upn    string
	proxy  string // DelegationInfo.S4U2ProxyTarget, "" if none
}

func checkPAC(t *testing.T, b []byte, want expectedSIDs) {
	t.Helper()
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	l := p.LogonInfo
	if l == nil {
		t.Fatal("no logon info")
	}
	if got := l.UserSID(); got != want.user {
		t.Errorf("UserSID = %s, want %s", got, want.user)
	}
	if got := l.GroupSIDs(); !slices.Equal(got, want.groups) {
		t.Errorf("GroupSIDs = %d %v\nwant %d %v", len(got), abbrev(got), len(want.groups), abbrev(want.groups))
	}
	if p.UPNDNSInfo == nil || !strings.EqualFold(p.UPNDNSInfo.UPN, want.upn) {
		t.Errorf("UPN DNS info = %+v, want UPN %s", p.UPNDNSInfo, want.upn)
	} else if p.UPNDNSInfo.Flags&UPNHasSAMNameSID != 0 && p.UPNDNSInfo.SID.String() != want.user {
		t.Errorf("UPN DNS info SID = %s, want %s", p.UPNDNSInfo.SID, want.user)
	}
	if want.proxy != "" {
		if p.DelegationInfo == nil || p.DelegationInfo.S4U2ProxyTarget != want.proxy {
			t.Errorf("delegation info = %+v, want target %s", p.DelegationInfo, want.proxy)
		}
	} else if p.DelegationInfo != nil {
		t.Errorf("unexpected delegation info %+v", p.DelegationInfo)
	}
	// The logon-info buffer alone, as MIT's urn:mspac:logon-info gives it.
	raw, _ := p.Buffer(TypeLogonInfo)
	alone, err := ParseLogonInfo(raw)
	if err != nil {
		t.Fatalf("ParseLogonInfo: %v", err)
	}
	if !slices.Equal(alone.GroupSIDs(), l.GroupSIDs()) || alone.UserSID() != l.UserSID() {
		t.Error("ParseLogonInfo of the buffer differs from Parse")
	}
}

func abbrev(s []string) []string {
	if len(s) > 6 {
		return append(append(slices.Clip(s[:3]), "..."), s[len(s)-3:]...)
	}
	return s
}

// checkMITLogonInfo: the logon-info buffer that MIT's
// urn:mspac:logon-info gives is the PAC's buffer, byte for byte, and
// ParseLogonInfo reads from it what Parse reads from the PAC.
func checkMITLogonInfo(t *testing.T, whole, logonInfo []byte) {
	t.Helper()
	p, err := Parse(whole)
	if err != nil {
		t.Fatal(err)
	}
	if buf, _ := p.Buffer(TypeLogonInfo); !bytes.Equal(buf, logonInfo) {
		t.Error("urn:mspac:logon-info is not the PAC's logon-info buffer")
	}
	l, err := ParseLogonInfo(logonInfo)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, p.LogonInfo) {
		t.Errorf("ParseLogonInfo(urn:mspac:logon-info) = %+v\nParse(urn:mspac:).LogonInfo = %+v", l, p.LogonInfo)
	}
}

// TestMITLogonInfo: the logon-info buffers captured through MIT's
// GSS-API (NAME.logon-info beside NAME.pac, the attribute urn:mspac:).
func TestMITLogonInfo(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.logon-info"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.logon-info: %v", err)
	}
	for _, file := range files {
		li, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := os.ReadFile(strings.TrimSuffix(file, ".logon-info") + ".pac")
		if err != nil {
			t.Fatal(err)
		}
		checkMITLogonInfo(t, whole, li)
	}
}
