// Package krbenv holds what the test realms (internal/testrealm, an MIT
// KDC, and internal/adrealm, a Samba AD DC) share about running Kerberos
// programs: where the programs are, the environment a realm's clients get,
// and the [libdefaults] of a realm's krb5.conf.
package krbenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// LookPath finds prog on PATH or in the sbin directories, which a non-root
// PATH often lacks.
func LookPath(prog string) (string, error) {
	if p, err := exec.LookPath(prog); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, prog)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not on PATH or in an sbin directory", prog)
}

// Env returns the process environment without the variables that point the
// Kerberos library somewhere (KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5RCACHEDIR,
// KRB5CCNAME, KRB5_KTNAME), followed by vars: so that a realm's programs
// and clients see that realm and nothing of the caller's.
func Env(vars ...string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "KRB5_CONFIG", "KRB5_KDC_PROFILE", "KRB5RCACHEDIR", "KRB5CCNAME", "KRB5_KTNAME":
			continue
		}
		env = append(env, kv)
	}
	return append(env, vars...)
}

// Libdefaults returns the [libdefaults] section of a test realm's
// krb5.conf: the realm as default, no DNS lookups, no canonicalization,
// forwardable tickets, and the default ccache and keytab inside dir, so
// that nothing of the machine's is used by mistake.
func Libdefaults(realm, dir string) string {
	return fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	forwardable = true
	default_ccache_name = FILE:%[2]s/ccache-default
	default_keytab_name = FILE:%[2]s/default.keytab
`, realm, dir)
}

// Start starts a realm's daemon (a KDC, a DC): cmd, with its output
// written to a new file at logPath, killed when this process dies
// (Pdeathsig), so that a test that panics leaves no daemon behind. The
// channel is closed when the daemon exits.
func Start(cmd *exec.Cmd, logPath string) (exited chan struct{}, err error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited = make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	return exited, nil
}
