package middleware

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate"
)

// TestSessionGroups checks that a group-restricted instance with sessions
// admits a member by cookie and refuses a non-member, and that the cookie
// keeps only the allowed groups the user is in.
func TestSessionGroups(t *testing.T) {
	restricted := []Option{WithSessions(), WithSessionKeys(keyA), WithAllowedGroups(sidAdmins, sidStaff, domainSID+"-5100")}
	g := newRig(t, restricted...)
	// open shares the key and has no rule: the cookies it issues keep no
	// group at all.
	open := newRig(t, WithSessions(), WithSessionKeys(keyA))

	for _, kind := range []string{"ad", "ad300"} {
		all, _ := fakeResult(kind, nil)
		res, _ := g.do("/", neg(kind))
		c := sessionCookieOf(res.Header, DefaultSessionCookieName)
		if res.StatusCode != 200 || c == nil {
			t.Fatalf("%s: status %d, Set-Cookie %q", kind, res.StatusCode, res.Header.Values("Set-Cookie"))
		}
		// In the PAC's order: the allowed groups alice is in.
		wantGroups := []string{sidStaff}
		if kind == "ad300" {
			wantGroups = []string{domainSID + "-5100", sidStaff}
			if n := len(strings.Join(all.PAC.GroupSIDs, "")); n < 3*maxSessionValueLen {
				t.Fatalf("300 groups take %d bytes: too few for the test to mean anything", n)
			}
		}
		if len(c.Value) > 400 {
			t.Errorf("%s: the cookie is %d bytes long", kind, len(c.Value))
		}
		res, a := g.do("/", "", c.Name+"="+c.Value)
		want := &negotiate.PAC{UserSID: sidAlice, UPN: "alice@ad.example.test", GroupSIDs: wantGroups}
		if res.StatusCode != 200 || a == nil || !a.FromSession || a.Principal != adAlice {
			t.Errorf("%s by cookie: status %d, Auth %+v; want admitted", kind, res.StatusCode, a)
		} else if !reflect.DeepEqual(a.PAC, want) {
			t.Errorf("%s by cookie: PAC %+v, want %+v", kind, a.PAC, want)
		}
	}

	// Refused by cookie: a PAC without an allowed group, and no PAC.
	for kind, hint := range map[string]string{"ad": "in no allowed group", "bob": "no PAC, so no groups"} {
		cookie := open.login(kind)
		if _, a := open.do("/", "", cookie); a == nil || !a.FromSession || (kind == "ad") != (a.PAC != nil) || a.PAC != nil && a.PAC.GroupSIDs != nil {
			t.Fatalf("%s: the open instance's session: Auth %+v", kind, a)
		}
		res, a := g.do("/", "", cookie)
		if o := g.lastOutcome(); res.StatusCode != 403 || a != nil || o.Reason != "group_not_allowed" || !o.Session {
			t.Errorf("%s by cookie: status %d, outcome %+v; want 403, group_not_allowed", kind, res.StatusCode, o)
		}
		if !strings.Contains(g.logs.String(), hint) {
			t.Errorf("%s: the log lacks %q:\n%s", kind, hint, g.logs)
		}
	}
}

// TestSessionAuthIndicators checks that a session keeps the ticket's
// authentication indicators, and that WithRequiredAuthIndicators applies
// to session requests.
func TestSessionAuthIndicators(t *testing.T) {
	g := newRig(t, WithSessions(), WithSessionKeys(keyA), WithRequiredAuthIndicators("otp"))
	open := newRig(t, WithSessions(), WithSessionKeys(keyA))
	res, a := g.do("/", "", g.login("otp"))
	if res.StatusCode != 200 || a == nil || !a.FromSession || !slices.Equal(a.AuthIndicators, []string{"hardened", "otp"}) || a.PAC != nil {
		t.Errorf("by cookie: status %d, Auth %+v", res.StatusCode, a)
	}
	res, _ = g.do("/", "", open.login("alice"))
	if o := g.lastOutcome(); res.StatusCode != 403 || o.Reason != "no_auth_indicator" || !o.Session {
		t.Errorf("without indicators, by cookie: status %d, outcome %+v", res.StatusCode, o)
	}
	// An optional route runs anonymous, as after a refused token.
	opt := newRig(t, WithSessions(), WithSessionKeys(keyA), WithRequiredAuthIndicators("pkinit"),
		WithAuthRequired(func(*http.Request) bool { return false }))
	res, a = opt.do("/", "", open.login("otp"))
	if res.StatusCode != 200 || a == nil || a.Principal != "" || Reason(a.Err) != "no_auth_indicator" {
		t.Errorf("optional, by cookie: status %d, Auth %+v", res.StatusCode, a)
	}
}
