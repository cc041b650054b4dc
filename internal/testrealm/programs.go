package testrealm

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"

	"github.com/negotiate-go/negotiate/internal/krbenv"
)

// The realm's programs: finding them, running them, and the principals,
// keytabs and tickets made with them.

// Programs the realm runs, resolved from PATH and the sbin directories the
// Debian packages use.
var programs = []string{"kdb5_util", "kadmin.local", "krb5kdc", "kinit", "klist"}

func checkPrograms() error {
	for _, p := range programs {
		if _, err := krbenv.LookPath(p); err != nil {
			return fmt.Errorf("testrealm: %s not found (install krb5-kdc, krb5-admin-server and krb5-user): %w", p, err)
		}
	}
	return nil
}

// AddUser creates principal (a bare name gets the realm appended) with
// password.
func (r *Realm) AddUser(principal, password string) error {
	_, err := r.kadmin(fmt.Sprintf("addprinc -pw %s %s", password, principal))
	return err
}

// AddService creates principal with a random key, for example
// "HTTP/localhost".
func (r *Realm) AddService(principal string) error {
	_, err := r.kadmin("addprinc -randkey " + principal)
	return err
}

// WriteKeytab adds the current keys of principals to the keytab at path
// without changing them (ktadd -norandkey).
func (r *Realm) WriteKeytab(path string, principals ...string) error {
	for _, p := range principals {
		if _, err := r.kadmin(fmt.Sprintf("ktadd -norandkey -k %s %s", path, p)); err != nil {
			return err
		}
	}
	return nil
}

// Kinit gets a forwardable ticket-granting ticket for principal into the
// ccache file at path. Extra kinit arguments, "-l", "2m" say, come before
// the principal.
func (r *Realm) Kinit(principal, password, path string, args ...string) error {
	argv := append([]string{"-f", "-c", "FILE:" + path}, args...)
	argv = append(argv, principal)
	_, err := r.run(strings.NewReader(password+"\n"), "kinit", argv...)
	return err
}

// Klist runs klist with args (-c PATH, -f, ...) and returns its output.
func (r *Realm) Klist(args ...string) (string, error) {
	return r.run(nil, "klist", args...)
}

func (r *Realm) kadmin(query string) (string, error) {
	return r.run(nil, "kadmin.local", "-r", r.Name, "-q", query)
}

// run runs one of the realm's programs with the realm's environment.
func (r *Realm) run(stdin *strings.Reader, prog string, args ...string) (string, error) {
	path, err := krbenv.LookPath(prog)
	if err != nil {
		return "", fmt.Errorf("testrealm: %w", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = r.Env()
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("testrealm: %s %s: %w: %s", prog, strings.Join(args, " "), err, bytes.TrimSpace(out.Bytes()))
	}
	// kadmin.local exits 0 when a query fails; it says so on its output.
	if prog == "kadmin.local" && kadminFailed.Match(out.Bytes()) {
		return out.String(), fmt.Errorf("testrealm: kadmin.local %s: %s", strings.Join(args, " "), bytes.TrimSpace(out.Bytes()))
	}
	return out.String(), nil
}

// kadminFailed matches kadmin.local's output for a query that failed:
// "add_principal: Principal or policy already exists while creating ...",
// a usage message for bad arguments, or ktadd's "kadmin.local: Principal
// X does not exist."
var kadminFailed = regexp.MustCompile(`(?m)while |^usage: |^kadmin\.local: `)
