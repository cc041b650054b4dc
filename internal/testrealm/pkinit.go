package testrealm

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// AnonymousPrincipal is the client principal of a fully anonymous ticket
// (RFC 8062): what kinit -n gets once [Realm.EnableAnonymousPKINIT] ran.
const AnonymousPrincipal = "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS"

// EnableAnonymousPKINIT makes the realm's KDC issue anonymous tickets
// (kinit -n, RFC 8062): it writes a throwaway CA and a KDC certificate
// into the realm directory, names them in kdc.conf and, as the trust
// anchor, in krb5.conf, creates WELLKNOWN/ANONYMOUS and restarts the KDC
// on a new port. It needs openssl and MIT's PKINIT plugin (Debian:
// krb5-pkinit).
func (r *Realm) EnableAnonymousPKINIT() error {
	if _, err := exec.LookPath("openssl"); err != nil {
		return fmt.Errorf("testrealm: openssl not found (install openssl): %w", err)
	}
	if m, _ := filepath.Glob("/usr/lib/*/krb5/plugins/preauth/pkinit.so"); len(m) == 0 {
		return errors.New("testrealm: MIT's PKINIT plugin not found (install krb5-pkinit)")
	}
	// The KDC certificate names krbtgt/REALM@REALM (id-pkinit-san) and has
	// the KDC's extended key usage (id-pkinit-KPKdc), as RFC 4556 and
	// MIT's pkinit documentation ask.
	ext := fmt.Sprintf(`[kdc_cert]
basicConstraints=CA:FALSE
keyUsage=nonRepudiation,digitalSignature,keyEncipherment,keyAgreement
extendedKeyUsage=1.3.6.1.5.2.3.5
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
subjectAltName=otherName:1.3.6.1.5.2.2;SEQUENCE:kdc_princ_name

[kdc_princ_name]
realm=EXP:0,GeneralString:%[1]s
principal_name=EXP:1,SEQUENCE:kdc_principal_seq

[kdc_principal_seq]
name_type=EXP:0,INTEGER:2
name_string=EXP:1,SEQUENCE:kdc_principals

[kdc_principals]
princ1=GeneralString:krbtgt
princ2=GeneralString:%[1]s
`, r.Name)
	extFile := r.pkinitFile("extensions.cnf")
	if err := os.WriteFile(extFile, []byte(ext), 0o600); err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	for _, args := range [][]string{
		{"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", r.pkinitFile("ca.key"),
			"-out", r.pkinitFile("ca.pem"), "-days", "2", "-subj", "/CN=testrealm CA " + r.Name},
		{"req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", r.pkinitFile("kdc.key"),
			"-out", r.pkinitFile("kdc.csr"), "-subj", "/CN=kdc " + r.Name},
		{"x509", "-req", "-in", r.pkinitFile("kdc.csr"), "-CA", r.pkinitFile("ca.pem"),
			"-CAkey", r.pkinitFile("ca.key"), "-CAcreateserial", "-out", r.pkinitFile("kdc.pem"),
			"-days", "2", "-extfile", extFile, "-extensions", "kdc_cert"},
	} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("testrealm: openssl %s: %w: %s", args[0], err, out)
		}
	}
	if _, err := r.kadmin("addprinc -randkey WELLKNOWN/ANONYMOUS"); err != nil {
		return err
	}
	if err := r.StopKDC(); err != nil {
		return err
	}
	r.pkinit = true
	return r.startOnFreePort(r.writeConfig, nil)
}

func (r *Realm) pkinitFile(name string) string { return filepath.Join(r.Dir, "pkinit-"+name) }

// kdcPKINITConfig is the realm's kdc.conf lines for PKINIT, or "".
func (r *Realm) kdcPKINITConfig() string {
	if !r.pkinit {
		return ""
	}
	return fmt.Sprintf("\t\tpkinit_identity = FILE:%s,%s\n\t\tpkinit_anchors = FILE:%s\n",
		r.pkinitFile("kdc.pem"), r.pkinitFile("kdc.key"), r.pkinitFile("ca.pem"))
}

// clientPKINITConfig is the realm's krb5.conf lines for PKINIT, or "".
func (r *Realm) clientPKINITConfig() string {
	if !r.pkinit {
		return ""
	}
	return fmt.Sprintf("\t\tpkinit_anchors = FILE:%s\n", r.pkinitFile("ca.pem"))
}
