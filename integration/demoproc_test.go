package integration

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm/realmtest"
)

// Tests against the demo binary (cmd/demo) as a separate process: its own
// server timeouts, and faults that need a process that is not root or that
// has a resource limit of its own.

// buildDemo builds cmd/demo once per test binary.
func buildDemo(t *testing.T) string {
	t.Helper()
	return realmtest.BuildMain(t, "github.com/negotiate-go/negotiate/cmd/demo")
}

// demoProc is a running demo.
type demoProc struct {
	url    string // "http://127.0.0.1:PORT"
	cmd    *exec.Cmd
	stderr *realmtest.LockedBuffer // its log
}

var listening = regexp.MustCompile(`msg="demo listening" addr=(\S+)`)

// startDemo runs bin with args and env, as the user cred if not nil, until
// the test ends, and waits until it listens.
func startDemo(t *testing.T, bin string, env []string, cred *syscall.Credential, args ...string) *demoProc {
	t.Helper()
	d := &demoProc{stderr: new(realmtest.LockedBuffer)}
	d.cmd = exec.Command(bin, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	d.cmd.Env = env
	d.cmd.Stdout, d.cmd.Stderr = io.Discard, d.stderr
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { d.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			d.cmd.Process.Kill()
			<-exited
		}
		if strings.Contains(d.stderr.String(), "panic") {
			t.Errorf("the demo panicked:\n%s", d.stderr.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(d.stderr.String()); m != nil {
			d.url = "http://" + m[1]
			return d
		}
		select {
		case <-exited:
			t.Fatalf("the demo exited:\n%s", d.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not listen within 10s:\n%s", d.stderr.String())
		}
	}
}

// get sends GET path with a token, or none if tok is nil.
func (d *demoProc) get(t *testing.T, path string, tok []byte) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != nil {
		req.Header.Set("Authorization", negotiateValue(tok))
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// TestSlowLoris opens connections to the demo that trickle header bytes,
// one every half second, and never finish. The demo's ReadHeaderTimeout
// (10 s) must close each within 10 s and a margin, while the server goes on
// serving others.
func TestSlowLoris(t *testing.T) {
	t.Parallel()
	bin := buildDemo(t)
	d := startDemo(t, bin, realm.Env(), nil, "-keytab", realm.Keytab, "-hostname", "localhost")
	addr := strings.TrimPrefix(d.url, "http://")

	const conns = 8
	const limit = 10*time.Second + 2500*time.Millisecond
	type result struct {
		took time.Duration
		got  string
	}
	results := make(chan result, conns)
	var wg sync.WaitGroup
	for range conns {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		c.SetDeadline(start.Add(limit + 2*time.Second)) // the test's own bound
		stop := make(chan struct{})
		wg.Add(1)
		go func() { // the trickle
			defer wg.Done()
			if _, err := io.WriteString(c, "GET /whoami HTTP/1.1\r\nHost: localhost\r\nX-Slow: "); err != nil {
				return
			}
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := c.Write([]byte("a")); err != nil {
						return
					}
				}
			}
		}()
		wg.Add(1)
		go func() { // the reader: until the server closes
			defer wg.Done()
			got, _ := io.ReadAll(c)
			results <- result{time.Since(start), string(got)}
			close(stop)
			c.Close()
		}()
	}

	// Meanwhile others are served.
	time.Sleep(time.Second)
	t0 := time.Now()
	if r := d.get(t, "/whoami", mint(t, alice(), target, 0, false)); r.status != http.StatusOK || r.body != "alice@EXAMPLE.TEST\n" {
		t.Errorf("during the attack: %d %q", r.status, r.body)
	}
	if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("a good request took %v during the attack", took)
	}

	wg.Wait()
	close(results)
	for r := range results {
		if r.took > limit {
			t.Errorf("a slow connection lived %v, more than %v", r.took, limit)
		}
		if r.took < 9*time.Second {
			t.Errorf("a slow connection was closed after %v, before ReadHeaderTimeout", r.took)
		}
		if r.got != "" && !strings.HasPrefix(r.got, "HTTP/1.1 408") {
			t.Errorf("a slow connection got %q", r.got)
		}
	}
	if r := d.get(t, "/whoami", mint(t, alice(), target, 0, false)); r.status != http.StatusOK {
		t.Errorf("after the attack: %d %q", r.status, r.body)
	}
}

// nobody is the user the demo runs as where root's powers would hide a
// fault.
var nobody = &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}

// nobodyDir makes a directory that nobody can traverse, removed when the
// test ends, and returns it with copies of the demo binary, the realm's
// krb5.conf and keytab (nobody's own), and a replay cache directory, and
// the environment for the demo.
func nobodyDir(t *testing.T) (dir, bin, keytab string, env []string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "negotiate-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	install := func(from, to string, mode os.FileMode, own bool) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, mode); err != nil {
			t.Fatal(err)
		}
		if own {
			chownNobody(t, to)
		}
	}
	bin, keytab = filepath.Join(dir, "demo"), filepath.Join(dir, "http.keytab")
	conf, rcache := filepath.Join(dir, "krb5.conf"), filepath.Join(dir, "rcache")
	install(buildDemo(t), bin, 0o755, false)
	install(realm.Config, conf, 0o644, false)
	install(realm.Keytab, keytab, 0o600, true)
	mkdirNobody(t, rcache)
	env = append(realm.Env(), "KRB5_CONFIG="+conf, "KRB5RCACHEDIR="+rcache)
	return dir, bin, keytab, env
}

func chownNobody(t *testing.T, path string) {
	t.Helper()
	if err := os.Chown(path, int(nobody.Uid), int(nobody.Gid)); err != nil {
		t.Fatal(err)
	}
}

func mkdirNobody(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	chownNobody(t, path)
}

// TestDelegationDirReadOnly runs the demo as nobody with -delegation-dir,
// and makes the directory read-only while it runs (chmod 0500; as root the
// tests could not). A request that delegates is then a 500 with the cause
// at Error in the log; the file stored before stays whole; requests that do
// not delegate are served; once the directory is writable again, storing
// works again.
func TestDelegationDirReadOnly(t *testing.T) {
	t.Parallel()
	dir, bin, keytab, env := nobodyDir(t)
	deleg := filepath.Join(dir, "deleg")
	mkdirNobody(t, deleg)
	d := startDemo(t, bin, env, nobody, "-keytab", keytab, "-hostname", "localhost", "-delegation-dir", deleg)
	checkDelegationFault(t, d, deleg, func() {
		if err := os.Chmod(deleg, 0o500); err != nil {
			t.Fatal(err)
		}
	}, func() {
		if err := os.Chmod(deleg, 0o700); err != nil {
			t.Fatal(err)
		}
	}, map[string]string{
		"MIT": "permission", // "Credentials cache permissions incorrect"
		// Heimdal's store path says "unknown mech-code 13 for mech
		// unknown": EACCES, as a number.
		"Heimdal": "",
	}[gss.Library()])
}

// TestDelegationDirFileTooLarge stands in for a full disk: the demo's
// file-size limit (RLIMIT_FSIZE) drops to 512 bytes while it runs, so that
// writing a ccache fails part way with EFBIG, as it would with ENOSPC.
// ENOSPC itself needs a small file system, that is a mount, which tests do
// not make. Writes past the limit fail in the replay cache too, so this
// demo runs without one (KRB5RCACHENAME=none:), which only this test does.
func TestDelegationDirFileTooLarge(t *testing.T) {
	t.Parallel()
	deleg := filepath.Join(t.TempDir(), "deleg")
	if err := os.Mkdir(deleg, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(realm.Env(), "KRB5RCACHENAME=none:")
	d := startDemo(t, buildDemo(t), env, nil, "-keytab", realm.Keytab, "-hostname", "localhost", "-delegation-dir", deleg)
	pid := d.cmd.Process.Pid
	checkDelegationFault(t, d, deleg, func() {
		setFileSizeLimit(t, pid, 512)
	}, func() {
		setFileSizeLimit(t, pid, ^uint64(0))
	}, "")
}

// setFileSizeLimit sets RLIMIT_FSIZE of process pid.
func setFileSizeLimit(t *testing.T, pid int, limit uint64) {
	t.Helper()
	lim := syscall.Rlimit{Cur: limit, Max: ^uint64(0)}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE,
		uintptr(unsafe.Pointer(&lim)), 0, 0, 0); errno != 0 {
		t.Fatalf("prlimit: %v", errno)
	}
}

// checkDelegationFault drives a demo with -delegation-dir deleg through a
// fault that brk starts and mend ends.
func checkDelegationFault(t *testing.T, d *demoProc, deleg string, brk, mend func(), cause string) {
	t.Helper()
	deleg1 := func(u user) []byte { return mint(t, u, target, negotiate.FlagDelegate, false) }
	aliceFile := filepath.Join(deleg, "alice@EXAMPLE.TEST")
	if r := d.get(t, "/whoami", deleg1(alice())); r.status != http.StatusOK || r.body != "alice@EXAMPLE.TEST\n" {
		t.Fatalf("before: %d %q\n%s", r.status, r.body, d.stderr.String())
	}
	stored, err := os.ReadFile(aliceFile)
	if err != nil {
		t.Fatalf("alice's delegated credential was not stored: %v", err)
	}

	brk()
	for _, path := range []string{"/whoami", "/public"} {
		r := d.get(t, path, deleg1(bob()))
		if r.status != http.StatusInternalServerError || r.body != internalErrorBody {
			t.Errorf("%s, delegating, during the fault: %d %q, want 500", path, r.status, r.body)
		}
		checkNoDetail(t, r)
	}
	line := logLine(d.stderr.String(), "reason=ccache_store_failed")
	if !strings.Contains(line, "level=ERROR") || !strings.Contains(line, "delegation_dir="+deleg) ||
		!strings.Contains(strings.ToLower(line), cause) {
		t.Errorf("no Error line with reason=ccache_store_failed, the directory and %q:\n%s", cause, d.stderr.String())
	}
	// Others are served; nothing torn or left over.
	if r := d.get(t, "/whoami", mint(t, bob(), target, 0, false)); r.status != http.StatusOK || r.body != "bob@EXAMPLE.TEST\n" {
		t.Errorf("bob, not delegating, during the fault: %d %q", r.status, r.body)
	}
	if r := d.get(t, "/public", mint(t, alice(), target, 0, true)); r.status != http.StatusOK || r.body != "alice@EXAMPLE.TEST\n" {
		t.Errorf("alice, not delegating, on /public during the fault: %d %q", r.status, r.body)
	}
	if now, err := os.ReadFile(aliceFile); err != nil || !bytes.Equal(now, stored) {
		t.Errorf("alice's stored credential changed during the fault: %v", err)
	}
	if names := dirNames(t, deleg); len(names) != 1 {
		t.Errorf("the directory holds %q, want alice's file alone", names)
	}

	mend()
	if r := d.get(t, "/whoami", deleg1(bob())); r.status != http.StatusOK || r.body != "bob@EXAMPLE.TEST\n" {
		t.Errorf("bob, delegating, after the fault: %d %q", r.status, r.body)
	}
	out, err := realm.Klist("-c", "FILE:"+filepath.Join(deleg, "bob@EXAMPLE.TEST"))
	if err != nil || !strings.Contains(out, "Default principal: bob@EXAMPLE.TEST") {
		t.Errorf("bob's stored credential after the fault: %v\n%s", err, out)
	}
}

// dirNames lists dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}
