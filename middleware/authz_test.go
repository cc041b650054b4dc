package middleware

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/negotiate-go/negotiate"
)

const foreign = "alice@OTHER.REALM"

func TestAuthorization(t *testing.T) {
	optional := WithAuthRequired(func(*http.Request) bool { return false })
	tests := []struct {
		name   string
		opts   []Option
		kind   string // the fake token
		reason string // "" when let in
	}{
		{"no rule", nil, "nodeleg:" + foreign, ""},

		{"realm allowed", []Option{WithAllowedRealms("EXAMPLE.TEST")}, "alice", ""},
		{"realm refused", []Option{WithAllowedRealms("EXAMPLE.TEST")}, "nodeleg:" + foreign, "realm_not_allowed"},
		{"foreign realm only", []Option{WithAllowedRealms("OTHER.TEST")}, "alice", "realm_not_allowed"},
		{"realms add up", []Option{WithAllowedRealms("A.TEST"), WithAllowedRealms("OTHER.REALM", "B.TEST")}, "nodeleg:" + foreign, ""},
		{"realm compared exactly", []Option{WithAllowedRealms("example.test")}, "alice", "realm_not_allowed"},
		{"realm suffix", []Option{WithAllowedRealms("TEST")}, "alice", "realm_not_allowed"},
		{"escaped @ in the name", []Option{WithAllowedRealms("EXAMPLE.TEST")}, `nodeleg:alice\@EXAMPLE.TEST@OTHER.REALM`, "realm_not_allowed"},
		{"enterprise name", []Option{WithAllowedRealms("EXAMPLE.TEST")}, `nodeleg:alice\@corp.example@EXAMPLE.TEST`, ""},
		{"no realm", []Option{WithAllowedRealms("EXAMPLE.TEST")}, "nodeleg:alice", "realm_not_allowed"},

		{"principal allowed", []Option{WithAllowedPrincipals(bob, alice)}, "alice", ""},
		{"principal refused", []Option{WithAllowedPrincipals(bob)}, "alice", "principal_not_allowed"},
		{"principal compared exactly", []Option{WithAllowedPrincipals("Alice@EXAMPLE.TEST")}, "alice", "principal_not_allowed"},
		{"principal without its realm", []Option{WithAllowedPrincipals("alice")}, "alice", "principal_not_allowed"},
		{"principals add up", []Option{WithAllowedPrincipals(bob), WithAllowedPrincipals(alice)}, "alice", ""},

		{"local name present", []Option{WithRequireLocalName()}, "alice", ""},
		{"local name missing", []Option{WithRequireLocalName()}, "bob", "no_local_name"},
		{"foreign principal, no local name", []Option{WithRequireLocalName()}, "nodeleg:" + foreign, "no_local_name"},

		{"predicate allows", []Option{WithAuthorize(func(a *Auth) bool { return a.LocalName == "alice" })}, "alice", ""},
		{"predicate refuses", []Option{WithAuthorize(func(a *Auth) bool { return a.LocalName == "alice" })}, "bob", "not_authorized"},
		{"predicate replaced", []Option{WithAuthorize(func(*Auth) bool { return false }), WithAuthorize(func(*Auth) bool { return true })}, "bob", ""},

		{"realm first", []Option{WithAllowedPrincipals(bob), WithAllowedRealms("X.TEST"), WithRequireLocalName()}, "alice", "realm_not_allowed"},
		{"principal before local name", []Option{WithAllowedPrincipals(alice), WithRequireLocalName()}, "bob", "principal_not_allowed"},
		{"local name before predicate", []Option{WithRequireLocalName(), WithAuthorize(func(*Auth) bool { return false })}, "bob", "no_local_name"},
		{"all pass", []Option{WithAllowedRealms("EXAMPLE.TEST"), WithAllowedPrincipals(alice), WithRequireLocalName(),
			WithAuthorize(func(a *Auth) bool { return a.Mech == negotiate.MechKerberos })}, "alice", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The rule applies to the token, and to the session cookie a
			// middleware without rules, sharing the key, issued.
			open := newRig(t, WithSessions(), WithSessionKeys(keyA))
			cookie := open.login(tt.kind)
			for _, route := range []string{"required", "optional"} {
				opts := append([]Option{WithSessions(), WithSessionKeys(keyA)}, tt.opts...)
				if route == "optional" {
					opts = append(opts, optional)
				}
				g := newRig(t, opts...)
				for _, via := range []string{"token", "session"} {
					var res *http.Response
					var a *Auth
					if via == "token" {
						res, a = g.do("/", neg(tt.kind))
					} else {
						res, a = g.do("/", "", cookie)
					}
					o := g.lastOutcome()
					if o.Session != (via == "session") {
						t.Errorf("%s, %s: outcome %+v", route, via, o)
					}
					if tt.reason == "" {
						if res.StatusCode != 200 || a == nil || a.Err != nil || a.Principal == "" || a.FromSession != (via == "session") {
							t.Errorf("%s, %s: status %d, Auth %+v; want let in", route, via, res.StatusCode, a)
						}
						if o.Principal == "" || o.Reason != "" || o.Status != 0 {
							t.Errorf("%s, %s: outcome %+v", route, via, o)
						}
						continue
					}
					if c := sessionCookieOf(res.Header, DefaultSessionCookieName); c != nil {
						t.Errorf("%s, %s: a refused request got a session cookie", route, via)
					}
					if res.Header.Get("WWW-Authenticate") != "" {
						t.Errorf("%s, %s: a refused request carries WWW-Authenticate %q", route, via, res.Header.Get("WWW-Authenticate"))
					}
					if o.Principal != "" || o.Reason != tt.reason {
						t.Errorf("%s, %s: outcome %+v, want reason %s", route, via, o, tt.reason)
					}
					switch route {
					case "required":
						if res.StatusCode != 403 || a != nil || o.Status != 403 {
							t.Errorf("%s: status %d, outcome %+v; want 403", via, res.StatusCode, o)
						}
					case "optional":
						// Anonymous, with the reason, as after a failed token.
						if res.StatusCode != 200 || a == nil || a.Principal != "" || Reason(a.Err) != tt.reason || o.Status != 0 {
							t.Errorf("%s, optional: status %d, Auth %+v; want anonymous with %s", via, res.StatusCode, a, tt.reason)
						}
					}
				}
				log := g.logs.String()
				if tt.reason != "" {
					for _, want := range []string{`level=INFO msg="negotiate: not authorized" reason=` + tt.reason, "principal="} {
						if !strings.Contains(log, want) {
							t.Errorf("%s: log lacks %s:\n%s", route, want, log)
						}
					}
				}
			}
		})
	}
}

// TestAuthorizationGroupsAndIndicators checks WithAllowedGroups and
// WithRequiredAuthIndicators on Negotiate requests, where authentication
// is required and where it is optional, and what the handler and the log
// see. TestSessionGroups has the session requests.
func TestAuthorizationGroupsAndIndicators(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		kind   string // the fake token
		reason string // "" when let in
		hint   string // in the log of a refusal
	}{
		{"member", []Option{WithAllowedGroups(sidStaff)}, "ad", "", ""},
		{"member of one of several", []Option{WithAllowedGroups(sidAdmins, sidUsers)}, "ad", "", ""},
		{"groups add up", []Option{WithAllowedGroups(sidAdmins), WithAllowedGroups(sidStaff)}, "ad", "", ""},
		{"member among 300 groups", []Option{WithAllowedGroups(sidStaff)}, "ad300", "", ""},
		{"not a member", []Option{WithAllowedGroups(sidAdmins)}, "ad", "group_not_allowed", "in no allowed group"},
		{"the user's own SID is no group", []Option{WithAllowedGroups(sidAlice)}, "ad", "group_not_allowed", "in no allowed group"},
		{"no PAC", []Option{WithAllowedGroups(sidUsers)}, "alice", "group_not_allowed", "no PAC, so no groups"},

		{"indicator", []Option{WithRequiredAuthIndicators("otp")}, "otp", "", ""},
		{"one of several indicators", []Option{WithRequiredAuthIndicators("pkinit", "otp")}, "otp", "", ""},
		{"indicators add up", []Option{WithRequiredAuthIndicators("pkinit"), WithRequiredAuthIndicators("hardened")}, "otp", "", ""},
		{"other indicators", []Option{WithRequiredAuthIndicators("pkinit")}, "otp", "no_auth_indicator", "no required authentication indicator"},
		{"indicator compared exactly", []Option{WithRequiredAuthIndicators("OTP")}, "otp", "no_auth_indicator", "Heimdal"},
		{"no indicators", []Option{WithRequiredAuthIndicators("otp")}, "alice", "no_auth_indicator", "Active Directory"},

		{"local name before groups", []Option{WithRequireLocalName(), WithAllowedGroups(sidUsers)}, "ad", "no_local_name", ""},
		{"groups before indicators", []Option{WithRequiredAuthIndicators("otp"), WithAllowedGroups(sidAdmins)}, "ad", "group_not_allowed", ""},
		{"indicators before the predicate", []Option{WithAuthorize(func(*Auth) bool { return false }), WithRequiredAuthIndicators("otp")}, "ad", "no_auth_indicator", ""},
		{"groups and the predicate pass", []Option{WithAllowedGroups(sidStaff),
			WithAuthorize(func(a *Auth) bool { return a.PAC.UPN == "alice@ad.example.test" })}, "ad", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := fakeResult(tt.kind, nil)
			for _, optional := range []bool{false, true} {
				opts := tt.opts
				if optional {
					opts = append(opts, WithAuthRequired(func(*http.Request) bool { return false }))
				}
				g := newRig(t, opts...)
				res, a := g.do("/", neg(tt.kind))
				o := g.lastOutcome()
				if tt.reason == "" {
					if res.StatusCode != 200 || a == nil || a.Principal != want.Principal || !reflect.DeepEqual(a.PAC, want.PAC) ||
						!slices.Equal(a.AuthIndicators, want.AuthIndicators) || o.Reason != "" {
						t.Errorf("optional %v: status %d, Auth %+v, outcome %+v; want let in with the PAC and indicators", optional, res.StatusCode, a, o)
					}
					continue
				}
				if o.Reason != tt.reason || o.Principal != "" {
					t.Errorf("optional %v: outcome %+v, want reason %s", optional, o, tt.reason)
				}
				if !optional && (res.StatusCode != 403 || a != nil) {
					t.Errorf("required: status %d, Auth %+v; want 403", res.StatusCode, a)
				}
				if optional && (res.StatusCode != 200 || a == nil || a.Principal != "" || a.PAC != nil || Reason(a.Err) != tt.reason) {
					t.Errorf("optional: status %d, Auth %+v; want anonymous with %s", res.StatusCode, a, tt.reason)
				}
				log := g.logs.String()
				for _, w := range []string{`level=INFO msg="negotiate: not authorized" reason=` + tt.reason, "principal=" + want.Principal, tt.hint} {
					if !strings.Contains(log, w) {
						t.Errorf("optional %v: log lacks %q:\n%s", optional, w, log)
					}
				}
			}
		})
	}
}

// TestAuthorizationCustomForbidden checks that a refusal gets the
// configured forbidden response, as a failed token does.
func TestAuthorizationCustomForbidden(t *testing.T) {
	g := newRig(t, WithAllowedRealms("OTHER.TEST"), WithForbiddenHandler(customDenied(451, false)))
	res, _ := g.do("/", neg("alice"))
	body := new(bytes.Buffer)
	body.ReadFrom(res.Body)
	if res.StatusCode != 451 || body.String() != "custom realm_not_allowed\n" {
		t.Errorf("status %d, body %q", res.StatusCode, body)
	}
	g = newRig(t, WithAllowedRealms("OTHER.TEST"), WithForbiddenStatus(401), WithForbiddenBody("no\n"))
	res, _ = g.do("/", neg("alice"))
	if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != "Negotiate" {
		t.Errorf("status %d, WWW-Authenticate %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
}

// TestAuthorizationDelegation checks that a refused principal's
// credential is released and never stored.
func TestAuthorizationDelegation(t *testing.T) {
	dir := delegDir(t)
	g := newRigWith(t, delegFake(), WithDelegationDir(dir), WithAllowedRealms("OTHER.TEST"))
	if res, _ := g.do("/", neg("deleg:"+carol)); res.StatusCode != 403 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("a refused principal's credential was stored: %q", names)
	}
	checkReleased(t, g.acc)
	if len(g.acc.issuedCreds()) != 1 {
		t.Fatal("no credential was handed out")
	}
}

// TestAuthorizePredicateSees checks what the predicate gets.
func TestAuthorizePredicateSees(t *testing.T) {
	var seen []Auth
	g := newRigWith(t, delegFake(), WithDelegationDir(delegDir(t)), WithSessions(),
		WithAuthorize(func(a *Auth) bool { seen = append(seen, *a); return true }))
	cookie := g.login("deleg:" + carol)
	g.do("/", "", cookie)
	if len(seen) != 2 {
		t.Fatalf("predicate called %d times", len(seen))
	}
	if a := seen[0]; a.Principal != carol || a.FromSession || a.Delegated == nil || a.CCache != "" {
		t.Errorf("on the token: %+v; want carol's credential, no ccache yet", a)
	}
	if a := seen[1]; a.Principal != carol || !a.FromSession || a.Delegated != nil || a.CCache != "" {
		t.Errorf("on the session: %+v", a)
	}
}

// TestLocalNameNeverStripped checks that a principal of another realm, for
// which the acceptor found no local name, gets none from the middleware,
// through a token or a session, and is refused where one is required.
func TestLocalNameNeverStripped(t *testing.T) {
	acc := fixedAcceptor{res: negotiate.Result{Principal: foreign, Mech: negotiate.MechKerberos}}
	for _, required := range []bool{false, true} {
		opts := []Option{quiet, WithSessions()}
		if required {
			opts = append(opts, WithRequireLocalName())
		}
		mw, err := New(acc, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var seen *Auth
		h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen, _ = FromContext(r.Context())
		}))
		rec := serve(h, "x")
		if required {
			if rec.Code != 403 || seen != nil {
				t.Errorf("required: status %d, want 403", rec.Code)
			}
			continue
		}
		if rec.Code != 200 || seen.Principal != foreign || seen.LocalName != "" {
			t.Fatalf("status %d, Auth %+v: want %s with no local name", rec.Code, seen, foreign)
		}
		c := sessionCookieOf(rec.Result().Header, DefaultSessionCookieName)
		r2 := serveCookie(h, c)
		if r2.Code != 200 || !seen.FromSession || seen.LocalName != "" {
			t.Errorf("session: status %d, Auth %+v: want no local name", r2.Code, seen)
		}
	}
}

func TestRealmOf(t *testing.T) {
	for p, want := range map[string]string{
		"alice@EXAMPLE.TEST":                 "EXAMPLE.TEST",
		"HTTP/web.example.test@EXAMPLE.TEST": "EXAMPLE.TEST",
		`alice\@corp.example@EXAMPLE.TEST`:   "EXAMPLE.TEST",
		`a\\@R`:                              "R",
		`a\/b@R`:                             "R",
		"alice":                              "",
		"":                                   "",
		"@R":                                 "R",
		"a@":                                 "",
		`trailing\`:                          "",
		"a@R@S":                              "R@S",
	} {
		if got := realmOf(p); got != want {
			t.Errorf("realmOf(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestNewAuthzOptions(t *testing.T) {
	var nilFunc func(*Auth) bool
	tests := []struct {
		name string
		opt  Option
		ok   bool
	}{
		{"realms", WithAllowedRealms("EXAMPLE.TEST", "OTHER.TEST"), true},
		{"principals", WithAllowedPrincipals(alice, `HTTP/x@R`), true},
		{"local name", WithRequireLocalName(), true},
		{"predicate", WithAuthorize(func(*Auth) bool { return true }), true},
		{"no realm", WithAllowedRealms(), false},
		{"empty realm", WithAllowedRealms("EXAMPLE.TEST", ""), false},
		{"realm with @", WithAllowedRealms("@EXAMPLE.TEST"), false},
		{"realm with a space", WithAllowedRealms("EXAMPLE TEST"), false},
		{"realm with a backslash", WithAllowedRealms(`EXAMPLE\.TEST`), false},
		{"realm with a newline", WithAllowedRealms("EXAMPLE.TEST\n"), false},
		{"no principal", WithAllowedPrincipals(), false},
		{"empty principal", WithAllowedPrincipals(alice, ""), false},
		{"nil predicate", WithAuthorize(nil), false},
		{"typed nil predicate", WithAuthorize(nilFunc), false},
		{"groups", WithAllowedGroups(sidUsers, "S-1-5-32-544", "S-1-18-1"), true},
		{"no group", WithAllowedGroups(), false},
		{"a group that is no SID", WithAllowedGroups(sidUsers, "Domain Admins"), false},
		{"a group in lower case", WithAllowedGroups("s-1-5-32-544"), false},
		{"indicators", WithRequiredAuthIndicators("otp", "pkinit", "radius"), true},
		{"no indicator", WithRequiredAuthIndicators(), false},
		{"empty indicator", WithRequiredAuthIndicators("otp", ""), false},
		{"indicator with a space", WithRequiredAuthIndicators("smart card"), false},
		{"indicator with a newline", WithRequiredAuthIndicators("otp\n"), false},
	}
	for _, tt := range tests {
		_, err := New(newFake(), quiet, tt.opt)
		if tt.ok != (err == nil) {
			t.Errorf("%s: err = %v, want ok = %v", tt.name, err, tt.ok)
		}
	}
}

func TestAuthzReasons(t *testing.T) {
	for err, reason := range map[error]string{
		ErrRealmNotAllowed:     "realm_not_allowed",
		ErrPrincipalNotAllowed: "principal_not_allowed",
		ErrNoLocalName:         "no_local_name",
		ErrGroupNotAllowed:     "group_not_allowed",
		errNoPAC:               "group_not_allowed",
		ErrNoAuthIndicator:     "no_auth_indicator",
		ErrNotAuthorized:       "not_authorized",
	} {
		if got := Reason(err); got != reason {
			t.Errorf("Reason(%v) = %q, want %q", err, got, reason)
		}
		if isServerFault(err) {
			t.Errorf("%v is a server fault", err)
		}
		if !isAuthzErr(err) {
			t.Errorf("isAuthzErr(%v) = false", err)
		}
		for _, s := range []error{negotiate.ErrDefectiveToken, negotiate.ErrIncomplete, negotiate.ErrInternal} {
			if errors.Is(err, s) {
				t.Errorf("%v is %v", err, s)
			}
		}
	}
	if h := hint(ErrNoLocalName); !strings.Contains(h, "auth_to_local") {
		t.Errorf("hint(ErrNoLocalName) = %q", h)
	}
	if !errors.Is(errNoPAC, ErrGroupNotAllowed) || !strings.Contains(errNoPAC.Error(), "no PAC") {
		t.Errorf("errNoPAC = %v", errNoPAC)
	}
	if h := hint(errNoPAC); !strings.Contains(h, "MIT KDC") || !strings.Contains(h, "Heimdal") {
		t.Errorf("hint(errNoPAC) = %q", h)
	}
}
