package pac

import (
	"fmt"
	"time"
)

// UserFlags bits of KERB_VALIDATION_INFO ([MS-PAC] 2.5, [MS-NRPC]
// 2.2.1.4.11) that change what GroupSIDs returns.
const (
	UserFlagExtraSIDs      = 0x020 // D: ExtraSids is populated
	UserFlagResourceGroups = 0x200 // H: ResourceGroupIds is populated
)

// Group attributes ([MS-PAC] 2.2.2, [MS-DTYP] 2.4.2.4 SE_GROUP_*).
const (
	GroupMandatory        = 0x00000001
	GroupEnabledByDefault = 0x00000002
	GroupEnabled          = 0x00000004
	GroupOwner            = 0x00000008
	GroupUseForDenyOnly   = 0x00000010
	GroupResource         = 0x20000000
)

// GroupMembership is a group's relative ID within a domain and its
// SE_GROUP_* attributes.
type GroupMembership struct {
	RID        uint32
	Attributes uint32
}

// SIDAndAttributes is a group's full SID and its SE_GROUP_* attributes
// (KERB_SID_AND_ATTRIBUTES).
type SIDAndAttributes struct {
	SID        SID
	Attributes uint32
}

// LogonInfo is the decoded KERB_VALIDATION_INFO ([MS-PAC] 2.5): who the
// user is and which groups the domain controller put them in. Fields are
// named as in the specification. A FILETIME of 0 ("not set") is the zero
// time.Time; 0x7FFFFFFFFFFFFFFF ("never") is 30828-09-14. The session key
// and the reserved fields are not kept.
type LogonInfo struct {
	LogonTime          time.Time
	LogoffTime         time.Time
	KickOffTime        time.Time
	PasswordLastSet    time.Time
	PasswordCanChange  time.Time
	PasswordMustChange time.Time

	EffectiveName      string // the logon name (sAMAccountName): "alice"
	FullName           string
	LogonScript        string
	ProfilePath        string
	HomeDirectory      string
	HomeDirectoryDrive string

	LogonCount       uint16
	BadPasswordCount uint16
	UserID           uint32 // the user's RID in LogonDomainID
	PrimaryGroupID   uint32 // the primary group's RID in LogonDomainID
	GroupIDs         []GroupMembership
	UserFlags        uint32

	LogonServer     string // the DC's NetBIOS name
	LogonDomainName string // the domain's NetBIOS name: "ADEX"
	LogonDomainID   SID    // the domain's SID

	UserAccountControl   uint32 // USER_* bits ([MS-SAMR] 2.2.1.12), not userAccountControl's
	SubAuthStatus        uint32
	LastSuccessfulILogon time.Time
	LastFailedILogon     time.Time
	FailedILogonCount    uint32

	ExtraSIDs              []SIDAndAttributes
	ResourceGroupDomainSID SID
	ResourceGroupIDs       []GroupMembership
}

// UserSID is the user's SID: LogonDomainID followed by UserID.
func (l *LogonInfo) UserSID() string { return l.LogonDomainID.Append(l.UserID).String() }

// PrimaryGroupSID is the primary group's SID: LogonDomainID followed by
// PrimaryGroupID. Active Directory lists the primary group among GroupIDs
// too, so GroupSIDs has it as well.
func (l *LogonInfo) PrimaryGroupSID() string {
	return l.LogonDomainID.Append(l.PrimaryGroupID).String()
}

// GroupSIDs returns the SIDs of the groups the PAC puts the user in, as
// Windows builds a token from it: LogonDomainID followed by each of
// GroupIDs' RIDs; then ExtraSIDs, if UserFlags has UserFlagExtraSIDs; then
// ResourceGroupDomainSID followed by each of ResourceGroupIDs' RIDs, if
// UserFlags has UserFlagResourceGroups. Each SID appears once, in that
// order. Attributes are not consulted: a deny-only group
// (GroupUseForDenyOnly) is in the list too, so check the attributes with
// [LogonInfo.Groups] before granting access by such a group.
func (l *LogonInfo) GroupSIDs() []string {
	groups := l.Groups()
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.SID.String()
	}
	return out
}

// Groups is GroupSIDs with each group's attributes. A SID listed twice
// appears once, with the attributes of its first appearance.
func (l *LogonInfo) Groups() []SIDAndAttributes {
	n := len(l.GroupIDs)
	if l.UserFlags&UserFlagExtraSIDs != 0 {
		n += len(l.ExtraSIDs)
	}
	if l.UserFlags&UserFlagResourceGroups != 0 {
		n += len(l.ResourceGroupIDs)
	}
	out := make([]SIDAndAttributes, 0, n)
	seen := make(map[string]bool, n)
	add := func(s SID, attrs uint32) {
		if k := s.String(); !seen[k] {
			seen[k] = true
			out = append(out, SIDAndAttributes{SID: s, Attributes: attrs})
		}
	}
	if !l.LogonDomainID.IsZero() {
		for _, g := range l.GroupIDs {
			add(l.LogonDomainID.Append(g.RID), g.Attributes)
		}
	}
	if l.UserFlags&UserFlagExtraSIDs != 0 {
		for _, s := range l.ExtraSIDs {
			add(s.SID, s.Attributes)
		}
	}
	if l.UserFlags&UserFlagResourceGroups != 0 && !l.ResourceGroupDomainSID.IsZero() {
		for _, g := range l.ResourceGroupIDs {
			add(l.ResourceGroupDomainSID.Append(g.RID), g.Attributes)
		}
	}
	return out
}

// ParseLogonInfo decodes a logon-information buffer (PAC buffer type 1)
// alone, as MIT krb5's gss_get_name_attribute returns it for
// "urn:mspac:logon-info": the NDR type serialization of a pointer to a
// KERB_VALIDATION_INFO.
func ParseLogonInfo(b []byte) (*LogonInfo, error) {
	body, err := serialized("logon info", b)
	if err != nil {
		return nil, err
	}
	r := &reader{b: body, what: "logon info"}
	if ptr := r.u32(); r.err == nil && ptr == 0 {
		return nil, fmt.Errorf("%w: logon info: null KERB_VALIDATION_INFO pointer", ErrMalformed)
	}
	l := &LogonInfo{}
	l.LogonTime = filetime(r.filetime())
	l.LogoffTime = filetime(r.filetime())
	l.KickOffTime = filetime(r.filetime())
	l.PasswordLastSet = filetime(r.filetime())
	l.PasswordCanChange = filetime(r.filetime())
	l.PasswordMustChange = filetime(r.filetime())
	effectiveName := r.ustrHeader("EffectiveName")
	fullName := r.ustrHeader("FullName")
	logonScript := r.ustrHeader("LogonScript")
	profilePath := r.ustrHeader("ProfilePath")
	homeDirectory := r.ustrHeader("HomeDirectory")
	homeDirectoryDrive := r.ustrHeader("HomeDirectoryDrive")
	l.LogonCount = r.u16()
	l.BadPasswordCount = r.u16()
	l.UserID = r.u32()
	l.PrimaryGroupID = r.u32()
	groupCount := r.u32()
	groupsPtr := r.u32()
	l.UserFlags = r.u32()
	r.skip(16) // UserSessionKey
	logonServer := r.ustrHeader("LogonServer")
	logonDomainName := r.ustrHeader("LogonDomainName")
	domainIDPtr := r.u32()
	r.skip(8) // Reserved1
	l.UserAccountControl = r.u32()
	l.SubAuthStatus = r.u32()
	l.LastSuccessfulILogon = filetime(r.filetime())
	l.LastFailedILogon = filetime(r.filetime())
	l.FailedILogonCount = r.u32()
	r.u32() // Reserved3
	sidCount := r.u32()
	extraSIDsPtr := r.u32()
	resourceDomainPtr := r.u32()
	resourceCount := r.u32()
	resourcePtr := r.u32()

	// The referents, in the order of their pointers.
	l.EffectiveName = r.ustrBody("EffectiveName", effectiveName)
	l.FullName = r.ustrBody("FullName", fullName)
	l.LogonScript = r.ustrBody("LogonScript", logonScript)
	l.ProfilePath = r.ustrBody("ProfilePath", profilePath)
	l.HomeDirectory = r.ustrBody("HomeDirectory", homeDirectory)
	l.HomeDirectoryDrive = r.ustrBody("HomeDirectoryDrive", homeDirectoryDrive)
	l.GroupIDs = r.groups("GroupIds", groupsPtr, groupCount)
	l.LogonServer = r.ustrBody("LogonServer", logonServer)
	l.LogonDomainName = r.ustrBody("LogonDomainName", logonDomainName)
	if domainIDPtr != 0 {
		l.LogonDomainID = r.sid("LogonDomainId")
	}
	l.ExtraSIDs = r.extraSIDs(extraSIDsPtr, sidCount)
	if resourceDomainPtr != 0 {
		l.ResourceGroupDomainSID = r.sid("ResourceGroupDomainSid")
	}
	l.ResourceGroupIDs = r.groups("ResourceGroupIds", resourcePtr, resourceCount)
	if r.err != nil {
		return nil, r.err
	}
	if domainIDPtr == 0 {
		return nil, fmt.Errorf("%w: logon info: no LogonDomainId", ErrMalformed)
	}
	if len(l.ResourceGroupIDs) > 0 && l.ResourceGroupDomainSID.IsZero() {
		return nil, fmt.Errorf("%w: logon info: %d resource groups without ResourceGroupDomainSid", ErrMalformed, len(l.ResourceGroupIDs))
	}
	return l, nil
}

// extraSIDs reads the deferred conformant array of KERB_SID_AND_ATTRIBUTES,
// then the SIDs its pointers refer to.
func (r *reader) extraSIDs(ptr, n uint32) []SIDAndAttributes {
	if r.err != nil {
		return nil
	}
	if ptr == 0 {
		if n != 0 {
			r.failf(ErrMalformed, "ExtraSids: SidCount %d with a null array", n)
		}
		return nil
	}
	max := r.count(8)
	if r.err != nil {
		return nil
	}
	if uint32(max) != n {
		r.failf(ErrMalformed, "ExtraSids: array of %d, SidCount %d", max, n)
		return nil
	}
	if max == 0 {
		return nil
	}
	out := make([]SIDAndAttributes, max)
	ptrs := make([]uint32, max)
	for i := range out {
		ptrs[i] = r.u32()
		out[i].Attributes = r.u32()
	}
	for i := range out {
		if ptrs[i] == 0 {
			r.failf(ErrMalformed, "ExtraSids[%d]: null SID", i)
			return nil
		}
		out[i].SID = r.sid(fmt.Sprintf("ExtraSids[%d]", i))
	}
	if r.err != nil {
		return nil
	}
	return out
}

// filetimeEpoch is 1601-01-01 in Unix seconds.
const filetimeEpoch = -11644473600

// filetime converts a FILETIME (100 ns since 1601-01-01 UTC) to a time;
// 0 is the zero time.
func filetime(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	return time.Unix(filetimeEpoch+int64(ft/1e7), int64(ft%1e7)*100).UTC()
}
