package interop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Variables a child process must not inherit from the test's environment:
// they would point Kerberos at another realm, route requests through a
// proxy, or change which GSS-API library cgo links.
var (
	krb5Vars  = []string{"KRB5_CONFIG", "KRB5CCNAME", "KRB5_KDC_PROFILE", "KRB5RCACHEDIR", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME"}
	proxyVars = []string{"http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}
	cgoVars   = []string{"PKG_CONFIG_PATH", "CGO_CFLAGS", "CGO_LDFLAGS", "CGO_ENABLED"}

	// runVars are dropped for the demo and its clients.
	runVars = slices.Concat(krb5Vars, proxyVars)
)

// environ returns the test's environment without the variables in drop,
// with set ("KEY=value") added; a key in set replaces any inherited value.
func environ(drop []string, set ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(drop, k) || slices.ContainsFunc(set, func(s string) bool { return strings.HasPrefix(s, k+"=") }) {
			continue
		}
		env = append(env, kv)
	}
	return append(env, set...)
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD: %q, %v", gomod, err)
	}
	return filepath.Dir(gomod)
}

// goBuild builds pkg (relative to the module root) into out, with cgo on
// and set added to the environment. It starts from an environment without
// cgo settings, so a build without set is the default MIT build.
func goBuild(t *testing.T, root, out, pkg string, set ...string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = environ(cgoVars, append([]string{"CGO_ENABLED=1"}, set...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s with %q: %v\n%s", pkg, set, err, b)
	}
}

// checkLinks fails the test unless ldd shows that bin links the shared
// object want and not the shared object other.
func checkLinks(t *testing.T, bin, want, other string) {
	t.Helper()
	out, err := exec.Command("ldd", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("ldd %s: %v\n%s", bin, err, out)
	}
	linked := func(so string) bool {
		return regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(so) + `\s`).Match(out)
	}
	if !linked(want) || linked(other) {
		t.Fatalf("%s should link %s and not %s; ldd says:\n%s", filepath.Base(bin), want, other, out)
	}
	t.Logf("%s links %s", filepath.Base(bin), want)
}

// demo is a running demo server with its embedded realm.
type demo struct {
	cmd     *exec.Cmd
	base    string   // "http://localhost:PORT", as the demo prints it
	krb5    []string // the demo's two exports, KRB5_CONFIG and KRB5CCNAME
	logPath string   // the demo's stderr
	exited  chan struct{}
	waitErr error // valid once exited is closed
	stopped bool  // stop saw the demo and its whole group gone
}

// instructions is what the demo prints for a newcomer to follow.
type instructions struct {
	krb5Config, ccache, base string
}

var (
	exportRE  = regexp.MustCompile(`^\s*export (KRB5_CONFIG|KRB5CCNAME)=(\S+)\s*$`)
	curlURLRE = regexp.MustCompile(`^\s*curl .*(http://localhost:\d+)/\S*\s*$`)
)

// startDemo starts bin with its embedded realm in dir/realm, and waits for
// its instructions. The demo runs in its own process group, so a failed
// test can kill it and its KDC together.
func startDemo(t *testing.T, bin, dir string) *demo {
	t.Helper()
	d := &demo{logPath: filepath.Join(dir, "demo.log"), exited: make(chan struct{})}
	logFile, err := os.Create(d.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	pr, pw := io.Pipe()
	d.cmd = exec.Command(bin, "-listen", "127.0.0.1:0", "-realm-dir", filepath.Join(dir, "realm"))
	d.cmd.Env = environ(runVars)
	d.cmd.Stdout, d.cmd.Stderr = pw, logFile
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start the demo: %v", err)
	}
	go func() {
		d.waitErr = d.cmd.Wait()
		pw.Close()
		close(d.exited)
	}()
	t.Cleanup(d.kill)

	found := make(chan instructions, 1)
	go scanInstructions(pr, found)
	select {
	case in := <-found:
		d.base = in.base
		d.krb5 = []string{"KRB5_CONFIG=" + in.krb5Config, "KRB5CCNAME=" + in.ccache}
		t.Logf("demo pid %d at %s; KRB5_CONFIG=%s KRB5CCNAME=%s", d.cmd.Process.Pid, d.base, in.krb5Config, in.ccache)
		return d
	case <-d.exited:
		t.Fatalf("the demo exited before printing its instructions: %v\n%s", d.waitErr, d.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("the demo printed no instructions within 60 s\n%s", d.log())
	}
	return nil
}

// scanInstructions reads the demo's stdout, sends the instructions on found
// once it has both exports and a curl line, and drains the rest so that the
// demo never blocks writing.
func scanInstructions(r io.Reader, found chan<- instructions) {
	var in instructions
	sent := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sent {
			continue
		}
		line := sc.Text()
		if m := exportRE.FindStringSubmatch(line); m != nil {
			if m[1] == "KRB5_CONFIG" {
				in.krb5Config = m[2]
			} else {
				in.ccache = m[2]
			}
		}
		if m := curlURLRE.FindStringSubmatch(line); m != nil && in.base == "" {
			in.base = m[1]
		}
		if in.krb5Config != "" && in.ccache != "" && in.base != "" {
			found <- in
			sent = true
		}
	}
	io.Copy(io.Discard, r)
}

// clientEnv is the environment for a client of the demo: the demo's two
// exports, no other Kerberos settings and no proxies, plus set.
func (d *demo) clientEnv(set ...string) []string {
	return environ(runVars, slices.Concat(d.krb5, set)...)
}

// checkLog fails the test for each error the demo logged while serving
// the clients, and shows its warnings.
func (d *demo) checkLog(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(d.logPath)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		switch {
		case strings.Contains(line, "level=ERROR"):
			t.Errorf("the demo logged an error: %s", strings.TrimSpace(line))
		case strings.Contains(line, "level=WARN"):
			t.Logf("the demo logged a warning: %s", strings.TrimSpace(line))
		}
	}
}

// log returns what the demo wrote to stderr.
func (d *demo) log() string {
	b, _ := os.ReadFile(d.logPath)
	return "demo stderr:\n" + string(b)
}

// stop sends SIGTERM to the demo and checks that it exits 0 within 15 s,
// and that no process of its group (its KDC) outlives it.
func (d *demo) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM to the demo: %v", err)
	}
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("the demo did not exit within 15 s of SIGTERM\n%s", d.log())
	}
	if d.waitErr != nil {
		t.Errorf("the demo exited with %v after SIGTERM, want status 0\n%s", d.waitErr, d.log())
	}
	d.checkLog(t)
	if err := syscall.Kill(-d.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("processes of the demo's group outlived it (kill -0: %v); killing them", err)
		return
	}
	d.stopped = true
}

// kill is the safety net when a test fails early or the demo left a
// process behind: unless stop saw everything gone, it kills the demo's
// process group (the demo and its KDC) by the demo's PID, and waits for
// the demo.
func (d *demo) kill() {
	if d.stopped {
		return
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.exited
}

// runClient runs a client program with env and returns its stdout and
// stderr. It runs the client in its own process group and, if the client
// is still running after timeout, kills that group by the client's PID. It
// fails the test if the client cannot start, times out or exits non-zero.
func runClient(t *testing.T, timeout time.Duration, env []string, prog string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v; killed.\nstdout:\n%s\nstderr:\n%s", filepath.Base(prog), timeout, out.Bytes(), tail(errOut.String(), 40))
	}
	if err != nil {
		t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(prog), args, err, out.Bytes(), tail(errOut.String(), 40))
	}
	return out.String(), errOut.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
