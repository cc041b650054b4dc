// Command soak puts the demo server (cmd/demo) under sustained load with
// delegation on, and reports whether it holds: throughput, errors, and the
// server process's memory, threads, open files and goroutines over the run.
//
//	soak [-duration 2m] [-clients 64] [-demo PATH] [-delegate-every 1]
//
// It starts a throwaway realm (internal/testrealm) and the demo against its
// keytab with -delegation-dir, then runs the clients. Every request carries
// a fresh token, made in this process with gss.Initiator: MIT krb5 1.20
// stamps authenticators from two processes with identical times, so tokens
// from many processes could collide in the server's replay cache, while
// tokens from one process never do. By default every token delegates, so
// every request also stores a ccache, and the client verifies every
// mutual-authentication reply.
//
// The demo exposes no metrics, so the figures are read from outside:
// resident memory, threads and open file descriptors from /proc/PID, and
// goroutines from the stack dump the Go runtime prints on SIGQUIT, taken
// once at the end of the run, and once from a second demo started the same
// way and warmed up the same way as the baseline.
//
// It exits 1 if any request failed, or if open files or goroutines grew
// over the run. It sends traffic to 127.0.0.1 only, and stops by itself.
// `make soak` runs it.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
)

type options struct {
	duration      time.Duration
	clients       int
	demo          string
	delegateEvery int
	sample        time.Duration
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 2*time.Minute, "how long the load runs")
	flag.IntVar(&o.clients, "clients", 64, "concurrent clients")
	flag.StringVar(&o.demo, "demo", "", "the demo binary (default: go build ./cmd/demo into a temporary directory)")
	flag.IntVar(&o.delegateEvery, "delegate-every", 1, "every Nth request delegates a credential (0: none)")
	flag.DurationVar(&o.sample, "sample", 10*time.Second, "how often to sample the server process")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "negotiate-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	realm, err := testrealm.StartFixture(filepath.Join(dir, "realm"))
	if err != nil {
		return err
	}
	defer realm.Close()
	if err := realm.UseInProcess(); err != nil {
		return err
	}
	if o.demo == "" {
		o.demo = filepath.Join(dir, "demo")
		fmt.Println("building the demo ...")
		if out, err := exec.Command("go", "build", "-o", o.demo, "github.com/negotiate-go/negotiate/cmd/demo").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/demo: %v\n%s", err, out)
		}
	}

	users, err := newUsers(realm)
	if err != nil {
		return err
	}
	defer func() {
		for _, u := range users {
			u.ini.Close()
		}
	}()

	// The baseline: a demo started and warmed up the same way, whose
	// goroutines are counted, and which is then stopped.
	base, err := startDemo(o.demo, realm, filepath.Join(dir, "deleg-base"))
	if err != nil {
		return err
	}
	baseGoroutines, baseRuntime, err := warmUpAndCount(base, users)
	if err != nil {
		return fmt.Errorf("baseline demo: %w", err)
	}

	d, err := startDemo(o.demo, realm, filepath.Join(dir, "deleg"))
	if err != nil {
		return err
	}
	defer d.stop()
	tr := &http.Transport{MaxIdleConnsPerHost: o.clients, MaxConnsPerHost: o.clients}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for range 10 {
		if err := request(client, d.url, users[0], o.delegateEvery > 0); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	tr.CloseIdleConnections()
	time.Sleep(500 * time.Millisecond)
	start, err := d.sample()
	if err != nil {
		return err
	}
	fmt.Printf("demo pid %d at %s, delegation dir %s\n", d.cmd.Process.Pid, d.url, d.delegDir)
	fmt.Printf("load: %d clients for %v, fresh token per request, delegating every %d\n", o.clients, o.duration, o.delegateEvery)
	fmt.Printf("%-8s %10s %8s %10s %8s %6s\n", "time", "requests", "errors", "RSS KiB", "threads", "fds")
	fmt.Printf("%-8s %10d %8d %10d %8d %6d\n", "start", 0, 0, start.rss, start.threads, start.fds)

	var ok, failed atomic.Int64
	errs := &errorLog{}
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	lat := make([][]time.Duration, o.clients)
	var wg sync.WaitGroup
	began := time.Now()
	for c := range o.clients {
		u := users[c%len(users)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				delegate := o.delegateEvery > 0 && n%o.delegateEvery == 0
				t0 := time.Now()
				if err := request(client, d.url, u, delegate); err != nil {
					if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
						return
					}
					failed.Add(1)
					errs.add(err)
					continue
				}
				lat[c] = append(lat[c], time.Since(t0))
				ok.Add(1)
			}
		}()
	}

	samples := []procSample{start}
	tick := time.NewTicker(o.sample)
	mid := began.Add(o.duration / 2)
	var middle *procSample
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case now := <-tick.C:
			s, err := d.sample()
			if err != nil {
				cancel()
				wg.Wait()
				return fmt.Errorf("the demo died: %w\n%s", err, d.log.String())
			}
			samples = append(samples, s)
			if middle == nil && !now.Before(mid) {
				middle = &samples[len(samples)-1]
			}
			fmt.Printf("%-8s %10d %8d %10d %8d %6d\n", now.Sub(began).Round(time.Second), ok.Load(), failed.Load(), s.rss, s.threads, s.fds)
		}
	}
	tick.Stop()
	wg.Wait()
	elapsed := time.Since(began)
	tr.CloseIdleConnections()
	time.Sleep(2 * time.Second) // the server's connection goroutines end
	end, err := d.sample()
	if err != nil {
		return err
	}
	if middle == nil {
		middle = &samples[len(samples)-1]
	}
	endGoroutines, endRuntime, err := d.goroutines()
	if err != nil {
		return err
	}

	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	files, _ := os.ReadDir(d.delegDir)
	logErrors := strings.Count(d.log.String(), "level=ERROR")

	fmt.Println()
	fmt.Printf("requests       %d ok, %d failed, in %v\n", ok.Load(), failed.Load(), elapsed.Round(time.Millisecond))
	fmt.Printf("throughput     %.0f 2xx/s\n", float64(ok.Load())/elapsed.Seconds())
	fmt.Printf("latency        p50 %v, p99 %v, max %v\n", pct(0.5).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	fmt.Printf("RSS            start %d KiB, middle %d KiB, end %d KiB (peak %d KiB)\n", start.rss, middle.rss, end.rss, end.hwm)
	fmt.Printf("threads        start %d, end %d\n", start.threads, end.threads)
	fmt.Printf("open fds       start %d, end %d\n", start.fds, end.fds)
	fmt.Printf("goroutines     baseline %d (a fresh demo after the same warm-up), end %d, from SIGQUIT dumps; and the runtime's own: %d, %d\n",
		baseGoroutines, endGoroutines, baseRuntime, endRuntime)
	fmt.Printf("delegation dir %d files\n", len(files))
	fmt.Printf("server log     %d lines at ERROR\n", logErrors)
	for _, e := range errs.first() {
		fmt.Println("error:", e)
	}

	var problems []string
	if failed.Load() > 0 {
		problems = append(problems, fmt.Sprintf("%d requests failed", failed.Load()))
	}
	if logErrors > 0 {
		problems = append(problems, fmt.Sprintf("%d errors in the server log", logErrors))
	}
	if end.fds > start.fds+2 {
		problems = append(problems, fmt.Sprintf("open fds grew from %d to %d", start.fds, end.fds))
	}
	if endGoroutines > baseGoroutines {
		problems = append(problems, fmt.Sprintf("goroutines grew from %d to %d", baseGoroutines, endGoroutines))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	fmt.Println("PASS")
	return nil
}

// soakUser is a user and the Initiator that makes its tokens.
type soakUser struct {
	principal string
	ini       *gss.Initiator
}

func newUsers(realm *testrealm.Fixture) ([]soakUser, error) {
	var users []soakUser
	for _, u := range []struct{ name, ccache string }{{"alice", realm.AliceCCache}, {"bob", realm.BobCCache}} {
		ini, err := gss.NewInitiator(gss.WithCCache(u.ccache))
		if err != nil {
			return nil, err
		}
		users = append(users, soakUser{realm.Principal(u.name), ini})
	}
	return users, nil
}

// request sends GET /whoami with a fresh token from u and checks the
// answer: 200, u's principal, and a mutual-authentication reply that
// completes the client's context.
func request(client *http.Client, url string, u soakUser, delegate bool) error {
	flags := negotiate.Flags(0)
	if delegate {
		flags = negotiate.FlagDelegate
	}
	ctx, tok, err := u.ini.Start("HTTP@localhost", flags)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	defer ctx.Close()
	req, err := http.NewRequest(http.MethodGet, url+"/whoami", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || string(body) != u.principal+"\n" {
		return fmt.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	reply, ok := strings.CutPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate ")
	if !ok {
		return errors.New("no mutual-authentication reply")
	}
	rtok, err := base64.StdEncoding.DecodeString(reply)
	if err != nil {
		return fmt.Errorf("mutual-authentication reply: %w", err)
	}
	if err := ctx.Finish(rtok); err != nil {
		return fmt.Errorf("mutual authentication: %w", err)
	}
	return nil
}

// errorLog keeps the first few distinct errors.
type errorLog struct {
	mu   sync.Mutex
	seen []string
}

func (e *errorLog) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := err.Error(); len(e.seen) < 10 && !slices.Contains(e.seen, s) {
		e.seen = append(e.seen, s)
	}
}

func (e *errorLog) first() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.seen)
}
