package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/negotiate-go/negotiate/internal/syncbuf"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// demoProc is a running demo.
type demoProc struct {
	cmd      *exec.Cmd
	url      string
	delegDir string
	log      *syncbuf.Buffer // the demo's stderr, written by os/exec while soak reads it
	exited   chan struct{}
}

var listening = regexp.MustCompile(`msg="demo listening" addr=(\S+)`)

// startDemo starts the demo on a free loopback port with the realm's
// keytab and delegDir, which it creates.
func startDemo(bin string, realm *testrealm.Fixture, delegDir string) (*demoProc, error) {
	if err := os.Mkdir(delegDir, 0o700); err != nil {
		return nil, err
	}
	d := &demoProc{delegDir: delegDir, log: new(syncbuf.Buffer), exited: make(chan struct{})}
	d.cmd = exec.Command(bin, "-listen", "127.0.0.1:0", "-keytab", realm.Keytab, "-hostname", "localhost", "-delegation-dir", delegDir)
	d.cmd.Env = append(realm.Env(), "GOTRACEBACK=all") // SIGQUIT dumps every user goroutine
	d.cmd.Stdout, d.cmd.Stderr = io.Discard, d.log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(d.log.String()); m != nil {
			d.url = "http://" + m[1]
			return d, nil
		}
		select {
		case <-d.exited:
			return nil, fmt.Errorf("the demo exited:\n%s", d.log.String())
		default:
		}
	}
	d.stop()
	return nil, fmt.Errorf("the demo did not listen within 10s:\n%s", d.log.String())
}

func (d *demoProc) stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
	}
}

// warmUpAndCount sends the warm-up requests, counts the goroutines and
// stops the demo.
func warmUpAndCount(d *demoProc, users []soakUser) (own, runtime int, err error) {
	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for range 10 {
		if err := request(client, d.url, users[0], true); err != nil {
			d.stop()
			return 0, 0, err
		}
	}
	tr.CloseIdleConnections()
	time.Sleep(2 * time.Second)
	return d.goroutines()
}

// goroutineHeader opens each goroutine of a dump: "goroutine 7 [select]:",
// or with Go 1.26 "goroutine 7 gp=0x… m=nil [select]:".
var goroutineHeader = regexp.MustCompile(`(?m)^goroutine \d+ (?:gp=\S+ )?(?:m=\S+ )?(?:mp=\S+ )?\[`)

// goroutines has the runtime dump every goroutine's stack (SIGQUIT), which
// ends the process, and counts them: the program's own, and the runtime's
// (those a runtime function created: GC workers, which start with the first
// collection, the finalizer, ...), apart.
func (d *demoProc) goroutines() (own, runtime int, err error) {
	if err := d.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		return 0, 0, err
	}
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		return 0, 0, errors.New("the demo did not exit on SIGQUIT")
	}
	dump := d.log.String()
	starts := goroutineHeader.FindAllStringIndex(dump, -1)
	if len(starts) == 0 {
		return 0, 0, fmt.Errorf("no goroutine dump in the demo's output:\n%s", dump)
	}
	for i, at := range starts {
		end := len(dump)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		if strings.Contains(dump[at[0]:end], "\ncreated by runtime.") {
			runtime++
		} else {
			own++
		}
	}
	return own, runtime, nil
}

// procSample is the process's state as /proc shows it.
type procSample struct {
	rss, hwm, threads, fds int64
}

func (d *demoProc) sample() (procSample, error) {
	pid := strconv.Itoa(d.cmd.Process.Pid)
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return procSample{}, err
	}
	defer f.Close()
	var s procSample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseInt(strings.Fields(v + " 0")[0], 10, 64)
		switch k {
		case "VmRSS":
			s.rss = n
		case "VmHWM":
			s.hwm = n
		case "Threads":
			s.threads = n
		}
	}
	fds, err := os.ReadDir("/proc/" + pid + "/fd")
	if err != nil {
		return procSample{}, err
	}
	s.fds = int64(len(fds))
	return s, nil
}
