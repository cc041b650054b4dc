package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// principal is the user the demo's embedded realm creates and gives a
// ticket.
const principal = "alice@EXAMPLE.TEST"

// serverLib is a GSS-API library the demo server can be built against.
type serverLib struct {
	name     string   // subtest name
	buildEnv []string // set for `go build`, on top of the process's environment
	links    string   // shared object the binary must link
	notLinks string   // shared object it must not link
	pkg      string   // Debian package of that library, for its version
}

// serverLibs are the two builds: MIT krb5 is the default; the Heimdal
// environment is the Makefile's HEIMDAL_ENV.
func serverLibs(root string) []serverLib {
	return []serverLib{
		{
			name:     "MIT",
			links:    "libgssapi_krb5.so.2",
			notLinks: "libgssapi.so.3",
			pkg:      "libgssapi-krb5-2",
		},
		{
			name: "Heimdal",
			buildEnv: []string{
				"PKG_CONFIG_PATH=" + filepath.Join(root, "build", "heimdal"),
				"CGO_CFLAGS=-g -O2 -DNEGOTIATE_WANT_HEIMDAL",
			},
			links:    "libgssapi.so.3",
			notLinks: "libgssapi_krb5.so.2",
			pkg:      "libgssapi3-heimdal",
		},
	}
}

// route is one request a client makes.
type route struct {
	path     string // "/whoami" or "/delegated"
	delegate bool   // the client delegates the user's credential
}

func (r route) String() string {
	name := strings.TrimPrefix(r.path, "/")
	if r.delegate {
		return "delegating/" + name
	}
	return name
}

// response is what a client saw, as far as the matrix checks it.
type response struct {
	status int
	body   string
	// mutual: the 200 carried "WWW-Authenticate: Negotiate <token>". For
	// requests-kerberos (mutual authentication REQUIRED) and
	// negotiate-client, the client itself verified the token, or it would
	// have failed.
	mutual bool
}

// client is a column of the matrix.
type client struct {
	name   string
	routes []route
	fetch  func(t *testing.T, d *demo, r route) response
}

// clients returns the matrix's columns, each bound to what it needs.
func clients(tl *tools) []client {
	return []client{
		{"curl", []route{{"/whoami", false}, {"/whoami", true}, {"/delegated", true}}, tl.fetchCurl},
		{"requests-kerberos", []route{{"/whoami", false}, {"/delegated", true}}, tl.fetchPython},
		// The seeded profile lets Chromium delegate to localhost, so it
		// delegates on every request.
		{"chromium", []route{{"/whoami", true}, {"/delegated", true}}, tl.fetchChromium},
		{"negotiate-client", []route{{"/whoami", false}, {"/delegated", true}}, tl.fetchGoClient},
	}
}

// TestMatrix runs every client against the demo built with each library.
func TestMatrix(t *testing.T) {
	if os.Getenv("NEGOTIATE_INTEROP") != "1" {
		t.Skip("the interop matrix runs only with NEGOTIATE_INTEROP=1: make deps-interop test-interop")
	}
	root := moduleRoot(t)
	tl := findTools(t, root)
	libs := serverLibs(root)
	v := probeVersions(t, tl, libs)
	v.log(t)

	cols := clients(tl)
	res := newResults()
	t.Run("servers", func(t *testing.T) {
		for _, lib := range libs {
			t.Run(lib.name, func(t *testing.T) {
				t.Parallel()
				runServer(t, root, lib, cols, res)
			})
		}
	})
	t.Logf("README matrix (from this run):\n%s", res.markdown(v, libs, cols))
}

// runServer builds and starts the demo against lib, runs every client's
// routes as subtests, and stops the demo.
func runServer(t *testing.T, root string, lib serverLib, cols []client, res *results) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "demo")
	goBuild(t, root, bin, "./cmd/demo", lib.buildEnv...)
	checkLinks(t, bin, lib.links, lib.notLinks)

	d := startDemo(t, bin, dir)
	for _, c := range cols {
		t.Run(c.name, func(t *testing.T) {
			// Recorded only for a cell that ran (not one -run filtered
			// out), once its subtests are done.
			defer func() { res.set(lib.name, c.name, !t.Failed()) }()
			for _, r := range c.routes {
				t.Run(r.String(), func(t *testing.T) {
					checkResponse(t, r, c.fetch(t, d, r))
				})
			}
		})
	}
	d.stop(t)
}

// checkResponse asserts a 200 with a mutual-authentication token, naming
// the user: /whoami answers the principal and a newline, /delegated the
// principal the second hop saw.
func checkResponse(t *testing.T, r route, got response) {
	t.Helper()
	if got.status != 200 {
		t.Errorf("status %d, want 200; body %q", got.status, got.body)
	}
	if !got.mutual {
		t.Errorf("the response carried no mutual-authentication token")
	}
	switch r.path {
	case "/whoami":
		if got.body != principal+"\n" {
			t.Errorf("body %q, want %q", got.body, principal+"\n")
		}
	case "/delegated":
		if want := "got 200 OK: " + principal + "\n"; !strings.Contains(got.body, want) {
			t.Errorf("body %q does not show the second hop answering %q", got.body, want)
		}
	default:
		t.Fatalf("no expectation for %s", r.path)
	}
}

// results records which cells passed, for the markdown matrix.
type results struct {
	mu     sync.Mutex
	passed map[[2]string]bool // {library, client}
}

func newResults() *results { return &results{passed: map[[2]string]bool{}} }

func (r *results) set(lib, client string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.passed[[2]string{lib, client}] = ok
}

// markdown renders the matrix: server libraries down the side, clients
// across the top, ✔ for a cell whose subtests all passed, ✘ for one that
// failed and – for one that did not run.
func (r *results) markdown(v versions, libs []serverLib, cols []client) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("| server library |")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s |", v.column(c.name))
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(cols)) + "\n")
	for _, lib := range libs {
		fmt.Fprintf(&b, "| %s |", v.row(lib.name))
		for _, c := range cols {
			passed, ran := r.passed[[2]string{lib.name, c.name}]
			mark := "–"
			switch {
			case ran && passed:
				mark = "✔"
			case ran:
				mark = "✘"
			}
			fmt.Fprintf(&b, " %s |", mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}
