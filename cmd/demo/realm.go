package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// embeddedRealm is the throwaway realm the demo runs without -keytab.
type embeddedRealm struct {
	*testrealm.Realm
	keytab  string
	removed bool // the directory is temporary and removed on close
}

// demoUser is the user the embedded realm creates, with a ticket ready.
type demoUser struct {
	realm, principal   string
	passwordFile       string // the password, mode 0600, for kinit
	krb5Config, ccache string
	onExit             string // what happens to the realm when the demo stops
}

// startRealm starts a realm in dir (a new temporary directory if empty)
// with the user alice and the key of service/localhost, and points this
// process's Kerberos library at it. That is done before the server starts
// and never again.
func startRealm(dir, service string) (*embeddedRealm, *demoUser, error) {
	temporary := dir == ""
	if temporary {
		var err error
		if dir, err = os.MkdirTemp("", "negotiate-demo-"); err != nil {
			return nil, nil, err
		}
	}
	r, err := testrealm.Start(dir, "")
	if err != nil {
		if temporary {
			os.RemoveAll(dir)
		}
		return nil, nil, err
	}
	e := &embeddedRealm{Realm: r, keytab: filepath.Join(dir, "http.keytab"), removed: temporary}
	u := &demoUser{
		realm:        r.Name,
		principal:    r.Principal("alice"),
		passwordFile: filepath.Join(dir, "alice.password"),
		krb5Config:   r.Config,
		ccache:       "FILE:" + filepath.Join(dir, "alice.ccache"),
		onExit:       "the KDC stops and the realm is removed on exit.",
	}
	if !temporary {
		u.onExit = "the KDC stops on exit; the realm stays in " + dir + "."
	}
	password := rand.Text()[:16]
	spn := service + "/localhost"
	steps := []func() error{
		func() error { return os.WriteFile(u.passwordFile, []byte(password+"\n"), 0o600) },
		func() error { return r.AddUser("alice", password) },
		func() error { return r.AddService(spn) },
		func() error { return r.WriteKeytab(e.keytab, spn) },
		func() error { return r.Kinit("alice", password, filepath.Join(dir, "alice.ccache")) },
		r.UseInProcess,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			e.close(nil)
			return nil, nil, fmt.Errorf("embedded realm: %w", err)
		}
	}
	return e, u, nil
}

// close stops the KDC and removes a temporary realm directory.
func (e *embeddedRealm) close(log *slog.Logger) {
	if err := e.Close(); err != nil && log != nil {
		log.Warn("stopping the KDC", "error", err)
	}
	if e.removed {
		os.RemoveAll(e.Dir)
	}
}
