package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/negotiate-go/negotiate/internal/adrealm"
)

// adGroups are the groups alice is in, besides Domain Users, in the
// embedded AD domain.
var adGroups = []string{"engineers", "readers"}

// adServiceAccount holds the service's SPN and keys in the embedded AD
// domain: on AD a service principal name belongs to an account.
const adServiceAccount = "websvc"

// embeddedDomain is the throwaway Active Directory domain (a Samba AD DC)
// the demo runs with -realm ad and no -keytab.
type embeddedDomain struct {
	*adrealm.Domain
	keytab string
}

// startDomain starts an AD domain in a new temporary directory, with the
// user alice in adGroups and the service account websvc holding
// service/localhost, allowed to delegate to service/localhost when
// constrained is set, and points this process's Kerberos library at it.
// The domain is removed on close. Unlike the MIT realm it is never kept:
// making one takes a fraction of a second once the first (5 to 8 s) has
// left its template behind.
func startDomain(service string, constrained bool, log *slog.Logger) (*embeddedDomain, *demoUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil, errors.New("-realm ad needs root: Samba's domain controller binds ports 88 and 389 and owns its files as root")
	}
	dir, err := os.MkdirTemp("", "negotiate-demo-ad-")
	if err != nil {
		return nil, nil, err
	}
	log.Info("starting a Samba AD domain controller on 127.0.0.1:88 and :389 (one at a time on a machine: this waits for another to stop)",
		"realm", adrealm.Realm, "dir", dir)
	d, err := adrealm.Start(dir)
	if err != nil {
		os.RemoveAll(dir)
		// adrealm's errors say what is missing (the packages, for make
		// deps-ad) or who holds the ports.
		return nil, nil, fmt.Errorf("-realm ad: %w", err)
	}
	e := &embeddedDomain{Domain: d, keytab: filepath.Join(dir, keytabName)}
	u := &demoUser{
		passwordFile: filepath.Join(dir, passwordName),
		ccache:       "FILE:" + filepath.Join(dir, ccacheName),
		onExit:       "the domain controller stops and the domain is removed on exit.",
	}
	if err := e.populate(service, constrained, u); err != nil {
		e.close(nil)
		return nil, nil, fmt.Errorf("embedded AD domain: %w", err)
	}
	for _, kv := range [][2]string{{"KRB5_CONFIG", d.Config}, {"KRB5RCACHEDIR", d.Dir}} {
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			e.close(nil)
			return nil, nil, fmt.Errorf("embedded AD domain: %w", err)
		}
	}
	groups := make([]string, len(u.groups))
	for i, g := range u.groups {
		groups[i] = g.name + "=" + g.sid
	}
	log.Info("new AD domain", "realm", d.Realm, "dir", dir, "kdc", d.KDCAddr,
		"user", u.principal, "user_sid", u.userSID, "groups", groups, "timings", d.Timings.String())
	if constrained {
		log.Info("constrained delegation: the service account may delegate to its own SPN (msDS-AllowedToDelegateTo), which /delegated calls",
			"account", adServiceAccount, "delegate_to", service+"/localhost")
	}
	return e, u, nil
}

// populate creates alice, her groups, the service account and its keytab,
// lets the account delegate to its own SPN when constrained is set, gets
// alice a forwardable ticket, and fills in u.
func (e *embeddedDomain) populate(service string, constrained bool, u *demoUser) error {
	d := e.Domain
	// AD's default policy wants three kinds of character: rand.Text gives
	// upper case and digits, the suffix adds lower case and a symbol.
	password := rand.Text()[:16] + "-ad"
	spn := service + "/localhost"
	steps := []func() error{
		func() error { return d.AddUser("alice", password) },
		func() error { return d.AddGroups(adGroups...) },
		func() error { return d.Join("alice", adGroups...) },
		func() error { return d.AddService(adServiceAccount, rand.Text()[:16]+"-svc", spn) },
		// The account first, then the SPN: an S4U service needs a TGT of
		// its own, which only the account name gets (see the package doc).
		func() error { return d.ExportKeytab(e.keytab, adServiceAccount, spn) },
		func() error {
			if !constrained {
				return nil
			}
			// /delegated calls this very service as the user: the
			// account's msDS-AllowedToDelegateTo must name its own SPN.
			return d.AddDelegationService(adServiceAccount, spn)
		},
		func() error { return d.Kinit("alice", password, filepath.Join(d.Dir, ccacheName)) },
		func() error { return os.WriteFile(u.passwordFile, []byte(password+"\n"), 0o600) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	sids, err := d.SIDs(append([]string{"alice"}, adGroups...)...)
	if err != nil {
		return err
	}
	u.realm, u.principal, u.krb5Config = d.Realm, "alice@"+d.Realm, d.Config
	u.kind = "Active Directory domain"
	u.userSID = sids[0]
	for i, g := range adGroups {
		u.groups = append(u.groups, group{name: g, sid: sids[i+1]})
	}
	return nil
}

// close stops the domain controller and removes the domain's directory.
func (e *embeddedDomain) close(log *slog.Logger) {
	if err := e.Close(); err != nil && log != nil {
		log.Warn("stopping the domain controller", "error", err)
	}
	os.RemoveAll(e.Dir)
}
