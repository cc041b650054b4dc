package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"text/template"
)

// Where Debian (apache2-bin, libapache2-mod-auth-gssapi) and Red Hat style
// systems put the server and its modules.
var (
	apacheBinaries   = []string{"apache2", "httpd", "/usr/sbin/apache2", "/usr/sbin/httpd"}
	apacheModuleDirs = []string{"/usr/lib/apache2/modules", "/usr/lib64/httpd/modules", "/usr/lib/httpd/modules"}
)

// apacheInstall is the httpd binary and the directory holding
// mod_auth_gssapi.so and the other modules the config loads.
type apacheInstall struct {
	bin, modules string
}

// findApache finds httpd and mod_auth_gssapi, or says what to install.
func findApache() (apacheInstall, error) {
	var a apacheInstall
	for _, b := range apacheBinaries {
		if p, err := exec.LookPath(b); err == nil {
			a.bin = p
			break
		}
	}
	for _, d := range apacheModuleDirs {
		if _, err := os.Stat(filepath.Join(d, "mod_auth_gssapi.so")); err == nil {
			a.modules = d
			break
		}
	}
	if a.bin == "" || a.modules == "" {
		return a, errors.New("apache2 or mod_auth_gssapi not found (Debian: apt-get install apache2-bin libapache2-mod-auth-gssapi)")
	}
	return a, nil
}

// apacheConfig is Apache httpd in one process (-X: the event MPM's
// default 25 worker threads), serving the 3-byte file /ok behind
// mod_auth_gssapi. Keep-alive is unlimited, as it is in net/http, and there
// is no access log, as there is none in the Go servers. mod_auth_gssapi's
// defaults stand: no sessions, no Basic fallback, no gss_localname; the
// replay cache is MIT's default, found through KRB5RCACHEDIR like the
// others'.
var apacheConfig = template.Must(template.New("httpd.conf").Parse(`ServerRoot {{.Dir}}
ServerName localhost
Listen {{.Addr}}
PidFile {{.Dir}}/httpd.pid
ErrorLog {{.Dir}}/error.log
LogLevel warn
LoadModule mpm_event_module {{.Modules}}/mod_mpm_event.so
LoadModule authn_core_module {{.Modules}}/mod_authn_core.so
LoadModule authz_core_module {{.Modules}}/mod_authz_core.so
LoadModule authz_user_module {{.Modules}}/mod_authz_user.so
LoadModule auth_gssapi_module {{.Modules}}/mod_auth_gssapi.so
DocumentRoot {{.Dir}}/htdocs
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
<Location />
	AuthType GSSAPI
	AuthName "bench"
	GssapiCredStore keytab:{{.Keytab}}
	GssapiAcceptorName HTTP@localhost
	Require valid-user
</Location>
`))

// startApache writes a config into dir and starts httpd in the foreground
// on cpu. Running as root, httpd stays root (mod_unixd logs that it cannot
// switch to its default user); the bench stops it by PID.
func startApache(a apacheInstall, dir, addr, keytab string, cpu int, env []string) (*proc, error) {
	if err := os.MkdirAll(filepath.Join(dir, "htdocs"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "htdocs", "ok"), []byte("ok\n"), 0o644); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "httpd.conf")
	f, err := os.Create(conf)
	if err != nil {
		return nil, err
	}
	err = apacheConfig.Execute(f, map[string]string{
		"Dir": dir, "Addr": addr, "Modules": a.modules, "Keytab": keytab,
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("apache config: %w", err)
	}
	return startPinned("apache", cpu, env, filepath.Join(dir, "stdout.log"),
		a.bin, "-X", "-f", conf)
}
