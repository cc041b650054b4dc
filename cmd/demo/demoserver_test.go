package main

// The demo as a process, for tests that follow what it prints.

import (
	"bufio"
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

// demoServer is a demo process serving with an embedded realm.
type demoServer struct {
	env     []string // the process environment plus the printed exports
	exports []string // the printed exports, "KRB5_CONFIG=…", in order
	port    string
	curls   []string                // the curl lines the demo printed
	stderr  *realmtest.LockedBuffer // its log

	cmd  *exec.Cmd
	done chan error // the result of Wait, once the process ends
}

// startDemoServer runs bin with args and an embedded realm in a new
// -realm-dir of the test's, as startDemoIn does.
func startDemoServer(t *testing.T, bin string, args ...string) *demoServer {
	t.Helper()
	return startDemoIn(t, bin, filepath.Join(t.TempDir(), "realm"), args...)
}

// startDemoIn runs bin with args and its embedded realm in realmDir, reads
// its instructions up to "Press Ctrl-C", and stops it with SIGTERM when
// the test ends, unless the test stopped it before.
func startDemoIn(t *testing.T, bin, realmDir string, args ...string) *demoServer {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-listen", "127.0.0.1:0", "-realm-dir", realmDir}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &demoServer{env: os.Environ(), stderr: new(realmtest.LockedBuffer), cmd: cmd, done: make(chan error, 1)}
	cmd.Stderr = d.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	exportRE := regexp.MustCompile(`^\s*export (KRB5_CONFIG|KRB5CCNAME)=(\S+)$`)
	portRE := regexp.MustCompile(`http://localhost:(\d+)/`)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if m := exportRE.FindStringSubmatch(line); m != nil {
			d.exports = append(d.exports, m[1]+"="+m[2])
			d.env = append(d.env, m[1]+"="+m[2])
		}
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "curl ") {
			d.curls = append(d.curls, l)
			if m := portRE.FindStringSubmatch(l); m != nil {
				d.port = m[1]
			}
		}
		if strings.HasPrefix(line, "Press Ctrl-C") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
		d.done <- cmd.Wait()
	}()
	if d.port == "" {
		// It ended: its log is complete once Wait returned.
		select {
		case err := <-d.done:
			d.done <- err
		case <-time.After(5 * time.Second):
		}
		t.Fatalf("the demo printed no curl line; its log:\n%s", d.stderr)
	}
	return d
}

// stop stops the demo with SIGTERM and fails the test unless it exits 0
// within 15 s. Calling it again does nothing.
func (d *demoServer) stop(t *testing.T) {
	t.Helper()
	if d.cmd == nil {
		return
	}
	cmd := d.cmd
	d.cmd = nil
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("the demo exited with %v after SIGTERM; its log:\n%s", err, d.stderr)
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Error("the demo did not stop within 15 s of SIGTERM")
	}
}

// logHas reports whether the demo's log holds each of want, waiting a few
// seconds for it: the log comes through a pipe, which may lag the rest.
func (d *demoServer) logHas(want ...string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for {
		log, all := d.stderr.String(), true
		for _, w := range want {
			all = all && strings.Contains(log, w)
		}
		if all || time.Now().After(deadline) {
			return all
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// curl runs curl with args in dir, with env, and returns what it printed
// with --include: the response header and body.
func (d *demoServer) curl(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	c := exec.Command("curl", append(args, "--silent", "--show-error", "--include")...)
	c.Dir, c.Env = dir, env
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// withoutTicket returns env with KRB5CCNAME pointing at no cache at all.
func withoutTicket(t *testing.T, env []string) []string {
	return append(append([]string(nil), env...), "KRB5CCNAME=FILE:"+filepath.Join(t.TempDir(), "none"))
}
