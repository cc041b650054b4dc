package adrealm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/negotiate-go/negotiate/internal/krbenv"
)

// Encryption types for msDS-SupportedEncryptionTypes ([MS-KILE] 2.2.7).
const (
	EncRC4    = 0x04
	EncAES128 = 0x08
	EncAES256 = 0x10
	EncAES    = EncAES128 | EncAES256
)

// AddUser creates the user name (a sAMAccountName such as "alice", whose
// principal is alice@AD.EXAMPLE.TEST) with password.
func (d *Domain) AddUser(name, password string) error {
	_, err := d.sambaTool("user", "create", name, password)
	return err
}

// AddGroup creates a global security group.
func (d *Domain) AddGroup(name string) error { return d.AddGroups(name) }

// AddGroups creates global security groups, all in one process and one
// transaction: use it for hundreds.
func (d *Domain) AddGroups(names ...string) error {
	if len(names) == 0 {
		return nil
	}
	_, err := d.adtoolRun(append([]string{"groups"}, names...)...)
	return err
}

// AddMember adds users (or groups) to group.
func (d *Domain) AddMember(group string, members ...string) error {
	if len(members) == 0 {
		return nil
	}
	_, err := d.sambaTool("group", "addmembers", group, strings.Join(members, ","))
	return err
}

// Join adds member to each of groups, all in one process and one
// transaction: use it for a user in hundreds of groups.
func (d *Domain) Join(member string, groups ...string) error {
	if len(groups) == 0 {
		return nil
	}
	_, err := d.adtoolRun(append([]string{"join", member}, groups...)...)
	return err
}

// AddService creates the account account with password, gives it the
// service principal names spns ("HTTP/localhost"), and sets its
// msDS-SupportedEncryptionTypes to AES only, as on a real AD. Without that,
// Samba's KDC treats a user account's SPNs as RC4-only and exporting the
// keytab by SPN yields an arcfour-hmac key alone; with it, the SPN gets the
// account's AES keys (no new password is needed: the account has had AES
// keys since its password was set).
func (d *Domain) AddService(account, password string, spns ...string) error {
	if err := d.AddUser(account, password); err != nil {
		return err
	}
	for _, spn := range spns {
		if _, err := d.sambaTool("spn", "add", spn, account); err != nil {
			return err
		}
	}
	return d.SetEncryptionTypes(account, EncAES)
}

// SetEncryptionTypes sets the account's msDS-SupportedEncryptionTypes (a
// mask of the Enc constants).
func (d *Domain) SetEncryptionTypes(account string, mask int) error {
	_, err := d.adtoolRun("enctypes", account, strconv.Itoa(mask))
	return err
}

// ExportKeytab writes the keys of principals into the one keytab file at
// path, appending to it. A principal is an account name ("websvc", whose
// TGT an S4U service needs) or an SPN ("HTTP/localhost").
func (d *Domain) ExportKeytab(path string, principals ...string) error {
	for _, p := range principals {
		if _, err := d.sambaTool("domain", "exportkeytab", path, "--principal="+p); err != nil {
			return err
		}
	}
	return nil
}

// Kinit gets a forwardable TGT for principal into the ccache file at path
// (kinit -f). Extra kinit arguments come before the principal.
func (d *Domain) Kinit(principal, password, path string, args ...string) error {
	argv := append([]string{"-f", "-c", "FILE:" + path}, args...)
	argv = append(argv, principal)
	_, err := d.runIn(strings.NewReader(password+"\n"), "kinit", argv...)
	return err
}

// KinitKeytab gets a forwardable TGT for principal from keytab into the
// ccache file at path (kinit -f -k -t).
func (d *Domain) KinitKeytab(principal, keytab, path string) error {
	_, err := d.runIn(nil, "kinit", "-f", "-k", "-t", keytab, "-c", "FILE:"+path, principal)
	return err
}

// Run runs one of the Kerberos client programs (kvno, klist, kinit, ...)
// with the domain's environment and returns its combined output.
func (d *Domain) Run(prog string, args ...string) (string, error) {
	out, err := d.runIn(nil, prog, args...)
	return string(out), err
}

// UserSID returns the objectSid of the account name ("S-1-5-21-...-1103").
func (d *Domain) UserSID(name string) (string, error) { return d.sid(name) }

// GroupSID returns the objectSid of the group name.
func (d *Domain) GroupSID(name string) (string, error) { return d.sid(name) }

// DomainSID returns the domain's SID, the prefix of its accounts' SIDs.
func (d *Domain) DomainSID() (string, error) {
	sid, err := d.sid("krbtgt")
	if err != nil {
		return "", err
	}
	return sid[:strings.LastIndexByte(sid, '-')], nil
}

// SIDs returns the objectSid of each account name, in one process.
func (d *Domain) SIDs(names ...string) ([]string, error) {
	out, err := d.adtoolRun(append([]string{"sid"}, names...)...)
	if err != nil {
		return nil, err
	}
	sids := strings.Fields(string(out))
	if len(sids) != len(names) {
		return nil, fmt.Errorf("adrealm: %d SIDs for %d names: %s", len(sids), len(names), out)
	}
	return sids, nil
}

func (d *Domain) sid(name string) (string, error) {
	sids, err := d.SIDs(name)
	if err != nil {
		return "", err
	}
	return sids[0], nil
}

// The flag setters below are idempotent.

// ForAnyProtocol sets or clears TRUSTED_TO_AUTH_FOR_DELEGATION on account:
// protocol transition, S4U2Self tickets that S4U2Proxy accepts.
func (d *Domain) ForAnyProtocol(account string, on bool) error {
	return d.setFlag("delegation", "for-any-protocol", account, onOff(on))
}

// TrustedForDelegation sets or clears TRUSTED_FOR_DELEGATION on account:
// unconstrained delegation (clients' forwarded TGTs reach it).
func (d *Domain) TrustedForDelegation(account string, on bool) error {
	return d.setFlag("delegation", "for-any-service", account, onOff(on))
}

// AddDelegationService adds spn to account's msDS-AllowedToDelegateTo:
// constrained delegation (S4U2Proxy) from account to spn.
func (d *Domain) AddDelegationService(account, spn string) error {
	_, err := d.sambaTool("delegation", "add-service", account, spn)
	return err
}

// MarkSensitive sets NOT_DELEGATED (0x100000) in user's
// userAccountControl: "account is sensitive and cannot be delegated".
func (d *Domain) MarkSensitive(user string) error {
	return d.setFlag("user", "sensitive", user, "on")
}

// setFlag runs a samba-tool command that sets or clears an account flag;
// samba-tool fails when the flag is as asked already, setFlag does not.
func (d *Domain) setFlag(args ...string) error {
	out, err := d.sambaTool(args...)
	if err != nil && (bytes.Contains(out, []byte("already set")) || bytes.Contains(out, []byte("already unset"))) {
		return nil
	}
	return err
}

// SavePAC writes to path the PAC that the KDC puts into a ticket for user
// to service (an SPN such as "HTTP/localhost"), as the service finds it:
// Samba's `net ads kerberos pac save` gets user a TGT with password, then a
// service ticket, decrypts it with the service's keys from keytab, checks
// the PAC's server signature, and writes the PAC's raw bytes. With
// impersonate set, the ticket is an S4U2Self ticket that user (the service
// account, then, with its own password) gets for impersonate.
func (d *Domain) SavePAC(user, password, service, keytab, path, impersonate string) error {
	conf, err := d.memberConf(keytab)
	if err != nil {
		return err
	}
	args := []string{"ads", "kerberos", "pac", "save", "-s", conf, "-U", user + "%" + password,
		"local_service=" + service + "@" + Realm, "filename=" + path}
	if impersonate != "" {
		args = append(args, "impersonate="+impersonate+"@"+Realm)
	}
	if _, err := d.runIn(nil, "net", args...); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return fmt.Errorf("adrealm: net ads kerberos pac save wrote no PAC to %s", path)
	}
	return nil
}

// DumpPAC returns Samba's own decoding of the same PAC as SavePAC saves
// (`net ads kerberos pac dump`), for comparison.
func (d *Domain) DumpPAC(user, password, service, keytab, impersonate string) (string, error) {
	conf, err := d.memberConf(keytab)
	if err != nil {
		return "", err
	}
	args := []string{"ads", "kerberos", "pac", "dump", "-s", conf, "-U", user + "%" + password,
		"local_service=" + service + "@" + Realm}
	if impersonate != "" {
		args = append(args, "impersonate="+impersonate+"@"+Realm)
	}
	out, err := d.runIn(nil, "net", args...)
	return string(out), err
}

// memberConf writes the smb.conf of a domain member whose keytab is keytab,
// for net ads.
func (d *Domain) memberConf(keytab string) (string, error) {
	keytab, err := filepath.Abs(keytab)
	if err != nil {
		return "", fmt.Errorf("adrealm: %w", err)
	}
	dir := filepath.Join(d.Dir, "member")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("adrealm: %w", err)
	}
	conf := fmt.Sprintf(`# A domain member, for net ads kerberos pac (package adrealm).
[global]
	workgroup = %[1]s
	realm = %[2]s
	security = ads
	netbios name = MEMBER
	kerberos method = dedicated keytab
	dedicated keytab file = FILE:%[3]s
	lock directory = %[4]s
	state directory = %[4]s
	cache directory = %[4]s
	private dir = %[4]s
	log file = %[4]s/log
`, NetBIOSDomain, Realm, keytab, dir)
	path := filepath.Join(dir, "smb.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return "", fmt.Errorf("adrealm: %w", err)
	}
	return path, nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// sambaTool runs samba-tool on the domain's smb.conf.
func (d *Domain) sambaTool(args ...string) ([]byte, error) {
	args = append(args, "-s", d.SMBConf)
	out, err := run(d.python, d.Env(), mustLookPath("samba-tool"), args...)
	if err != nil {
		return out, fmt.Errorf("adrealm: samba-tool %s: %w: %s", strings.Join(redact(args), " "), err, tail(out))
	}
	return out, nil
}

func (d *Domain) adtoolRun(args ...string) ([]byte, error) {
	out, err := run(d.python, d.Env(), d.adtool, append([]string{d.SMBConf}, args...)...)
	if err != nil {
		shown := args
		if len(shown) > 4 {
			shown = append(shown[:4:4], fmt.Sprintf("... (%d more)", len(args)-4))
		}
		return out, fmt.Errorf("adrealm: adtool %s: %w: %s", strings.Join(shown, " "), err, tail(out))
	}
	return out, nil
}

// runIn runs a client program with the domain's environment.
func (d *Domain) runIn(stdin *strings.Reader, prog string, args ...string) ([]byte, error) {
	path, err := krbenv.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("adrealm: %w", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = d.Env()
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("adrealm: %s %s: %w: %s", prog, strings.Join(redact(args), " "), err, tail(out.Bytes()))
	}
	return out.Bytes(), nil
}

// redact hides the password in "user%password" arguments of error
// messages. Passwords of samba-tool user create stay: they are throwaway
// test passwords and help reproduce a failure.
func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if u, _, ok := strings.Cut(a, "%"); ok && i > 0 && args[i-1] == "-U" {
			a = u + "%..."
		}
		out[i] = a
	}
	return out
}
