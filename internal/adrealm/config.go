package adrealm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/negotiate-go/negotiate/internal/krbenv"
)

// writeKrb5Conf writes the clients' krb5.conf: the KDC on 127.0.0.1 (port
// 88), no DNS lookups or canonicalization, forwardable tickets, and
// localhost mapped to the realm, so HTTP/localhost is the domain's.
func (d *Domain) writeKrb5Conf() error {
	conf := krbenv.Libdefaults(Realm, d.Dir) + fmt.Sprintf(`
[realms]
	%[1]s = {
		kdc = 127.0.0.1
	}

[domain_realm]
	localhost = %[1]s
	.localhost = %[1]s
	%[3]s = %[1]s
	.%[3]s = %[1]s
`, Realm, d.Dir, DNSDomain)
	if err := os.WriteFile(d.Config, []byte(conf), 0o644); err != nil {
		return fmt.Errorf("adrealm: %w", err)
	}
	return nil
}

// writeSMBConf writes the DC's smb.conf for a domain in dir. It replaces
// the one samba-tool provision wrote: every path points into dir, only the
// KDC and LDAP run (no smbd, nmbd, winbindd, DNS updates, replication or
// NTP signing), TLS is off (no certificate to generate at start), and logs
// stay in dir.
func writeSMBConf(dir string) error {
	conf := fmt.Sprintf(`# Written by package adrealm.
[global]
	netbios name = %[5]s
	realm = %[1]s
	workgroup = %[2]s
	server role = active directory domain controller
	server services = ldap, kdc
	interfaces = lo
	bind interfaces only = yes
	private dir = %[3]s/private
	lock directory = %[3]s
	state directory = %[3]s/state
	cache directory = %[3]s/cache
	binddns dir = %[3]s/bind-dns
	log file = %[3]s/samba.log
	log level = 1
	tls enabled = no

[sysvol]
	path = %[3]s/state/sysvol
	read only = no

[netlogon]
	path = %[3]s/state/sysvol/%[4]s/scripts
	read only = no
`, Realm, NetBIOSDomain, dir, DNSDomain, strings.ToUpper(hostName))
	path := filepath.Join(dir, "etc", "smb.conf")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("adrealm: %w", err)
	}
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return fmt.Errorf("adrealm: %w", err)
	}
	return nil
}
