package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/negotiate-go/negotiate/bench/internal/wire"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

// runner runs the contenders one after another against one realm.
type runner struct {
	dir        string // scratch directory, removed at the end
	binDir     string // the built servers
	keytab     string // HTTP/localhost, the same file for every server
	env        []string
	tokens     *tokenMaker
	self       string // this executable, started again as "bench load"
	profileDir string

	conns              int
	warmup, duration   time.Duration
	serverCPU, loadCPU int
	floorTokens        int
	poolFactor         float64
	floorCapacity      float64 // accepts/s one CPU gives the floor, once it ran
}

// row is one server's outcome.
type row struct {
	server
	stats    wire.Stats
	peakKB   int64
	cpuPerOp time.Duration // server CPU time per request (floor: per accept)
	usage    usage
	err      error
}

func runMain(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	r := &runner{}
	names := fs.String("servers", "floor,noauth,ours,ours+session,gogssapi,apache,gokrb5", "comma-separated `list` of servers to run, in table order")
	fs.IntVar(&r.conns, "conns", 8, "keep-alive connections of the load driver")
	fs.DurationVar(&r.duration, "duration", 10*time.Second, "measured window per server")
	fs.DurationVar(&r.warmup, "warmup", time.Second, "load before each measured window")
	fs.IntVar(&r.serverCPU, "server-cpu", 0, "CPU the server (and the floor) is pinned to")
	fs.IntVar(&r.loadCPU, "load-cpu", 1, "CPU the load driver is pinned to")
	fs.IntVar(&r.floorTokens, "floor-tokens", 200000, "tokens made for the floor (it stops early if they run out)")
	fs.Float64Var(&r.poolFactor, "pool", 1.5, "tokens per server: this `factor` × the floor's accepts per CPU-second × (warmup+duration)")
	fs.StringVar(&r.profileDir, "profile", "", "write pprof profiles of each Go server into `dir`/NAME (slows them: do not quote those numbers)")
	keep := fs.Bool("keep", false, "keep the scratch directory (server logs, configs)")
	fs.Parse(args)

	chosen, err := pick(*names)
	if err != nil {
		return err
	}
	// On Ctrl-C or SIGTERM, the child in flight is killed, the server
	// stopped, and the realm and scratch directory cleaned up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cleanup, err := r.setup(*keep)
	defer cleanup()
	if err != nil {
		return err
	}
	var rows []row
	for _, s := range chosen {
		fmt.Fprintf(os.Stderr, "%s...\n", s.name)
		rw := r.measure(ctx, s)
		if err := ctx.Err(); err != nil {
			return err
		}
		if rw.err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.name, rw.err)
		}
		rows = append(rows, rw)
	}
	fmt.Print(table(rows, r))
	return nil
}

// setup makes the scratch directory, builds the servers, starts the realm
// and gets alice's credentials for the tokens. cleanup undoes what setup
// did, even when it failed half way.
func (r *runner) setup(keep bool) (cleanup func(), err error) {
	var undo []func()
	cleanup = func() {
		for _, f := range slices.Backward(undo) {
			f()
		}
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return cleanup, errors.New("taskset not found (Debian: util-linux)")
	}
	if r.self, err = os.Executable(); err != nil {
		return cleanup, err
	}
	if r.profileDir != "" {
		if r.profileDir, err = filepath.Abs(r.profileDir); err != nil {
			return cleanup, err
		}
	}
	if r.dir, err = os.MkdirTemp("", "negotiate-bench-"); err != nil {
		return cleanup, err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "scratch directory:", r.dir)
	} else {
		undo = append(undo, func() { os.RemoveAll(r.dir) })
	}

	fmt.Fprintln(os.Stderr, "building the servers...")
	r.binDir = filepath.Join(r.dir, "bin")
	if err := buildServers(r.binDir); err != nil {
		return cleanup, err
	}
	realm, err := testrealm.StartFixture(filepath.Join(r.dir, "realm"))
	if err != nil {
		return cleanup, err
	}
	undo = append(undo, func() { realm.Close() })
	if err := realm.UseInProcess(); err != nil {
		return cleanup, err
	}
	r.keytab, r.env = realm.Keytab, realm.Env()
	if r.tokens, err = newTokenMaker(realm.AliceCCache); err != nil {
		return cleanup, err
	}
	undo = append(undo, func() { r.tokens.Close() })
	return cleanup, nil
}

// pick returns the servers named in list, in table order.
func pick(list string) ([]server, error) {
	want := strings.Split(list, ",")
	var out []server
	for _, s := range servers {
		if i := slices.Index(want, s.name); i >= 0 {
			out = append(out, s)
			want = slices.Delete(want, i, i+1)
		}
	}
	if len(want) > 0 {
		return nil, fmt.Errorf("unknown servers %q", want)
	}
	return out, nil
}

// measure runs one contender: the floor loop, or a server under load.
func (r *runner) measure(ctx context.Context, s server) row {
	rw := row{server: s}
	dir := filepath.Join(r.dir, s.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		rw.err = err
		return rw
	}
	// A fresh MIT replay cache directory for each server.
	env := append(slices.Clone(r.env), "KRB5RCACHEDIR="+dir)
	if s.start == nil {
		rw.err = r.floor(ctx, &rw, dir, env)
		if rw.err == nil && rw.cpuPerOp > 0 {
			r.floorCapacity = float64(time.Second) / float64(rw.cpuPerOp)
		}
	} else {
		rw.err = r.loadServer(ctx, &rw, dir, env)
	}
	return rw
}

// floor runs the floor's accept loop pinned to the server CPU.
func (r *runner) floor(ctx context.Context, rw *row, dir string, env []string) error {
	file, err := r.tokenFile(dir, r.floorTokens)
	if err != nil {
		return err
	}
	defer os.Remove(file)
	ctx, cancel := context.WithTimeout(ctx, r.childLimit())
	defer cancel()
	cmd := exec.CommandContext(ctx, "taskset", "-c", strconv.Itoa(r.serverCPU), filepath.Join(r.binDir, "floor"),
		"-keytab", r.keytab, "-tokens", file,
		"-warmup", r.warmup.String(), "-duration", r.duration.String())
	cmd.Env = env
	cmd.Stderr = os.Stderr
	m, err := startMeter(0)
	if err != nil {
		return err
	}
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	if rw.usage, err = m.stop(cpuTime(cmd)); err != nil {
		return err
	}
	if rw.stats, err = wire.ParseStats(out); err != nil {
		return err
	}
	rw.peakKB = rw.stats.PeakRSSKB
	if n := rw.stats.OK + rw.stats.Failed; n > 0 {
		rw.cpuPerOp = rw.stats.CPU / time.Duration(n)
	}
	return nil
}

// loadServer starts s, checks that it authenticates, loads it from the
// load CPU, reads its CPU time and peak RSS, and stops it.
func (r *runner) loadServer(ctx context.Context, rw *row, dir string, env []string) (err error) {
	s := rw.server
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := s.start(r, s.name, dir, addr, env)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, p.stop(10*time.Second)) }()
	if err := p.waitListening(addr, 15*time.Second); err != nil {
		return err
	}
	probe, err := r.tokens.one()
	if err != nil {
		return err
	}
	if err := checkAuth(addr, base64.StdEncoding.EncodeToString(probe), s); err != nil {
		return fmt.Errorf("%s does not authenticate as it should: %w", s.name, err)
	}

	// A server without auth ignores the tokens: it gets one, sent over and
	// over, so that its requests are the same size as everyone's. A
	// session spends one token per connection, and one more per
	// connection for a retry.
	n := 1
	switch {
	case s.session:
		n = 2 * r.conns
	case s.auth:
		n = r.poolSize()
	}
	file, err := r.tokenFile(dir, n)
	if err != nil {
		return err
	}
	defer os.Remove(file)
	if rw.stats, rw.usage, err = r.drive(ctx, p.cmd.Process.Pid, addr, file, s); err != nil {
		return err
	}
	if rw.stats.Total > 0 {
		rw.cpuPerOp = rw.usage.server / time.Duration(rw.stats.Total)
	}
	if pdir := filepath.Join(r.profileDir, s.name); r.profileDir != "" && isDir(pdir) {
		// What the profiles' totals divide by to give per-request figures.
		n := []byte(strconv.FormatInt(rw.stats.Total, 10) + "\n")
		if err := os.WriteFile(filepath.Join(pdir, "requests"), n, 0o644); err != nil {
			return err
		}
	}
	rw.peakKB, err = p.peakRSS()
	return err
}

// drive runs the load driver on the load CPU against s at addr, whose
// process is pid, with the tokens in file, and meters the run. A server
// without auth gets its tokens over and over; a session server gets one per
// connection, then the cookie.
func (r *runner) drive(ctx context.Context, pid int, addr, file string, s server) (wire.Stats, usage, error) {
	argv := []string{r.self, "load", "-addr", addr, "-tokens", file, "-conns", strconv.Itoa(r.conns),
		"-warmup", r.warmup.String(), "-duration", r.duration.String()}
	switch {
	case s.session:
		argv = append(argv, "-session")
	case !s.auth:
		argv = append(argv, "-reuse")
	}
	ctx, cancel := context.WithTimeout(ctx, r.childLimit())
	defer cancel()
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", strconv.Itoa(r.loadCPU)}, argv...)...)
	cmd.Stderr = os.Stderr
	m, err := startMeter(pid)
	if err != nil {
		return wire.Stats{}, usage{}, err
	}
	out, err := cmd.Output()
	if err != nil {
		return wire.Stats{}, usage{}, fmt.Errorf("load: %w", err)
	}
	u, err := m.stop(cpuTime(cmd))
	if err != nil {
		return wire.Stats{}, usage{}, err
	}
	stats, err := wire.ParseStats(out)
	return stats, u, err
}

// childLimit bounds the run of a load driver or of the floor, which stop by
// themselves after warm-up and window: past it they are killed.
func (r *runner) childLimit() time.Duration { return r.warmup + r.duration + time.Minute }

// isDir reports whether path is a directory: a Go server's profile
// directory exists, Apache has none.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// cpuTime is the user and system time of a command that has been waited
// for.
func cpuTime(cmd *exec.Cmd) time.Duration {
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// poolSize is how many tokens a server gets: poolFactor times what the
// floor would accept over warm-up and window with a whole CPU to itself, or
// floorTokens if the floor has not run. The floor's CPU time per accept,
// not its measured rate, sizes the pool, so that a floor slowed by a busy
// machine does not starve the servers after it.
func (r *runner) poolSize() int {
	if r.floorCapacity == 0 {
		return r.floorTokens
	}
	return int(math.Ceil(r.poolFactor * r.floorCapacity * (r.warmup + r.duration).Seconds()))
}

// tokenFile makes n fresh tokens into a file in dir, right before they are
// used: they expire with the clock skew allowed (five minutes).
func (r *runner) tokenFile(dir string, n int) (string, error) {
	start := time.Now()
	tokens, err := r.tokens.make(n)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "  %d tokens in %v\n", n, time.Since(start).Round(time.Millisecond))
	file := filepath.Join(dir, "tokens")
	return file, wire.WriteTokens(file, tokens)
}
