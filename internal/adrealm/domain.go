// Package adrealm starts a throwaway Active Directory domain for tests: a
// Samba AD domain controller on loopback, with its database, configuration
// and keys in one directory. Tests use it to get real AD tickets, with real
// PACs (group SIDs, UPN), real S4U delegation and real AES service keys.
//
// # Ports and the lock
//
// Samba serves Kerberos on 127.0.0.1:88 and LDAP on 127.0.0.1:389, fixed
// ports, so only one domain runs on a machine at a time. [Start] takes an
// exclusive flock on [LockFile] and holds it until [Domain.Close]: a second
// test binary that starts a domain waits for the first to finish. Start
// fails with a clear message when port 88 or 389 is held by something else
// (a system KDC, a Samba not started here).
//
// # Speed
//
// Provisioning a domain with samba-tool takes 5 to 8 seconds. Start does it
// once per machine: it provisions a template under the system temporary
// directory (named by the Samba version and this package's provisioning
// recipe, so an upgrade makes a new one) and copies it into each new
// domain's directory, about 0.05 s, then starts samba with the KDC and LDAP
// services only, about 0.2 s. Every domain copied from one template has the
// same domain SID and the same krbtgt key. [Domain.Timings] tells what a
// Start cost.
//
// # Environment
//
// Nothing under /etc is read or written: clients find the domain through the
// krb5.conf at [Domain.Config] (see [Domain.Env]); Samba's programs through
// the smb.conf at [Domain.SMBConf]. It needs root (Samba binds ports 88 and
// 389 and owns its files as root) and the Debian packages samba-ad-dc,
// samba, winbind and krb5-user.
package adrealm

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/negotiate-go/negotiate/internal/krbenv"
)

// The domain every Start creates.
const (
	Realm         = "AD.EXAMPLE.TEST" // Kerberos realm
	DNSDomain     = "ad.example.test" // AD DNS domain name (the realm in lower case)
	NetBIOSDomain = "ADEX"            // NetBIOS domain name: the PAC's LogonDomainName
	AdminPassword = "Adm1n-Throwaway!"
	hostName      = "dc" // the DC's host name; its NetBIOS name is DC
)

// LockFile is the file whose exclusive flock a running domain holds.
const LockFile = "/tmp/negotiate-adrealm.lock"

// lockWait is how long Start waits for another domain to close.
var lockWait = 3 * time.Minute

// Domain is a running throwaway AD domain.
type Domain struct {
	Dir     string // holds everything the domain wrote
	Realm   string // "AD.EXAMPLE.TEST"
	Config  string // path of the clients' krb5.conf
	SMBConf string // path of the DC's smb.conf, for samba-tool -s
	KDCAddr string // "127.0.0.1:88"

	// Timings tells what Start cost.
	Timings Timings

	lock   *os.File
	samba  *exec.Cmd
	log    string
	exited chan struct{} // closed when samba ends
	python string        // the interpreter samba-tool runs under
	adtool string        // path of adtool.py in Dir
}

// Timings is what one Start cost.
type Timings struct {
	LockWait  time.Duration // waiting for another domain to close
	Provision time.Duration // samba-tool domain provision of the template; 0 when it existed
	Copy      time.Duration // copying the template into Dir
	Ready     time.Duration // from starting samba until the KDC and LDAP listen
}

func (t Timings) String() string {
	return fmt.Sprintf("lock wait %v, provision %v, copy %v, ready %v",
		t.LockWait.Round(time.Millisecond), t.Provision.Round(time.Millisecond),
		t.Copy.Round(time.Millisecond), t.Ready.Round(time.Millisecond))
}

//go:embed adtool.py
var adtoolPy []byte

// Programs a domain runs, resolved from PATH and the sbin directories.
var programs = []string{"samba", "samba-tool", "net", "kinit", "klist", "kvno"}

// Start creates a domain in dir, which must be new or empty, and starts its
// DC. Stop it with Close.
func Start(dir string) (d *Domain, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("adrealm: Samba's DC must run as root (it binds ports 88 and 389)")
	}
	for _, p := range programs {
		if _, err := krbenv.LookPath(p); err != nil {
			return nil, fmt.Errorf("adrealm: %s not found (install samba-ad-dc, samba, winbind and krb5-user): %w", p, err)
		}
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("adrealm: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("adrealm: %w", err)
	}
	if ents, err := os.ReadDir(dir); err != nil {
		return nil, fmt.Errorf("adrealm: %w", err)
	} else if len(ents) > 0 {
		return nil, fmt.Errorf("adrealm: %s is not empty", dir)
	}
	python, err := sambaPython()
	if err != nil {
		return nil, err
	}
	d = &Domain{
		Dir:     dir,
		Realm:   Realm,
		Config:  filepath.Join(dir, "krb5.conf"),
		SMBConf: filepath.Join(dir, "etc", "smb.conf"),
		KDCAddr: "127.0.0.1:88",
		log:     filepath.Join(dir, "samba.log"),
		python:  python,
		adtool:  filepath.Join(dir, "adtool.py"),
	}

	t0 := time.Now()
	if d.lock, err = acquireLock(lockWait); err != nil {
		return nil, err
	}
	d.Timings.LockWait = time.Since(t0)
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()
	if err := portsFree(); err != nil {
		return nil, err
	}
	err = d.startFromTemplate()
	if err != nil && d.Timings.Provision == 0 {
		// A template from an earlier run that no longer starts (damaged,
		// or left by another version of this package): make it anew, once.
		d.stopSamba()
		if e := removeTemplate(); e == nil && clearDir(dir) == nil {
			err = d.startFromTemplate()
		}
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// startFromTemplate fills d.Dir from the template (provisioning it if
// needed) and starts samba.
func (d *Domain) startFromTemplate() error {
	tmpl, took, err := ensureTemplate(d.python)
	if err != nil {
		return err
	}
	d.Timings.Provision = took
	t1 := time.Now()
	if err := copyTree(tmpl, d.Dir); err != nil {
		return fmt.Errorf("adrealm: copy the template: %w", err)
	}
	d.Timings.Copy = time.Since(t1)
	if err := writeSMBConf(d.Dir); err != nil {
		return err
	}
	if err := d.writeKrb5Conf(); err != nil {
		return err
	}
	if err := os.WriteFile(d.adtool, adtoolPy, 0o600); err != nil {
		return fmt.Errorf("adrealm: %w", err)
	}
	t2 := time.Now()
	if err := d.startSamba(); err != nil {
		return err
	}
	d.Timings.Ready = time.Since(t2)
	return nil
}

// clearDir removes everything in dir, leaving dir.
func clearDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (d *Domain) startSamba() error {
	path, _ := krbenv.LookPath("samba")
	cmd := exec.Command(path, "-s", d.SMBConf, "-i", "-M", "single", "--debug-stdout")
	cmd.Env = d.Env()
	cmd.Dir = d.Dir
	exited, err := krbenv.Start(cmd, d.log)
	if err != nil {
		return fmt.Errorf("adrealm: start samba: %w", err)
	}
	d.samba, d.exited = cmd, exited
	return d.waitReady(30 * time.Second)
}

// waitReady waits until the KDC and LDAP accept TCP connections, or fails
// if samba exits first.
func (d *Domain) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	pending := []string{"127.0.0.1:88", "127.0.0.1:389"}
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			return fmt.Errorf("adrealm: samba exited: %s", d.logTail())
		default:
		}
		for len(pending) > 0 {
			c, err := net.DialTimeout("tcp", pending[0], 100*time.Millisecond)
			if err != nil {
				break
			}
			c.Close()
			pending = pending[1:]
		}
		if len(pending) == 0 {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("adrealm: samba did not listen on %s within %v: %s", pending[0], limit, d.logTail())
}

func (d *Domain) logTail() []byte {
	out, _ := os.ReadFile(d.log)
	out = bytes.TrimSpace(out)
	if len(out) > 2000 {
		out = out[len(out)-2000:]
	}
	return out
}

// Close stops samba by its PID (SIGTERM, then SIGKILL after 5 s) and
// releases the lock. The directory is left to its owner (t.TempDir removes
// it in tests). Close is safe to call twice.
func (d *Domain) Close() error {
	err := d.stopSamba()
	if d.lock != nil {
		// Closing the file releases the flock.
		if e := d.lock.Close(); e != nil {
			err = errors.Join(err, e)
		}
		d.lock = nil
	}
	return err
}

// stopSamba stops samba by its PID: SIGTERM, then SIGKILL after 5 s.
func (d *Domain) stopSamba() error {
	if d.samba == nil {
		return nil
	}
	var err error
	if e := d.samba.Process.Signal(syscall.SIGTERM); e != nil && !errors.Is(e, os.ErrProcessDone) {
		err = e
	}
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
		d.samba.Process.Kill()
		<-d.exited
	}
	d.samba = nil
	return err
}

// Env returns the environment for clients such as kinit, kvno, curl and a
// demo server: the process environment with KRB5_CONFIG pointing at the
// domain's krb5.conf, KRB5RCACHEDIR at its directory, and no KRB5CCNAME,
// KRB5_KTNAME or KRB5_KDC_PROFILE.
func (d *Domain) Env() []string {
	return krbenv.Env("KRB5_CONFIG="+d.Config, "KRB5RCACHEDIR="+d.Dir)
}

// sambaPython returns the interpreter on samba-tool's #! line: Samba's
// Python modules are installed for that one, and a python3 earlier on PATH
// (pyenv, a virtualenv) may not have them.
func sambaPython() (string, error) {
	tool, err := krbenv.LookPath("samba-tool")
	if err != nil {
		return "", fmt.Errorf("adrealm: %w", err)
	}
	f, err := os.Open(tool)
	if err != nil {
		return "", fmt.Errorf("adrealm: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, _ := f.Read(buf)
	line, _, _ := bytes.Cut(buf[:n], []byte("\n"))
	if fields := strings.Fields(strings.TrimPrefix(string(line), "#!")); bytes.HasPrefix(line, []byte("#!")) && len(fields) > 0 {
		if fields[0] == "/usr/bin/env" && len(fields) > 1 {
			return krbenv.LookPath(fields[1])
		}
		return fields[0], nil
	}
	return "", fmt.Errorf("adrealm: no #! line in %s", tool)
}
