package interop

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// versions are what the matrix was run with: each client's version and each
// server library's Debian package version.
type versions struct {
	curl             string // first line of curl --version
	requests         string
	requestsKerberos string
	pykerberos       string            // the GSS-API binding requests-kerberos uses
	chromium         string            // chromium --version
	goVersion        string            // go version
	libs             map[string]string // serverLib.name -> package version
	krb5Config       string            // krb5-config --version, if installed
}

// probeVersions asks each client and library for its version. A missing
// one fails the test with the apt package to install; so does a curl
// without SPNEGO.
func probeVersions(t *testing.T, tl *tools, libs []serverLib) versions {
	t.Helper()
	v := versions{libs: map[string]string{}}

	curl := output(t, tl.curl, "--version")
	v.curl = firstLine(curl)
	if !strings.Contains(curl, "SPNEGO") || !strings.Contains(curl, "GSS-API") {
		t.Fatalf("this curl has no SPNEGO/GSS-API support: apt-get install curl\n%s", curl)
	}

	out, err := exec.Command(tl.python, tl.pyScript, "--versions").CombinedOutput()
	var py struct {
		Requests         string `json:"requests"`
		RequestsKerberos string `json:"requests_kerberos"`
		Pykerberos       string `json:"pykerberos"`
	}
	if err != nil || json.Unmarshal(out, &py) != nil {
		t.Fatalf("requests-kerberos is missing: apt-get install python3-requests-kerberos (%v)\n%s", err, out)
	}
	v.requests, v.requestsKerberos, v.pykerberos = py.Requests, py.RequestsKerberos, py.Pykerberos

	v.chromium = firstLine(output(t, tl.chromium, "--version"))
	v.goVersion = firstLine(output(t, "go", "version"))

	debVersion(t, "heimdal-multidev") // the Heimdal build's headers and .pc files
	for _, lib := range libs {
		v.libs[lib.name] = debVersion(t, lib.pkg)
	}
	if p, err := exec.LookPath("krb5-config"); err == nil {
		v.krb5Config = firstLine(output(t, p, "--version"))
	}
	return v
}

// log writes the versions to the test log.
func (v versions) log(t *testing.T) {
	t.Helper()
	t.Logf("client curl: %s", v.curl)
	t.Logf("client requests-kerberos: requests_kerberos %s, requests %s, pykerberos %s", v.requestsKerberos, v.requests, v.pykerberos)
	t.Logf("client chromium: %s", v.chromium)
	t.Logf("client negotiate-client: built with %s", v.goVersion)
	t.Logf("server MIT: libgssapi-krb5-2 %s (krb5-config --version: %s)", v.libs["MIT"], v.krb5Config)
	t.Logf("server Heimdal: libgssapi3-heimdal %s", v.libs["Heimdal"])
}

// column is the matrix header for a client.
func (v versions) column(client string) string {
	switch client {
	case "curl":
		return "curl " + field(v.curl, 1)
	case "requests-kerberos":
		return fmt.Sprintf("requests-kerberos %s (requests %s)", v.requestsKerberos, v.requests)
	case "chromium":
		return "Chromium " + field(v.chromium, 1)
	case "negotiate-client":
		return fmt.Sprintf("negotiate-client (%s)", field(v.goVersion, 2))
	}
	return client
}

// upstreamRE is the upstream part of a Debian version: "1.20.1" of
// "1.20.1-2+deb12u5", "7.8" of "7.8.git20221117.28daf24+dfsg-2".
var upstreamRE = regexp.MustCompile(`^\d+(\.\d+)+`)

// row is the matrix label for a server library.
func (v versions) row(lib string) string {
	name := map[string]string{"MIT": "MIT krb5", "Heimdal": "Heimdal"}[lib]
	return name + " " + upstreamRE.FindString(v.libs[lib])
}

// output runs prog with args and returns its stdout, failing the test if
// it fails.
func output(t *testing.T, prog string, args ...string) string {
	t.Helper()
	out, err := exec.Command(prog, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", prog, strings.Join(args, " "), err)
	}
	return string(out)
}

// debVersion returns the version of the installed Debian package pkg, or
// fails the test saying to install it.
func debVersion(t *testing.T, pkg string) string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}|${Version}", pkg).Output()
	status, version, _ := strings.Cut(string(out), "|")
	if err != nil || status != "install ok installed" {
		t.Fatalf("%s is not installed: apt-get install %s (or make deps-interop)", pkg, pkg)
	}
	return version
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// field returns the i-th space-separated field of s, or "" if s has fewer.
func field(s string, i int) string {
	f := strings.Fields(s)
	if i >= len(f) {
		return ""
	}
	return f[i]
}
