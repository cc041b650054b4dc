package main

// Tests of -realm-dir: a realm kept, resumed by the next run, and a
// directory that is not the demo's left alone.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// kdcAddr is the KDC address that the realm's krb5.conf names.
func kdcAddr(t *testing.T, realmDir string) string {
	t.Helper()
	conf, err := os.ReadFile(filepath.Join(realmDir, "krb5.conf"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*kdc = (\S+)$`).FindSubmatch(conf)
	if m == nil {
		t.Fatalf("no kdc line in krb5.conf:\n%s", conf)
	}
	return string(m[1])
}

// readFile returns the file's bytes and when it was last written.
func readFile(t *testing.T, path string) ([]byte, time.Time) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return b, fi.ModTime()
}

// keytabKVNOs is what klist -k says of the keytab: its key versions and
// principals.
func keytabKVNOs(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("klist", "-k", path).CombinedOutput()
	if err != nil {
		t.Fatalf("klist -k %s: %v\n%s", path, err, out)
	}
	if !strings.Contains(string(out), "HTTP/localhost@EXAMPLE.TEST") {
		t.Fatalf("klist -k %s:\n%s", path, out)
	}
	return string(out)
}

// whoamiAsAlice follows the demo's printed curl lines with its printed
// exports, and wants alice in every answer.
func whoamiAsAlice(t *testing.T, d *demoServer) {
	t.Helper()
	if len(d.curls) != 2 {
		t.Fatalf("the demo printed %d curl lines, want 2: %q", len(d.curls), d.curls)
	}
	for _, line := range d.curls {
		out := d.curl(t, t.TempDir(), d.env, append(strings.Fields(line)[1:], "--fail")...)
		if !strings.Contains(out, "alice@EXAMPLE.TEST\n") {
			t.Errorf("%s: the answer does not name alice:\n%s", line, out)
		}
	}
}

// TestRealmDirResumed runs the demo with a new -realm-dir, stops it and
// runs it again on the same directory: the second run resumes the realm,
// with the same port, the same password and keytab, and the same exports,
// which still work. A run while another holds the directory is refused;
// with the port taken, the next run moves the KDC and says so.
func TestRealmDirResumed(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (apt-get install curl)")
	}
	bin := buildDemo(t)
	realmDir := filepath.Join(t.TempDir(), "realm")
	keytab := filepath.Join(realmDir, keytabName)
	password := filepath.Join(realmDir, passwordName)
	ccache := filepath.Join(realmDir, ccacheName)

	first := startDemoIn(t, bin, realmDir)
	if !first.logHas(`msg="new realm"`, "kept=true") {
		t.Errorf("the first run does not log a new realm:\n%s", first.stderr)
	}
	whoamiAsAlice(t, first)
	kdc := kdcAddr(t, realmDir)
	kvnos := keytabKVNOs(t, keytab)
	keys, _ := readFile(t, keytab)
	pw, _ := readFile(t, password)
	_, ticketed := readFile(t, ccache)

	// While the first run holds the directory, a second is refused, and
	// the first's configuration stays as it was.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0", "-realm-dir", realmDir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by process") {
		t.Errorf("a second demo on a directory in use: %v, want it refused as in use:\n%s", err, out)
	}
	if got := kdcAddr(t, realmDir); got != kdc {
		t.Errorf("the refused run moved the first run's KDC from %s to %s", kdc, got)
	}
	first.stop(t)

	time.Sleep(10 * time.Millisecond) // for the ticket's file time to move
	second := startDemoIn(t, bin, realmDir)
	if !second.logHas(`msg="resumed realm"`, "kdc="+kdc) {
		t.Errorf("the second run does not log the realm resumed on %s:\n%s", kdc, second.stderr)
	}
	if !slices.Equal(second.exports, first.exports) || len(second.exports) != 2 {
		t.Errorf("the second run exports %q, the first %q", second.exports, first.exports)
	}
	if got := kdcAddr(t, realmDir); got != kdc {
		t.Errorf("the KDC moved from %s to %s, with the port free", kdc, got)
	}
	if b, _ := readFile(t, password); !bytes.Equal(b, pw) {
		t.Error("the second run changed alice's password")
	}
	if b, _ := readFile(t, keytab); !bytes.Equal(b, keys) {
		t.Errorf("the second run rewrote the keytab: was\n%s\nnow\n%s", kvnos, keytabKVNOs(t, keytab))
	}
	if _, at := readFile(t, ccache); !at.After(ticketed) {
		t.Error("alice's ccache was not refreshed")
	}
	whoamiAsAlice(t, second)
	second.stop(t)

	// Someone else takes the KDC's port.
	l, err := net.Listen("tcp", kdc)
	if err != nil {
		t.Fatalf("taking the KDC's port: %v", err)
	}
	defer l.Close()
	third := startDemoIn(t, bin, realmDir)
	if !third.logHas(`msg="resumed realm on a new port`, "was="+kdc) {
		t.Errorf("the third run does not log the move from %s:\n%s", kdc, third.stderr)
	}
	if got := kdcAddr(t, realmDir); got == kdc {
		t.Errorf("krb5.conf still names the taken port %s", kdc)
	}
	if !slices.Equal(third.exports, first.exports) {
		t.Errorf("the third run exports %q, the first %q", third.exports, first.exports)
	}
	if got := keytabKVNOs(t, keytab); got != kvnos {
		t.Errorf("the keytab's key versions changed: was\n%s\nnow\n%s", kvnos, got)
	}
	whoamiAsAlice(t, third)
}

// TestRealmDirRefused: a -realm-dir that is neither empty nor the demo's
// is refused with a clear error, and nothing in it changes.
func TestRealmDirRefused(t *testing.T) {
	bin := buildDemo(t)
	for name, files := range map[string]map[string]string{
		"someone's files": {"notes.txt": "mine\n"},
		"someone's krb5.conf": {
			"krb5.conf": "[libdefaults]\n\tdefault_realm = MINE.TEST\n",
			"kdc.conf":  "[realms]\n\tMINE.TEST = {\n\t}\n",
		},
		"the demo's files but no realm": {passwordName: "secret\n", keytabName: "not a keytab\n"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, text := range files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0", "-realm-dir", dir)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || ctx.Err() != nil {
				t.Errorf("the demo: %v, want exit status 1", err)
			}
			if want := "-realm-dir " + dir + " is not empty and holds no realm of the demo's"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) != len(files) {
				t.Errorf("the directory holds %v (%v), want only %d files of its own", entries, err, len(files))
			}
			for f, text := range files {
				if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(b) != text {
					t.Errorf("%s changed: %q, %v", f, b, err)
				}
			}
		})
	}
}

// TestRealmDirFailedSetup: when a new realm cannot be made (here a service
// name that kadmin.local refuses), -realm-dir is left as it was: removed if
// the demo made it, empty if it was empty, so the next run starts afresh.
func TestRealmDirFailedSetup(t *testing.T) {
	bin := buildDemo(t)
	parent := t.TempDir()
	empty := filepath.Join(parent, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(parent, "new"), empty} {
		out, err := exec.Command(bin, "-listen", "127.0.0.1:0", "-realm-dir", dir, "-service", "a b").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "embedded realm") {
			t.Errorf("-realm-dir %s -service 'a b': %v, want the realm's error:\n%s", dir, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(parent, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the new directory is still there: %v", err)
	}
	if entries, err := os.ReadDir(empty); err != nil || len(entries) != 0 {
		t.Errorf("the empty directory holds %v (%v)", entries, err)
	}
}
