//go:build cgo

package gss

import (
	"fmt"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/pac"
)

// Name attributes (RFC 6680) of an accepted client's name. MIT krb5 offers
// them; Heimdal 7's Kerberos mechanism offers none, so there every read
// finds nothing.
var (
	// attrPAC is the whole PAC (MS-PAC). MIT hands it out as authenticated
	// only after checking its server signature with the service's key.
	attrPAC = newNameAttr(pac.MITWholePAC)
	// attrAuthIndicators are the ticket's authentication indicators, one
	// value each (MIT krb5 1.14 and later).
	attrAuthIndicators = newNameAttr("auth-indicators")
)

// readPAC returns what the verified PAC of the client name says, or nil
// when the ticket has no PAC with logon information or the library did not
// verify it. A verified PAC that does not decode is an error: the KDC
// vouched for it, so refusing is the safe reading of what cannot be read.
func readPAC(name nameID) (*negotiate.PAC, error) {
	values, authenticated := nameAttribute(name, attrPAC)
	if !authenticated || len(values) != 1 {
		return nil, nil // none, or not verified: never trusted
	}
	if !pac.HasLogonInfo(values[0]) {
		return nil, nil // MIT's own KDC writes a PAC without logon information
	}
	p, err := pac.Parse(values[0])
	if err != nil {
		return nil, fmt.Errorf("gss: the ticket's PAC, which the library verified, does not decode (%v): %w", err, negotiate.ErrDefectiveToken)
	}
	if p.LogonInfo == nil {
		return nil, fmt.Errorf("gss: the ticket's PAC lists logon information that does not decode: %w", negotiate.ErrDefectiveToken)
	}
	l := p.LogonInfo
	out := &negotiate.PAC{
		UserSID:         l.UserSID(),
		PrimaryGroupSID: l.PrimaryGroupSID(),
		LogonName:       l.EffectiveName,
		Domain:          l.LogonDomainName,
	}
	for _, g := range l.Groups() {
		if g.Attributes&pac.GroupUseForDenyOnly == 0 {
			out.GroupSIDs = append(out.GroupSIDs, g.SID.String())
		}
	}
	if u := p.UPNDNSInfo; u != nil {
		out.UPN, out.DNSDomain = u.UPN, u.DNSDomainName
	}
	return out, nil
}

// authIndicators returns the ticket's authentication indicators that the
// library vouches for.
func authIndicators(name nameID) []string {
	values, authenticated := nameAttribute(name, attrAuthIndicators)
	if !authenticated {
		return nil
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
