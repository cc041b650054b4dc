package integration

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// curlResult is what one curl run saw: every response's status and header
// (the 401 challenge, then the answer to the token), the final body, and the
// Authorization values curl sent.
type curlResult struct {
	responses []curlResponse
	body      string
	sent      []string
}

type curlResponse struct {
	status int
	header textproto.MIMEHeader
}

// last is the response that counts.
func (c curlResult) last() curlResponse { return c.responses[len(c.responses)-1] }

// curl runs curl as u (KRB5CCNAME is u's ccache, the realm's krb5.conf)
// against path with args, and fails the test unless curl exits 0. The
// tokens curl sent join the server's log check.
func (s *server) curl(t *testing.T, u user, path string, args ...string) curlResult {
	t.Helper()
	res := runCurl(t, append(realm.Env(), "KRB5CCNAME="+u.ccache), s.url+path, args...)
	for _, v := range res.sent {
		s.remember(v)
	}
	for _, r := range res.responses {
		for _, c := range r.header.Values("WWW-Authenticate") {
			s.remember(c)
		}
	}
	return res
}

// runCurl runs curl --verbose with env and args against url, and fails the
// test unless curl exits 0. It returns every response's status and header,
// the final body and the Authorization values curl sent.
func runCurl(t *testing.T, env []string, url string, args ...string) curlResult {
	t.Helper()
	dir := t.TempDir()
	headers, body := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
	argv := append([]string{"--silent", "--show-error", "--verbose", "--noproxy", "*",
		"--dump-header", headers, "--output", body}, args...)
	cmd := exec.Command(curlWithSPNEGO(t), append(argv, url)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl %s %s: %v\n%s", strings.Join(args, " "), url, err, stderr.String())
	}
	var res curlResult
	dump, err := os.ReadFile(headers)
	if err != nil {
		t.Fatal(err)
	}
	if res.responses, err = parseHeaderDump(dump); err != nil || len(res.responses) == 0 {
		t.Fatalf("curl's header dump: %v\n%s", err, dump)
	}
	b, err := os.ReadFile(body)
	if err != nil {
		t.Fatal(err)
	}
	res.body = string(b)
	for line := range strings.Lines(stderr.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "> Authorization: "); ok {
			res.sent = append(res.sent, v)
		}
	}
	return res
}

// curlWithSPNEGO returns the path of curl, failing the test unless curl is
// installed and built with SPNEGO. CI installs it; the test never skips.
func curlWithSPNEGO(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is needed for this test and was not found (Debian: apt-get install curl): %v", err)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("curl --version: %v", err)
	}
	if !bytes.Contains(out, []byte(" SPNEGO")) {
		t.Fatalf("this curl has no SPNEGO support, so it cannot speak Negotiate:\n%s", out)
	}
	return bin
}

// parseHeaderDump reads curl's --dump-header output: a status line and a
// header block per response.
func parseHeaderDump(dump []byte) ([]curlResponse, error) {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(dump)))
	var out []curlResponse
	for {
		line, err := r.ReadLine()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if line == "" {
			continue
		}
		// "HTTP/1.1 401 Unauthorized"
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
			return nil, fmt.Errorf("not a status line: %q", line)
		}
		status, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("status line %q: %w", line, err)
		}
		h, err := r.ReadMIMEHeader()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		out = append(out, curlResponse{status, h})
	}
}

// TestCurl authenticates with curl, the reference client. With --negotiate
// alone curl sends a SPNEGO token from the user's ccache at once; with
// --anyauth it first takes the 401 challenge, as browsers do. Either way it
// gets the principal back with a mutual-authentication token. With
// --delegation always, the handler gets the user's TGT.
//
// curl 7.88 does not check the mutual-authentication token (it exits 0 on
// a wrong one, tried here), so only its presence is checked here;
// TestMutualAuth verifies it with the GSS-API.
func TestCurl(t *testing.T) {
	s := newServer(t)
	negotiate := []string{"--negotiate", "--user", ":"}
	anyauth := []string{"--anyauth", "--user", ":"}

	tests := []struct {
		name     string
		u        user
		path     string
		args     []string
		statuses []int  // of every response curl got, in order
		tokens   int    // Authorization headers curl must send
		body     string // the final body
		// delegated: instead of body, the final body names a ccache that
		// must hold u's TGT.
		delegated bool
	}{
		{name: "alice", u: alice(), path: "/whoami", args: negotiate,
			statuses: []int{200}, tokens: 1, body: "alice@EXAMPLE.TEST\n"},
		{name: "bob", u: bob(), path: "/whoami", args: negotiate,
			statuses: []int{200}, tokens: 1, body: "bob@EXAMPLE.TEST\n"},
		{name: "answering the challenge", u: alice(), path: "/whoami", args: anyauth,
			statuses: []int{401, 200}, tokens: 1, body: "alice@EXAMPLE.TEST\n"},
		{name: "delegation always", u: alice(), path: "/delegate", args: slices.Concat(negotiate, []string{"--delegation", "always"}),
			statuses: []int{200}, tokens: 1, delegated: true},
		{name: "delegation always, answering the challenge", u: bob(), path: "/delegate", args: slices.Concat(anyauth, []string{"--delegation", "always"}),
			statuses: []int{401, 200}, tokens: 1, delegated: true},
		{name: "delegation none", u: alice(), path: "/delegate", args: slices.Concat(negotiate, []string{"--delegation", "none"}),
			statuses: []int{200}, tokens: 1, body: "not delegated\n"},
		{name: "no authentication", u: alice(), path: "/whoami",
			statuses: []int{401}, body: unauthorizedBody},
		{name: "optional route", u: alice(), path: "/public", args: negotiate,
			statuses: []int{200}, tokens: 1, body: "alice@EXAMPLE.TEST\n"},
		// An optional route never challenges, so a client that waits for a
		// challenge, as browsers do, never authenticates there.
		{name: "optional route, waiting for a challenge", u: alice(), path: "/public", args: anyauth,
			statuses: []int{200}, body: "anonymous\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.curl(t, tt.u, tt.path, tt.args...)
			var statuses []int
			for _, r := range res.responses {
				statuses = append(statuses, r.status)
			}
			if !slices.Equal(statuses, tt.statuses) {
				t.Fatalf("curl got statuses %v, want %v; body %q", statuses, tt.statuses, res.body)
			}
			if first := res.responses[0]; first.status == http.StatusUnauthorized {
				if c := first.header.Values("WWW-Authenticate"); len(c) != 1 || c[0] != "Negotiate" {
					t.Errorf("the challenge is WWW-Authenticate %q, want exactly [Negotiate]", c)
				}
			}
			if len(res.sent) != tt.tokens {
				t.Errorf("curl sent Authorization %q, want %d Negotiate tokens", res.sent, tt.tokens)
			}
			for _, v := range res.sent {
				if !strings.HasPrefix(v, "Negotiate ") {
					t.Errorf("curl sent Authorization %q, want Negotiate <token>", v)
				}
			}
			if tt.tokens > 0 {
				c := res.last().header.Values("WWW-Authenticate")
				if len(c) != 1 || !strings.HasPrefix(c[0], "Negotiate ") || len(c[0]) < len("Negotiate ")+16 {
					t.Errorf("the 200 carries WWW-Authenticate %q, want one Negotiate <token>", c)
				}
			}

			if !tt.delegated {
				if res.body != tt.body {
					t.Errorf("body %q, want %q", res.body, tt.body)
				}
				return
			}
			ccache, ok := strings.CutPrefix(strings.TrimSuffix(res.body, "\n"), "delegated ")
			if !ok {
				t.Fatalf("body %q, want delegated FILE:...", res.body)
			}
			checkCCacheOf(t, ccache, tt.u)
		})
	}
}
