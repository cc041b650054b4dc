package main

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/negotiate-go/negotiate/bench/internal/procstat"
	"github.com/negotiate-go/negotiate/gss"
	"github.com/negotiate-go/negotiate/internal/testrealm"
	"github.com/negotiate-go/negotiate/middleware"
)

// memoryMain is the "bench memory" subcommand: it runs n authentications
// through the middleware and a gss.Acceptor in this process, over HTTP on
// the loopback interface, and reports the process's memory and goroutines
// as it goes. It reports figures and asserts nothing.
func memoryMain(args []string) error {
	fs := flag.NewFlagSet("memory", flag.ExitOnError)
	n := fs.Int("n", 100000, "authentications in all")
	batch := fs.Int("batch", 1000, "tokens made, then spent, at a time (they sit in this process's memory)")
	every := fs.Int("every", 10000, "report after this many authentications")
	conns := fs.Int("conns", 8, "keep-alive connections")
	fs.Parse(args)
	if *n < 1 || *batch < 1 || *every < 1 {
		return errors.New("memory: -n, -batch and -every must be positive")
	}

	dir, err := os.MkdirTemp("", "negotiate-bench-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	realm, err := testrealm.StartFixture(filepath.Join(dir, "realm"))
	if err != nil {
		return err
	}
	defer realm.Close()
	if err := realm.UseInProcess(); err != nil { // also KRB5RCACHEDIR: a fresh replay cache
		return err
	}
	maker, err := newTokenMaker(realm.AliceCCache)
	if err != nil {
		return err
	}
	defer maker.Close()

	addr, stop, err := serveOurs(realm.Keytab)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Printf("%d authentications through middleware + gss.Acceptor in one process, %d connections, tokens made %d at a time in the same process.\n", *n, *conns, *batch)
	fmt.Println("The C heap counts glibc's per-thread caches (tcache) as in use: it creeps up while the threads that ran cgo calls fill them;")
	fmt.Println("GLIBC_TUNABLES=glibc.malloc.tcache_count=0 shows it without them.")
	fmt.Println()
	fmt.Println("| after | RSS | peak RSS | Go heap in use | C heap in use | goroutines | OS threads | non-2xx |")
	fmt.Println("|--:|--:|--:|--:|--:|--:|--:|--:|")
	var failed int64
	report(0, failed)
	for done := 0; done < *n; {
		k := min(*batch, *n-done)
		raw, err := maker.make(k)
		if err != nil {
			return err
		}
		l := load{addr: addr, conns: *conns, duration: batchLimit, tokens: make([]string, k)}
		for i, t := range raw {
			l.tokens[i] = base64.StdEncoding.EncodeToString(t)
		}
		s, err := l.run()
		if err != nil {
			return err
		}
		if s.OK+s.Failed != int64(k) || s.Errors > 0 {
			return fmt.Errorf("memory: %d of %d requests answered, %d transport errors", s.OK+s.Failed, k, s.Errors)
		}
		failed += s.Failed
		if done/(*every) != (done+k)/(*every) || done+k == *n {
			report(done+k, failed)
		}
		done += k
	}
	return nil
}

// batchLimit bounds the time one batch of requests may take.
const batchLimit = 2 * time.Minute

// serveOurs serves the middleware and an acceptor for keytab on a loopback
// port of this process, as servers/ours does, and returns the address and
// the function that stops it.
func serveOurs(keytab string) (addr string, stop func(), err error) {
	acc, err := gss.NewAcceptor(gss.WithKeytab(keytab), gss.WithHostname("localhost"))
	if err != nil {
		return "", nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	mw, err := middleware.New(acc, middleware.WithLogger(quiet))
	if err != nil {
		acc.Close()
		return "", nil, err
	}
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := middleware.PrincipalFromContext(r.Context())
		io.WriteString(w, p+"\n")
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		acc.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close(); acc.Close() }, nil
}

// report prints one line of figures after done authentications. It first
// lets the goroutines of closed connections end (up to a second), so the
// count is of what stays.
func report(done int, failed int64) {
	g := runtime.NumGoroutine()
	for range 20 {
		time.Sleep(50 * time.Millisecond)
		now := runtime.NumGoroutine()
		if now == g {
			break
		}
		g = now
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m, _ := procstat.Read(0)
	fmt.Printf("| %d | %.1f MB | %.1f MB | %.1f MB | %.2f MB | %d | %d | %d |\n", done,
		float64(m.RSSKB)/1024, float64(m.PeakKB)/1024, float64(ms.HeapInuse)/(1<<20),
		float64(procstat.CHeapInUse())/(1<<20), g, m.Threads, failed)
}
