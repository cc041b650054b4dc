package interop

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clientTimeout bounds each run of a command-line client; Chromium gets
// chromiumTimeout.
const clientTimeout = 30 * time.Second

// tools are the client programs, found or built once.
type tools struct {
	curl     string
	python   string // Debian's /usr/bin/python3, which has requests-kerberos
	pyScript string // testdata/requests_negotiate.py
	chromium string
	goClient string // cmd/negotiate-client, default (MIT) build
}

// findTools finds every client, failing with the apt package to install
// for one that is missing, and builds negotiate-client.
func findTools(t *testing.T, root string) *tools {
	t.Helper()
	tl := &tools{
		curl:     lookPath(t, "curl", "curl"),
		python:   "/usr/bin/python3",
		chromium: lookPath(t, "chromium", "chromium"),
		goClient: filepath.Join(t.TempDir(), "negotiate-client"),
	}
	if _, err := os.Stat(tl.python); err != nil {
		t.Fatalf("%s is missing: apt-get install python3-requests-kerberos", tl.python)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "requests_negotiate.py"))
	if err != nil {
		t.Fatal(err)
	}
	tl.pyScript = script
	goBuild(t, root, tl.goClient, "./cmd/negotiate-client")
	checkLinks(t, tl.goClient, "libgssapi_krb5.so.2", "libgssapi.so.3")
	return tl
}

// lookPath finds prog on PATH, or fails the test naming the apt package
// that provides it.
func lookPath(t *testing.T, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		t.Fatalf("%s is missing: apt-get install %s (or make deps-interop)", prog, pkg)
	}
	return p
}

// curlTokenRE finds a mutual-authentication token in curl's header dump;
// the 401 before it carries a bare "Negotiate".
var curlTokenRE = regexp.MustCompile(`(?im)^www-authenticate:\s*negotiate\s+\S+`)

// fetchCurl runs curl --negotiate -u :, with --delegation always if r
// delegates.
func (tl *tools) fetchCurl(t *testing.T, d *demo, r route) response {
	dir := t.TempDir()
	headers, body := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
	args := []string{
		"--negotiate", "-u", ":", "--silent", "--show-error", "--noproxy", "*",
		"--max-time", "20", "--dump-header", headers, "--output", body, "--write-out", "%{http_code}",
	}
	if r.delegate {
		args = append(args, "--delegation", "always")
	}
	out, _ := runClient(t, clientTimeout, d.clientEnv(), tl.curl, append(args, d.base+r.path)...)
	status, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("curl wrote %q for the status", out)
	}
	h, _ := os.ReadFile(headers)
	b, _ := os.ReadFile(body)
	return response{status: status, body: string(b), mutual: curlTokenRE.Match(h)}
}

// fetchPython runs testdata/requests_negotiate.py, which uses requests
// with HTTPKerberosAuth(mutual_authentication=REQUIRED), and delegate=True
// if r delegates. The script itself exits 1 unless it got a 200 containing
// the principal.
func (tl *tools) fetchPython(t *testing.T, d *demo, r route) response {
	args := []string{tl.pyScript}
	if r.delegate {
		args = append(args, "--delegate")
	}
	out, _ := runClient(t, clientTimeout, d.clientEnv(), tl.python, append(args, d.base+r.path, principal)...)
	var got struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("requests_negotiate.py printed %q: %v", out, err)
	}
	return response{status: got.Status, body: got.Body, mutual: true}
}

// fetchGoClient runs negotiate-client -v, with -delegate if r delegates.
// On a route that challenges, as every route of the matrix does, it exits
// 0 only for a 2xx that proved the server's identity; -v prints the status
// line on stderr.
func (tl *tools) fetchGoClient(t *testing.T, d *demo, r route) response {
	args := []string{"-v"}
	if r.delegate {
		args = append(args, "-delegate")
	}
	out, errOut := runClient(t, clientTimeout, d.clientEnv(), tl.goClient, append(args, d.base+r.path)...)
	return response{status: statusOf(errOut), body: out, mutual: true}
}

// statusOf reads the code from the first line of s, an HTTP status line
// such as "HTTP/1.1 200 OK"; 0 if there is none.
func statusOf(s string) int {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0
	}
	code, _ := strconv.Atoi(f[1])
	return code
}
