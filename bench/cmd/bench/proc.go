package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/negotiate-go/negotiate/bench/internal/procstat"
)

// proc is a process the bench started, pinned to one CPU with taskset.
// taskset execs the program, so the PID is the program's own: the bench
// reads its VmHWM and stops it by that PID, never by name.
type proc struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has been waited for
	err    error         // Wait's result, once exited is closed
}

// startPinned starts argv on cpu with env, its stdout and stderr going to
// the file logPath.
func startPinned(name string, cpu int, env []string, logPath string, argv ...string) (*proc, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own descriptor
	args := append([]string{"-c", strconv.Itoa(cpu)}, argv...)
	cmd := exec.Command("taskset", args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// waitListening waits until addr accepts TCP connections, and fails if the
// process exits first or limit passes.
func (p *proc) waitListening(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before listening: %v", p.name, p.err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s: nothing listening on %s after %v", p.name, addr, limit)
}

// peakRSS returns the process's VmHWM in KiB.
func (p *proc) peakRSS() (int64, error) {
	m, err := procstat.Read(p.cmd.Process.Pid)
	return m.PeakKB, err
}

// stop sends SIGTERM to the process's PID, waits up to limit for it to
// exit, then kills it.
func (p *proc) stop(limit time.Duration) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(limit):
	}
	p.cmd.Process.Kill()
	<-p.exited
	return fmt.Errorf("%s did not stop within %v of SIGTERM; killed", p.name, limit)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
