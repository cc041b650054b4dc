package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/negotiate-go/negotiate/client"
	"github.com/negotiate-go/negotiate/gss"
)

var errSelfcheckFailed = errors.New("selfcheck failed")

// selfcheck runs a client through every route and prints a one-line
// verdict. The user's ticket comes from the embedded realm, or, with
// -keytab, from KRB5CCNAME.
func selfcheck(a *app, u *demoUser, out io.Writer) error {
	var ccache []client.Option
	if u != nil {
		ccache = append(ccache, client.WithCCache(u.ccache))
	}
	spn := client.WithSPN(func(r *http.Request) string { return a.spn(r) })
	anonymous := &http.Client{}
	plain, err := client.New(append(ccache, spn)...)
	if err != nil {
		return verdict(out, 0, err)
	}
	defer plain.Close()
	delegating, err := client.New(append(ccache, spn, client.WithDelegation(client.DelegateAlways))...)
	if err != nil {
		return verdict(out, 0, err)
	}
	defer delegating.Close()
	// /public never challenges: only a token sent before any challenge
	// reaches it.
	preemptive, err := client.New(append(ccache, spn, client.WithPreemptive())...)
	if err != nil {
		return verdict(out, 0, err)
	}
	defer preemptive.Close()

	// Who the server says we are, learned from the first check.
	var principal string
	type check struct {
		name  string
		as    http.RoundTripper
		path  string
		check func(status int, body string) error
	}
	// /delegated for a client that does not delegate: refused, or with
	// -constrained-delegation done with a proxy credential.
	notDelegating, plainKind := check{"delegated without delegation says so", plain, "/delegated", func(s int, b string) error {
		return all(wantStatus(http.StatusForbidden)(s, b), contains(b, "delegat"))
	}}, "none"
	if a.constrained {
		notDelegating, plainKind = check{"delegated without delegation acts as the user with a proxy credential", plain, "/delegated", func(s int, b string) error {
			return all(wantStatus(http.StatusOK)(s, b), contains(b, "a proxy credential"), contains(b, "200 OK: "+principal+"\n"))
		}}, "proxy"
	}
	checks := []check{
		{"whoami without a ticket is refused", anonymous.Transport, "/whoami", wantStatus(http.StatusUnauthorized)},
		{"whoami names the user", plain, "/whoami", func(status int, body string) error {
			principal = strings.TrimSpace(body)
			if u != nil && principal != u.principal {
				return fmt.Errorf("got %q, want %q", principal, u.principal)
			}
			return all(wantStatus(http.StatusOK)(status, body), nonEmpty(principal))
		}},
		{"public without a ticket is anonymous", anonymous.Transport, "/public", wantBody("anonymous\n")},
		{"public with a ticket names the user", preemptive, "/public", func(s int, b string) error { return wantBody(principal+"\n")(s, b) }},
		notDelegating,
		{"delegated acts as the user", delegating, "/delegated", func(s int, b string) error {
			return all(wantStatus(http.StatusOK)(s, b), contains(b, "200 OK: "+principal+"\n"))
		}},
		{"info tells every key of the user", plain, "/info", func(s int, b string) error {
			if err := wantStatus(http.StatusOK)(s, b); err != nil {
				return err
			}
			return checkInfo(b, principal, plainKind, u)
		}},
		{"info of a delegating request says forwarded", delegating, "/info", func(s int, b string) error {
			if err := wantStatus(http.StatusOK)(s, b); err != nil {
				return err
			}
			return checkInfo(b, principal, "forwarded", u)
		}},
	}
	for i, c := range checks {
		status, body, err := fetch(c.as, a.selfURL+c.path)
		if err == nil {
			err = c.check(status, body)
		}
		if err != nil {
			return verdict(out, i, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return verdict(out, len(checks), nil)
}

// checkInfo checks /info's JSON: every key there, the principal's, the
// delegation kind, and in an AD domain the user's SID and groups as the
// directory has them (built on MIT krb5).
func checkInfo(body, principal, delegation string, u *demoUser) error {
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		return fmt.Errorf("not JSON: %v: %q", err, body)
	}
	var info infoReply
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		return fmt.Errorf("not JSON: %v: %q", err, body)
	}
	for _, key := range infoKeys() {
		if v, ok := got[key]; !ok || v == nil {
			return fmt.Errorf("no %q in %s", key, body)
		}
	}
	if info.Principal != principal {
		return fmt.Errorf("principal %q, want %q", info.Principal, principal)
	}
	if info.Delegation != delegation {
		return fmt.Errorf("delegation %q, want %q", info.Delegation, delegation)
	}
	// Heimdal's GSS-API does not hand the PAC out: no SIDs to check.
	if u == nil || u.userSID == "" || gss.Library() == "Heimdal" {
		return nil
	}
	if info.UserSID != u.userSID {
		return fmt.Errorf("user_sid %q, want %q", info.UserSID, u.userSID)
	}
	for _, g := range u.groups {
		if !slices.Contains(info.GroupSIDs, g.sid) {
			return fmt.Errorf("group_sids %q lack %s (%s)", info.GroupSIDs, g.sid, g.name)
		}
	}
	return nil
}

// infoKeys are the JSON keys of /info, in order.
func infoKeys() []string {
	t := reflect.TypeFor[infoReply]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = t.Field(i).Tag.Get("json")
	}
	return keys
}

func verdict(out io.Writer, passed int, err error) error {
	if err != nil {
		fmt.Fprintf(out, "selfcheck: FAIL after %d checks: %v\n", passed, err)
		return errSelfcheckFailed
	}
	fmt.Fprintf(out, "selfcheck: PASS: %d checks, every route with the project's own client\n", passed)
	return nil
}

func fetch(rt http.RoundTripper, url string) (int, string, error) {
	resp, err := (&http.Client{Transport: rt}).Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(body), err
}

func wantStatus(want int) func(int, string) error {
	return func(status int, body string) error {
		if status != want {
			return fmt.Errorf("status %d (%q), want %d", status, body, want)
		}
		return nil
	}
}

func wantBody(want string) func(int, string) error {
	return func(status int, body string) error {
		return all(wantStatus(http.StatusOK)(status, body), func() error {
			if body != want {
				return fmt.Errorf("body %q, want %q", body, want)
			}
			return nil
		}())
	}
}

func contains(body, want string) error {
	if !strings.Contains(body, want) {
		return fmt.Errorf("body %q does not contain %q", body, want)
	}
	return nil
}

func nonEmpty(s string) error {
	if s == "" {
		return errors.New("empty principal")
	}
	return nil
}

// all returns the first non-nil error.
func all(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
