package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
)

// The tests run the demo as a separate process: it starts its own realm.
func TestMain(m *testing.M) { os.Exit(realmtest.Run(m)) }

// buildDemo compiles the demo as users run it, once per test binary.
func buildDemo(t *testing.T) string {
	t.Helper()
	return realmtest.BuildMain(t, "github.com/negotiate-go/negotiate/cmd/demo")
}

func TestSelfcheck(t *testing.T) {
	bin := buildDemo(t)
	cmd := exec.Command(bin, "-selfcheck", "-listen", "127.0.0.1:0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("demo -selfcheck: %v\nstdout: %s\nstderr: %s", err, out, stderr.Bytes())
	}
	if !strings.HasPrefix(string(out), "selfcheck: PASS: 8 checks") {
		t.Errorf("verdict %q", out)
	}
}

// TestStartupNamesTheKeytab: the start-up line says which principals the
// keytab holds, so that an operator sees which -hostname to give.
func TestStartupNamesTheKeytab(t *testing.T) {
	bin := buildDemo(t)
	cmd := exec.Command(bin, "-selfcheck", "-listen", "127.0.0.1:0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("demo -selfcheck: %v\nstdout: %s\nstderr: %s", err, out, stderr.Bytes())
	}
	if !regexp.MustCompile(`msg="demo listening" .*keytab_holds="HTTP/localhost@EXAMPLE.TEST \(kvno \d+\)"`).Match(stderr.Bytes()) {
		t.Errorf("the start-up line does not name the keytab's principal:\n%s", stderr.Bytes())
	}
}

func TestSelfcheckWithDelegationDir(t *testing.T) {
	bin := buildDemo(t)
	dir := filepath.Join(t.TempDir(), "deleg")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-selfcheck", "-listen", "127.0.0.1:0", "-delegation-dir", dir).Output()
	if err != nil || !strings.HasPrefix(string(out), "selfcheck: PASS") {
		t.Fatalf("demo -selfcheck -delegation-dir: %v: %s", err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "alice@") {
		t.Errorf("delegation dir holds %v (%v), want one ccache for alice", entries, err)
	}
}

// TestCurlAgainstDemo runs the demo as a newcomer would, follows its printed
// instructions with curl, and stops it with SIGTERM.
func TestCurlAgainstDemo(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (apt-get install curl)")
	}
	bin := buildDemo(t)
	realmDir := filepath.Join(t.TempDir(), "realm")
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-realm-dir", realmDir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// Read the instructions up to the curl lines.
	env := os.Environ()
	var curlLines []string
	exportRE := regexp.MustCompile(`^\s*export (KRB5_CONFIG|KRB5CCNAME)=(\S+)$`)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(curlLines) < 2 {
		line := sc.Text()
		if m := exportRE.FindStringSubmatch(line); m != nil {
			env = append(env, m[1]+"="+m[2])
		}
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "curl ") {
			curlLines = append(curlLines, l)
		}
	}
	if len(curlLines) != 2 {
		t.Fatalf("the demo printed %d curl lines; stderr:\n%s", len(curlLines), stderr.Bytes())
	}
	go func() {
		for sc.Scan() {
		}
	}()

	for _, line := range curlLines {
		args := append(strings.Fields(line)[1:], "--silent", "--show-error", "--fail", "--include")
		c := exec.Command("curl", args...)
		c.Env = env
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		got := string(out)
		if !strings.Contains(got, "alice@EXAMPLE.TEST\n") {
			t.Errorf("%s: the answer does not name alice:\n%s", line, got)
		}
		if !regexp.MustCompile(`(?i)www-authenticate: negotiate \S+`).MatchString(got) {
			t.Errorf("%s: no mutual-authentication token:\n%s", line, got)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the demo exited with %v after SIGTERM; stderr:\n%s", err, stderr.Bytes())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the demo did not stop within 15 s of SIGTERM")
	}
	conf, err := os.ReadFile(filepath.Join(realmDir, "krb5.conf"))
	if err != nil {
		t.Fatalf("a -realm-dir realm should stay for inspection: %v", err)
	}
	kdc := regexp.MustCompile(`kdc = (\S+)`).FindSubmatch(conf)
	if kdc == nil {
		t.Fatalf("no kdc line in krb5.conf:\n%s", conf)
	}
	if c, err := net.DialTimeout("tcp", string(kdc[1]), time.Second); err == nil {
		c.Close()
		t.Errorf("the KDC still listens on %s after the demo exited", kdc[1])
	}
}

// TestSIGTERMAtOnce stops the demo the moment its instructions are out:
// it exits 0, its KDC stops and its temporary realm is removed, as after a
// later SIGTERM. A few times, for the moment is short.
func TestSIGTERMAtOnce(t *testing.T) {
	bin := buildDemo(t)
	confRE := regexp.MustCompile(`^\s*export KRB5_CONFIG=(\S+)$`)
	for range 5 {
		cmd := exec.Command(bin, "-listen", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var conf string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := confRE.FindStringSubmatch(sc.Text()); m != nil {
				conf = m[1]
			}
			if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				cmd.Process.Signal(syscall.SIGTERM)
				break
			}
		}
		for sc.Scan() {
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("the demo exited with %v after an early SIGTERM; stderr:\n%s", err, stderr.Bytes())
		}
		if conf == "" {
			t.Fatalf("the demo printed no KRB5_CONFIG; stderr:\n%s", stderr.Bytes())
		}
		if _, err := os.Stat(filepath.Dir(conf)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the temporary realm %s is still there: %v", filepath.Dir(conf), err)
		}
	}
}
