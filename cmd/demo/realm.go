package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

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
	kind               string // "realm", or "Active Directory domain"
	realm, principal   string
	passwordFile       string // the password, mode 0600, for kinit
	krb5Config, ccache string
	onExit             string // what happens to the realm when the demo stops

	// In an AD domain: the user's SID and groups (besides Domain Users),
	// as the directory has them; "" and nil in an MIT realm.
	userSID string
	groups  []group
}

// group is a directory group: its name and SID.
type group struct{ name, sid string }

// The files of a demo realm, besides the realm's own: an earlier run's
// realm is a directory that holds both of the first two.
const (
	passwordName = "alice.password"
	keytabName   = "http.keytab"
	ccacheName   = "alice.ccache"
)

// realmDirKind is what a -realm-dir holds.
type realmDirKind int

const (
	dirNew     realmDirKind = iota // missing or empty: a new realm goes there
	dirDemo                        // a realm of an earlier run: resume it
	dirForeign                     // anything else: refused
)

func inspectRealmDir(dir string) (realmDirKind, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return dirNew, nil
	case err != nil:
		return 0, err
	case len(entries) == 0:
		return dirNew, nil
	}
	for _, name := range []string{passwordName, keytabName} {
		if fi, err := os.Lstat(filepath.Join(dir, name)); err != nil || !fi.Mode().IsRegular() {
			return dirForeign, nil
		}
	}
	return dirDemo, nil
}

// errForeignDir says why a -realm-dir is refused.
func errForeignDir(dir string, why error) error {
	msg := fmt.Sprintf("-realm-dir %s is not empty and holds no realm of the demo's", dir)
	if why != nil {
		msg += " (" + why.Error() + ")"
	} else {
		msg += fmt.Sprintf(" (no %s and %s)", passwordName, keytabName)
	}
	return errors.New(msg + "; the demo writes nothing there: give a new or empty directory, or one an earlier run of the demo made")
}

// startRealm starts the realm with the user alice and the key of
// service/localhost, and points this process's Kerberos library at it.
// That is done before the server starts and never again. The realm is in
// a new temporary directory when dir is "". Otherwise dir is kept: a new
// realm when dir is new or empty, or the realm an earlier run made there,
// resumed with its principals, keys and password; any other directory is
// refused.
func startRealm(dir, service string, log *slog.Logger) (*embeddedRealm, *demoUser, error) {
	temporary := dir == ""
	kind := dirNew
	if temporary {
		var err error
		if dir, err = os.MkdirTemp("", "negotiate-demo-"); err != nil {
			return nil, nil, err
		}
	} else {
		var err error
		if dir, err = filepath.Abs(dir); err != nil {
			return nil, nil, err
		}
		if kind, err = inspectRealmDir(dir); err != nil {
			return nil, nil, fmt.Errorf("-realm-dir: %w", err)
		}
		if kind == dirForeign {
			return nil, nil, errForeignDir(dir, nil)
		}
	}
	u := &demoUser{
		kind:         "realm",
		passwordFile: filepath.Join(dir, passwordName),
		ccache:       "FILE:" + filepath.Join(dir, ccacheName),
		onExit:       "the KDC stops and the realm is removed on exit.",
	}
	if !temporary {
		u.onExit = "the KDC stops on exit; the realm stays in " + dir +
			", and -realm-dir " + dir + " resumes it."
	}
	var (
		e   *embeddedRealm
		err error
	)
	if kind == dirDemo {
		e, err = resumeRealm(dir, u, log)
	} else {
		e, err = makeRealm(dir, service, temporary, u, log)
	}
	if err != nil {
		return nil, nil, err
	}
	u.realm, u.principal, u.krb5Config = e.Name, e.Principal("alice"), e.Config
	if err := e.UseInProcess(); err != nil {
		e.close(nil)
		return nil, nil, fmt.Errorf("embedded realm: %w", err)
	}
	return e, u, nil
}

// makeRealm makes the realm in dir, new or empty. If that fails, dir is as
// it was before: removed if it was new, emptied if it was empty.
func makeRealm(dir, service string, temporary bool, u *demoUser, log *slog.Logger) (*embeddedRealm, error) {
	_, statErr := os.Stat(dir)
	existed := statErr == nil
	undo := func() {
		if temporary || !existed {
			os.RemoveAll(dir)
			return
		}
		entries, _ := os.ReadDir(dir)
		for _, ent := range entries {
			os.RemoveAll(filepath.Join(dir, ent.Name()))
		}
	}
	r, err := testrealm.Start(dir, "")
	if err != nil {
		undo()
		return nil, fmt.Errorf("embedded realm: %w", err)
	}
	e := &embeddedRealm{Realm: r, keytab: filepath.Join(dir, keytabName), removed: temporary}
	password := rand.Text()[:16]
	spn := service + "/localhost"
	steps := []func() error{
		func() error { return r.AddUser("alice", password) },
		func() error { return r.AddService(spn) },
		func() error { return r.WriteKeytab(e.keytab, spn) },
		func() error { return r.Kinit("alice", password, filepath.Join(dir, ccacheName)) },
		// Last, for it marks the directory as a demo realm.
		func() error { return os.WriteFile(u.passwordFile, []byte(password+"\n"), 0o600) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			r.Close()
			undo()
			return nil, fmt.Errorf("embedded realm: %w", err)
		}
	}
	log.Info("new realm", "realm", r.Name, "dir", dir, "kdc", r.KDCAddr, "kept", !temporary)
	return e, nil
}

// resumeRealm restarts the realm an earlier run made in dir: the user and
// the keytab stay as they are, and alice gets a fresh ticket with the
// password the earlier run wrote.
func resumeRealm(dir string, u *demoUser, log *slog.Logger) (*embeddedRealm, error) {
	b, err := os.ReadFile(u.passwordFile)
	if err != nil {
		return nil, fmt.Errorf("resuming the realm in %s: %w", dir, err)
	}
	password := strings.TrimSpace(string(b))
	if password == "" {
		return nil, fmt.Errorf("resuming the realm in %s: %s is empty", dir, u.passwordFile)
	}
	r, err := testrealm.Open(dir)
	if errors.Is(err, testrealm.ErrNoRealm) {
		return nil, errForeignDir(dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("resuming the realm in %s: %w", dir, err)
	}
	e := &embeddedRealm{Realm: r, keytab: filepath.Join(dir, keytabName)}
	if err := r.Kinit("alice", password, filepath.Join(dir, ccacheName)); err != nil {
		r.Close()
		return nil, fmt.Errorf("resuming the realm in %s: alice's ticket, with the password in %s: %w", dir, u.passwordFile, err)
	}
	if r.MovedFrom != "" {
		log.Warn("resumed realm on a new port: its port was taken, so krb5.conf and kdc.conf now name the new one",
			"realm", r.Name, "dir", dir, "kdc", r.KDCAddr, "was", r.MovedFrom)
	} else {
		log.Info("resumed realm", "realm", r.Name, "dir", dir, "kdc", r.KDCAddr)
	}
	return e, nil
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
