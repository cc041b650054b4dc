package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// server is one contender: a row of the table.
type server struct {
	name string
	note string // footnote under the table
	// auth: the server authenticates, so a request without a token must
	// get 401, and each request spends a fresh token.
	auth bool
	// session: the server issues session cookies. Each connection of the
	// load spends one fresh token, then sends the cookie alone.
	session bool
	// start starts the server on addr, pinned to the server CPU, with
	// scratch directory dir and environment env; name is the row's. The
	// floor has none: it is not a server but a loop run to completion.
	start func(r *runner, name, dir, addr string, env []string) (*proc, error)
}

// servers lists the contenders in the order they run and print.
var servers = []server{
	{name: "floor", auth: true,
		note: "gss.Acceptor.Accept in a loop, one goroutine, no HTTP; p50/p99 are per accept"},
	{name: "noauth", start: goServer("noauth"),
		note: "plain net/http, no authentication: what HTTP alone costs (and where the load driver may be the limit)"},
	{name: "ours", auth: true, start: goServer("ours"),
		note: "middleware.New(gss.NewAcceptor(...)), default options"},
	{name: "ours+session", auth: true, session: true, start: goServer("ours", "-sessions"),
		note: "ours with WithSessions (a fixed key, WithInsecureSessionCookie); on each connection one request with a fresh token, then requests with the session cookie alone, no Authorization header: " +
			"what a request in a session costs, with no GSS-API call (requests smaller than the others', which carry a token)"},
	{name: "gogssapi", auth: true, start: goServer("gogssapi"),
		note: "go-gssapi v3.0.2-beta7 http.Handler on go-gssapi-c v0.1.4 (calls gss_localname per request)"},
	{name: "apache", auth: true, start: startApacheServer,
		note: "Apache httpd -X (event MPM, 25 threads) + mod_auth_gssapi (re-acquires credentials per request)"},
	{name: "gokrb5", auth: true, start: goServer("gokrb5"),
		note: "gokrb5 v8.4.4, pure Go: PAC decoding OFF, so less work than the MIT-based servers; replay cache in memory, not MIT's file cache"},
}

// goServersPattern names the commands under servers/, which the bench
// builds.
const goServersPattern = "github.com/negotiate-go/negotiate/bench/servers/..."

// buildServers builds every command under servers/ into binDir.
func buildServers(binDir string) error {
	cmd := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), goServersPattern)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s (run the bench from the bench module): %w", goServersPattern, err)
	}
	return nil
}

// goServer starts the Go server built from servers/bin, with extra flags
// after the common ones.
func goServer(bin string, extra ...string) func(r *runner, name, dir, addr string, env []string) (*proc, error) {
	return func(r *runner, name, dir, addr string, env []string) (*proc, error) {
		argv := []string{filepath.Join(r.binDir, bin), "-addr", addr, "-keytab", r.keytab}
		argv = append(argv, extra...)
		if r.profileDir != "" {
			pdir := filepath.Join(r.profileDir, name)
			if err := os.MkdirAll(pdir, 0o755); err != nil {
				return nil, err
			}
			argv = append(argv, "-profile", pdir)
		}
		return startPinned(name, r.serverCPU, env, filepath.Join(dir, "server.log"), argv...)
	}
}

// startApacheServer starts Apache httpd with mod_auth_gssapi.
func startApacheServer(r *runner, name, dir, addr string, env []string) (*proc, error) {
	a, err := findApache()
	if err != nil {
		return nil, err
	}
	return startApache(a, dir, addr, r.keytab, r.serverCPU, env)
}
