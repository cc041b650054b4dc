package pac_test

import (
	"fmt"
	"os"

	"github.com/negotiate-go/negotiate/pac"
)

// A PAC captured from a Samba AD DC: alice, in the groups engineers and
// readers.
func ExampleParse() {
	b, err := os.ReadFile("testdata/samba-alice.pac")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := pac.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	l := p.LogonInfo
	fmt.Println(l.LogonDomainName+`\`+l.EffectiveName, p.UPNDNSInfo.UPN)
	fmt.Println("user ", l.UserSID())
	for _, g := range l.GroupSIDs() {
		fmt.Println("group", g)
	}
	// Output:
	// ADEX\alice alice@ad.example.test
	// user  S-1-5-21-4169561463-3027767906-1675638437-1102
	// group S-1-5-21-4169561463-3027767906-1675638437-513
	// group S-1-5-21-4169561463-3027767906-1675638437-1103
	// group S-1-5-21-4169561463-3027767906-1675638437-1104
	// group S-1-18-1
}

// Authorization by group: is the user in the group with this SID, enabled
// and not deny-only?
func ExampleLogonInfo_Groups() {
	b, _ := os.ReadFile("testdata/samba-alice.pac")
	p, err := pac.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	engineers := "S-1-5-21-4169561463-3027767906-1675638437-1103"
	for _, g := range p.LogonInfo.Groups() {
		if g.SID.String() == engineers && g.Attributes&pac.GroupEnabled != 0 && g.Attributes&pac.GroupUseForDenyOnly == 0 {
			fmt.Println("alice is an engineer")
		}
	}
	// Output: alice is an engineer
}
