// Package testrealm starts a throwaway MIT Kerberos realm: a KDC on
// 127.0.0.1 and a free port, with its database, configuration and keys in one
// directory. Tests use it to get real tickets and real tokens.
//
// Nothing under /etc is read or written: the realm's programs and the calling
// process find the realm through KRB5_CONFIG and KRB5_KDC_PROFILE (see
// [Realm.Env] and [Realm.UseInProcess]). Each realm has its own directory
// and port, so parallel test packages do not meet.
//
// A realm outlives its KDC: [Open] reopens a directory that Start made
// earlier, with the same principals and keys, on the same port when it is
// free (the demo's -realm-dir does this). One process at a time holds a
// realm's directory, from Start or Open until Close.
//
// It needs MIT krb5's server programs (Debian: krb5-kdc, krb5-admin-server,
// krb5-user); [Start] reports which one is missing.
//
// The demo (cmd/demo) embeds a realm, so this package does not import
// testing: a test binary's TestMain starts its [Fixture] with
// realmtest.Main, in the package realmtest below this one.
package testrealm

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/negotiate-go/negotiate/internal/krbenv"
)

// DefaultName is the realm name Start uses.
const DefaultName = "EXAMPLE.TEST"

// The realm's krb5.conf maps MappedUser, with an auth_to_local rule, to the
// local name MappedLocalName rather than to itself: "rob@EXAMPLE.TEST" is
// the local user "robert". Every other principal maps as MIT's DEFAULT rule
// says: a single-component principal of the realm to its name
// ("alice@EXAMPLE.TEST" is "alice"), anything else to nothing. No principal
// MappedUser exists until a test creates it with [Realm.AddUser].
const (
	MappedUser      = "rob"
	MappedLocalName = "robert"
)

// masterPassword protects the throwaway database; nothing else uses it.
const masterPassword = "testrealm-master"

// Realm is a running throwaway realm.
type Realm struct {
	Name    string // "EXAMPLE.TEST"
	Dir     string // holds everything the realm wrote
	KDCAddr string // "127.0.0.1:PORT", TCP and UDP
	Config  string // path of the realm's krb5.conf
	Profile string // path of the KDC's kdc.conf

	// MovedFrom is set by Open when the port the directory recorded was
	// taken: the old address, "127.0.0.1:PORT". The KDC then listens on
	// KDCAddr, which Open wrote into krb5.conf and kdc.conf. Otherwise "".
	MovedFrom string

	kdc    *exec.Cmd
	kdcLog string
	exited chan struct{} // closed when the KDC process ends
	pkinit bool          // the configuration names the PKINIT files: see EnableAnonymousPKINIT
	lock   *os.File      // held from Start or Open until Close: see lockDir
}

// Start creates a realm named name (DefaultName if empty) in dir, new or
// holding no realm yet, and starts its KDC on a free port. Stop it with
// Close. A directory that holds a realm already is refused: reopen it with
// [Open].
func Start(dir, name string) (*Realm, error) {
	if name == "" {
		name = DefaultName
	}
	if err := checkPrograms(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("testrealm: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("testrealm: %w", err)
	}
	holdsRealm := func() error {
		if f := realmFiles(dir); len(f) > 0 {
			return fmt.Errorf("testrealm: %s already holds a realm (%s): reopen it with Open", dir, strings.Join(f, ", "))
		}
		return nil
	}
	// Before the lock file is made, and again under the lock.
	if err := holdsRealm(); err != nil {
		return nil, err
	}
	r, err := newRealm(dir, name)
	if err != nil {
		return nil, err
	}
	if err := holdsRealm(); err != nil {
		r.unlock()
		return nil, err
	}
	if err := r.startOnFreePort(r.writeConfig, newDatabase); err != nil {
		r.unlock()
		return nil, err
	}
	return r, nil
}

// newRealm returns the Realm of the realm called name in dir and locks dir
// (see lockDir); it starts no KDC.
func newRealm(dir, name string) (*Realm, error) {
	r := &Realm{
		Name:    name,
		Dir:     dir,
		Config:  filepath.Join(dir, "krb5.conf"),
		Profile: filepath.Join(dir, "kdc.conf"),
		kdcLog:  filepath.Join(dir, "kdc.log"),
	}
	if err := r.lockDir(); err != nil {
		return nil, err
	}
	return r, nil
}

// startOnFreePort starts the KDC on a free port: configure(port) writes the
// port into the configuration, then startKDC starts the KDC. A port that is
// free now may be taken before the KDC binds it, so it tries a few.
func (r *Realm) startOnFreePort(configure func(port int) error, db []string, env ...string) error {
	var err error
	for range 5 {
		port, perr := freePort()
		if perr != nil {
			return fmt.Errorf("testrealm: free port: %w", perr)
		}
		if err = configure(port); err != nil {
			return err
		}
		if err = r.startKDC(port, db, env...); err == nil {
			return nil
		}
	}
	return err
}

// startKDC starts the KDC on port, which the configuration names already:
// it makes the database with kdb5_util and db (its arguments after the
// realm) unless there is one (with db nil, there must be one), and starts
// krb5kdc with env added to the realm's environment. If this process dies without Close (a panicking
// test), so does the KDC.
func (r *Realm) startKDC(port int, db []string, env ...string) error {
	r.KDCAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if _, err := os.Stat(filepath.Join(r.Dir, "principal")); db != nil && errors.Is(err, os.ErrNotExist) {
		if _, err := r.run(nil, "kdb5_util", append([]string{"-r", r.Name}, db...)...); err != nil {
			return err
		}
	}
	path, err := krbenv.LookPath("krb5kdc")
	if err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	cmd := exec.Command(path, "-n", "-r", r.Name)
	cmd.Env = append(r.Env(), env...)
	exited, err := krbenv.Start(cmd, r.kdcLog)
	if err != nil {
		return fmt.Errorf("testrealm: start krb5kdc: %w", err)
	}
	r.kdc, r.exited = cmd, exited
	if err := r.waitReady(5 * time.Second); err != nil {
		r.StopKDC()
		return err
	}
	return nil
}

// newDatabase are startKDC's kdb5_util arguments for a new realm.
var newDatabase = []string{"create", "-s", "-P", masterPassword}

// waitReady waits until the KDC answers on TCP, or fails if it exits.
func (r *Realm) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-r.exited:
			out, _ := os.ReadFile(r.kdcLog)
			return fmt.Errorf("testrealm: krb5kdc exited: %s", bytes.TrimSpace(out))
		default:
		}
		if c, err := net.DialTimeout("tcp", r.KDCAddr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("testrealm: krb5kdc did not listen on %s within %v", r.KDCAddr, limit)
}

func (r *Realm) writeConfig(port int) error {
	krb5 := krbenv.Libdefaults(r.Name, r.Dir) + fmt.Sprintf(`
[realms]
	%[1]s = {
		kdc = 127.0.0.1:%[3]d
		auth_to_local = RULE:[1:$1@$0](^%[4]s@%[5]s$)s/^%[4]s@.*/%[6]s/
		auth_to_local = DEFAULT
	}

[domain_realm]
	localhost = %[1]s
	.localhost = %[1]s
`, r.Name, r.Dir, port, MappedUser, regexp.QuoteMeta(r.Name), MappedLocalName)
	kdc := fmt.Sprintf(`[kdcdefaults]
	kdc_listen = 127.0.0.1:%[3]d
	kdc_tcp_listen = 127.0.0.1:%[3]d

[realms]
	%[1]s = {
		database_name = %[2]s/principal
		key_stash_file = %[2]s/stash
		acl_file = %[2]s/kadm5.acl
		max_life = 10h
		max_renewable_life = 1d
%[4]s	}

[logging]
	kdc = FILE:%[2]s/kdc-events.log
`, r.Name, r.Dir, port, r.kdcPKINITConfig())
	krb5 = strings.Replace(krb5, "\t\tkdc = ", r.clientPKINITConfig()+"\t\tkdc = ", 1)
	if err := os.WriteFile(r.Config, []byte(krb5), 0o600); err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	if err := os.WriteFile(r.Profile, []byte(kdc), 0o600); err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	return nil
}

// Env returns the environment for the realm's programs and for clients
// such as curl and klist: the process environment with KRB5_CONFIG,
// KRB5_KDC_PROFILE and KRB5RCACHEDIR pointing into the realm directory.
func (r *Realm) Env() []string { return krbenv.Env(r.envVars()...) }

func (r *Realm) envVars() []string {
	return []string{
		"KRB5_CONFIG=" + r.Config,
		"KRB5_KDC_PROFILE=" + r.Profile,
		"KRB5RCACHEDIR=" + r.Dir,
	}
}

// UseInProcess points the calling process's Kerberos library at this realm
// by setting KRB5_CONFIG, KRB5_KDC_PROFILE and KRB5RCACHEDIR. Call it once,
// before any GSS-API call (a TestMain is the place), never in a running
// server.
func (r *Realm) UseInProcess() error {
	for _, kv := range r.envVars() {
		k, v, _ := strings.Cut(kv, "=")
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// StopKDC stops the KDC by its PID and waits for it; the realm's files
// stay, and tickets already issued stay valid.
func (r *Realm) StopKDC() error {
	if r.kdc == nil {
		return nil
	}
	err := r.kdc.Process.Kill()
	<-r.exited
	r.kdc = nil
	if errors.Is(err, os.ErrProcessDone) {
		err = nil
	}
	return err
}

// Close stops the KDC and lets go of the directory, which [Open] can
// reopen. The directory is left to its owner (t.TempDir removes it in
// tests).
func (r *Realm) Close() error {
	err := r.StopKDC()
	r.unlock()
	return err
}

// freePort finds a port that is free on 127.0.0.1 for both TCP and UDP.
func freePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		return port, nil
	}
	return 0, errors.New("no port free for both TCP and UDP")
}

// portFree reports whether port is free on 127.0.0.1 for both TCP and UDP.
func portFree(port int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	u.Close()
	return true
}
