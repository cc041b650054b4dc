package main

// Tests of -session-key-file, -allow-realm and -realm.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeKeyFile writes a session key file of two fresh keys, with a comment,
// with mode (less the umask), and returns its path.
func writeKeyFile(t *testing.T, mode os.FileMode) string {
	t.Helper()
	key := func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
	path := filepath.Join(t.TempDir(), "session.keys")
	text := "# new key first, old key second\n" + key() + "\n" + strings.ToUpper(key()) + "\n"
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSessionAndRealmFlags(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (apt-get install curl)")
	}
	bin := buildDemo(t)

	// -session-key-file: follow the demo's own instructions, curl with a
	// cookie jar; the second curl has no ticket at all.
	t.Run("session-key-file", func(t *testing.T) {
		d := startDemoServer(t, bin, "-session-key-file", writeKeyFile(t, 0o600))
		var jarLines []string
		for _, l := range d.curls {
			if strings.Contains(l, "cookies.txt") {
				jarLines = append(jarLines, l)
			}
		}
		if len(jarLines) != 2 {
			t.Fatalf("the demo printed %d cookie-jar curl lines, want 2: %q", len(jarLines), d.curls)
		}
		dir := t.TempDir()
		first := d.curl(t, dir, d.env, strings.Fields(jarLines[0])[1:]...)
		if !strings.Contains(first, "200 OK") || !strings.Contains(first, "alice@EXAMPLE.TEST\n") ||
			!regexp.MustCompile(`(?i)set-cookie: negotiate_session=\S+;.*HttpOnly`).MatchString(first) {
			t.Fatalf("%s:\n%s", jarLines[0], first)
		}
		if regexp.MustCompile(`(?i)set-cookie: negotiate_session=.*;\s*Secure`).MatchString(first) {
			t.Errorf("the demo's cookie is Secure, so curl would not send it over plain HTTP:\n%s", first)
		}
		jar, err := os.ReadFile(filepath.Join(dir, "cookies.txt"))
		if err != nil || !strings.Contains(string(jar), "negotiate_session") {
			t.Fatalf("cookie jar: %v\n%s", err, jar)
		}
		for range 3 {
			second := d.curl(t, dir, withoutTicket(t, d.env), strings.Fields(jarLines[1])[1:]...)
			if !strings.Contains(second, "200 OK") || !strings.Contains(second, "alice@EXAMPLE.TEST\n") {
				t.Errorf("%s, with no ticket:\n%s", jarLines[1], second)
			}
			if strings.Contains(strings.ToLower(second), "www-authenticate") {
				t.Errorf("a session reply carries WWW-Authenticate:\n%s", second)
			}
		}
		// Without the jar, and without a ticket, there is no way in.
		none := d.curl(t, dir, withoutTicket(t, d.env), "http://localhost:"+d.port+"/whoami")
		if !strings.Contains(none, "401 Unauthorized") {
			t.Errorf("no jar, no ticket:\n%s", none)
		}
		if !d.logHas("level=WARN", "not Secure", "keys=2") {
			t.Errorf("the log does not say the cookie is not Secure:\n%s", d.stderr)
		}
		if log := d.stderr.String(); strings.Contains(log, "readable by others") {
			t.Errorf("a 0600 key file drew a warning:\n%s", log)
		}
	})

	t.Run("session-key-file readable by others", func(t *testing.T) {
		path := writeKeyFile(t, 0o644)
		if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
		d := startDemoServer(t, bin, "-session-key-file", path)
		if !d.logHas("readable by others") {
			t.Errorf("no warning about a 0644 key file:\n%s", d.stderr)
		}
	})

	t.Run("bad session-key-file", func(t *testing.T) {
		dir := t.TempDir()
		short := filepath.Join(dir, "short.keys")
		secret := strings.Repeat("ab", 32)
		if err := os.WriteFile(short, []byte(secret+"\n"+secret[:62]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			path, want string
		}{
			{short, "line 2"},
			{filepath.Join(dir, "missing"), "no such file"},
		} {
			cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-session-key-file", tt.path)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("%s: %v, want exit status 1", tt.path, err)
			}
			if !strings.Contains(stderr.String(), tt.want) || strings.Contains(stderr.String(), secret[:16]) {
				t.Errorf("%s: stderr lacks %q or holds the key:\n%s", tt.path, tt.want, stderr.String())
			}
		}
	})

	// -allow-realm, repeated, with neither realm the user's: refused, and
	// anonymous on /public.
	t.Run("allow-realm refuses", func(t *testing.T) {
		d := startDemoServer(t, bin, "-allow-realm", "OTHER.TEST", "-allow-realm", "ALSO.TEST")
		base := "http://localhost:" + d.port
		if out := d.curl(t, t.TempDir(), d.env, "--negotiate", "-u", ":", base+"/whoami"); !strings.Contains(out, "403 Forbidden") {
			t.Errorf("/whoami from another realm:\n%s", out)
		}
		if out := d.curl(t, t.TempDir(), d.env, "--negotiate", "-u", ":", base+"/public"); !strings.HasSuffix(out, "\r\n\r\nanonymous\n") {
			t.Errorf("/public from another realm:\n%s", out)
		}
		if !d.logHas(`realms="[OTHER.TEST ALSO.TEST]"`, "reason=realm_not_allowed", "principal=alice@EXAMPLE.TEST") {
			t.Errorf("the log lacks the realms or the refusal:\n%s", d.stderr)
		}
	})

	// Both flags, with the user's realm allowed: every route of the
	// self-check still passes.
	t.Run("selfcheck with both", func(t *testing.T) {
		out, err := exec.Command(bin, "-selfcheck", "-listen", "127.0.0.1:0",
			"-session-key-file", writeKeyFile(t, 0o600), "-allow-realm", "EXAMPLE.TEST").Output()
		if err != nil || !strings.HasPrefix(string(out), "selfcheck: PASS") {
			t.Errorf("demo -selfcheck with both flags: %v: %s", err, out)
		}
	})
}

// TestRealmFlag: -realm takes mit or ad, and -realm ad refuses the flags
// it cannot honour, before it starts anything.
func TestRealmFlag(t *testing.T) {
	bin := buildDemo(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-realm", "heimdal"}, `"heimdal" is neither mit nor ad`},
		{[]string{"-realm", "ad", "-keytab", "/nonexistent.keytab"}, "-realm ad starts a domain of its own, and -keytab serves with yours"},
		{[]string{"-realm", "ad", "-realm-dir", t.TempDir()}, "-realm-dir keeps an MIT realm"},
	} {
		cmd := exec.Command(bin, append([]string{"-listen", "127.0.0.1:0"}, tt.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("%q: %v, want exit status 2", tt.args, err)
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: stderr lacks %q:\n%s", tt.args, tt.want, stderr.String())
		}
	}
}
