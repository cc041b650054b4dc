package integration

// End-to-end tests of authorization rules and local names, with real
// tickets and the real acceptor, on a Negotiate request and on the session
// it begins.

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/middleware"
)

// TestForeignRealmRefused allows only OTHER.TEST: alice@EXAMPLE.TEST, with
// a good ticket or a good cookie, is refused.
func TestForeignRealmRefused(t *testing.T) {
	key := newSessionKey()
	open := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(key),
		middleware.WithAllowedRealms(realm.Name))
	closed := newSessionServer(t, middleware.WithSessions(), middleware.WithSessionKeys(key),
		middleware.WithAllowedRealms("OTHER.TEST"))

	cookie := open.login(t, alice()) // its own realm is allowed

	refused := []struct {
		what         string
		path         string
		auth, cookie string
	}{
		{"a ticket", "/session", negotiateValue(mint(t, alice(), target, 0, false)), ""},
		{"a session cookie", "/session", "", cookie},
	}
	for _, tt := range refused {
		r := closed.fetch(t, tt.path, tt.auth, tt.cookie)
		if r.status != http.StatusForbidden || r.body != forbiddenBody {
			t.Errorf("%s: %d %q, want 403 %q", tt.what, r.status, r.body, forbiddenBody)
		}
		if c := r.challenges(); len(c) != 0 {
			t.Errorf("%s: WWW-Authenticate %q on a refusal", tt.what, c)
		}
		if c := sessionCookieIn(r); c != nil {
			t.Errorf("%s: a refused principal got a session cookie", tt.what)
		}
		checkNoDetail(t, r)
	}
	// On an optional route: anonymous, with the reason.
	for _, r := range []reply{
		closed.fetch(t, "/public", negotiateValue(mint(t, alice(), target, 0, false)), ""),
		closed.fetch(t, "/public", "", cookie),
	} {
		if r.status != http.StatusOK || r.body != "anonymous (realm_not_allowed)\n" {
			t.Errorf("/public: %d %q, want anonymous (realm_not_allowed)", r.status, r.body)
		}
	}
	log := closed.logs.String()
	if n := strings.Count(log, `level=INFO msg="negotiate: not authorized" reason=realm_not_allowed error="principal's realm not allowed" principal=alice@EXAMPLE.TEST`); n != 4 {
		t.Errorf("%d refusals logged with reason and principal, want 4:\n%s", n, log)
	}
	if n := closed.counter.calls.Load(); n != 2 {
		t.Errorf("the acceptor was called %d times, want 2", n)
	}
}

// The principals of TestLocalNames, made once per process.
var (
	localNameUsers     sync.Once
	localNameUsersErr  error
	mappedPrincipal    = testrealm.MappedUser             // rob: auth_to_local maps it to robert
	unmappedPrincipal  = "alice/admin"                    // two components: DEFAULT maps it to nothing
	localNamesPassword = "local-names-" + rand.Text()[:8] // for both
)

// localNameUser creates, once, the principal name (without realm) and
// returns it with a fresh TGT in a ccache of the test's.
func localNameUser(t *testing.T, name string) user {
	t.Helper()
	localNameUsers.Do(func() {
		for _, p := range []string{mappedPrincipal, unmappedPrincipal} {
			if localNameUsersErr = realm.AddUser(p, localNamesPassword); localNameUsersErr != nil {
				return
			}
		}
	})
	if localNameUsersErr != nil {
		t.Fatal(localNameUsersErr)
	}
	path := filepath.Join(t.TempDir(), strings.ReplaceAll(name, "/", "_")+".ccache")
	if err := realm.Kinit(name, localNamesPassword, path); err != nil {
		t.Fatal(err)
	}
	return user{realm.Principal(name), "FILE:" + path}
}

// TestLocalNames checks that Auth.LocalName is what the realm's
// auth_to_local rules say, on a Negotiate request and on the session it
// begins: rob is robert, alice is alice, and alice/admin, which no rule
// maps, has none, and is refused where a local name is required.
func TestLocalNames(t *testing.T) {
	// Heimdal 7.8's gss_localname applies no MIT-style RULE: mappings,
	// only its default (the default realm's one-component names): rob
	// stays rob there (gss/doc.go).
	robLocal := map[string]string{"MIT": testrealm.MappedLocalName, "Heimdal": "rob"}[gss.Library()]
	rob := localNameUser(t, mappedPrincipal)
	admin := localNameUser(t, unmappedPrincipal)
	s := newSessionServer(t, middleware.WithSessions())
	for _, tt := range []struct {
		u     user
		local string
	}{
		{rob, robLocal},
		{alice(), "alice"},
		{admin, ""},
	} {
		r := s.fetch(t, "/session", negotiateValue(mint(t, tt.u, target, 0, false)), "")
		if r.status != http.StatusOK || r.body != tt.u.principal+"\n" || r.header.Get("X-Local-Name") != tt.local {
			t.Errorf("%s: %d %q, local name %q, want %q", tt.u.principal, r.status, r.body, r.header.Get("X-Local-Name"), tt.local)
		}
		c := sessionCookieIn(r)
		if c == nil {
			t.Fatalf("%s: no session cookie", tt.u.principal)
		}
		r = s.fetch(t, "/session", "", c.Value)
		checkSessionReply(t, r, tt.u.principal)
		if got := r.header.Get("X-Local-Name"); got != tt.local {
			t.Errorf("%s on the session: local name %q, want %q", tt.u.principal, got, tt.local)
		}
	}

	required := newSessionServer(t, middleware.WithRequireLocalName())
	if r := required.fetch(t, "/session", negotiateValue(mint(t, rob, target, 0, false)), ""); r.status != http.StatusOK ||
		r.header.Get("X-Local-Name") != robLocal {
		t.Errorf("rob with a local name required: %d %q", r.status, r.body)
	}
	if r := required.fetch(t, "/session", negotiateValue(mint(t, admin, target, 0, false)), ""); r.status != http.StatusForbidden {
		t.Errorf("%s with a local name required: %d %q, want 403", admin.principal, r.status, r.body)
	}
	if r := required.fetch(t, "/public", negotiateValue(mint(t, admin, target, 0, false)), ""); r.body != "anonymous (no_local_name)\n" {
		t.Errorf("%s on /public: %d %q", admin.principal, r.status, r.body)
	}
	if !strings.Contains(required.logs.String(), fmt.Sprintf("reason=no_local_name error=%q principal=%s", "principal maps to no local name", admin.principal)) {
		t.Errorf("the log lacks the refusal:\n%s", required.logs)
	}
}
