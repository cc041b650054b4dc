// Package serve is the scaffolding the benchmark's Go servers share: their
// flags, a listener on the loopback interface, optional pprof profiles of
// the whole run, and a clean stop on SIGTERM.
package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
)

// Config is what every server takes on its command line.
type Config struct {
	Addr       string // -addr: a loopback host:port
	Keytab     string // -keytab: the service keytab (ignored by servers without auth)
	ProfileDir string // -profile: write cpu.pprof, allocs.pprof and mutex.pprof here
}

// ParseFlags parses the command line into a Config and checks that the
// address is on the loopback interface.
func ParseFlags() Config {
	var c Config
	flag.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "loopback `host:port` to listen on")
	flag.StringVar(&c.Keytab, "keytab", "", "service keytab `path`")
	flag.StringVar(&c.ProfileDir, "profile", "", "write CPU, allocation and mutex profiles of the run into `dir`")
	flag.Parse()
	host, _, err := net.SplitHostPort(c.Addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("-addr %q: want a loopback IP and port", c.Addr)
	}
	return c
}

// Run serves h on c.Addr until the process gets SIGTERM or SIGINT. With
// c.ProfileDir set it profiles everything in between.
func Run(c Config, h http.Handler) error {
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	stopProfiles, err := startProfiles(c.ProfileDir)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		// The load is over when the bench stops a server: no request
		// is worth waiting for.
		err = srv.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, stopProfiles())
}

// startProfiles starts the CPU profile and mutex sampling, and returns the
// function that stops them and writes the three profiles into dir.
func startProfiles(dir string) (stop func() error, err error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return nil, err
	}
	runtime.SetMutexProfileFraction(10)
	return func() error {
		pprof.StopCPUProfile()
		errs := []error{cpu.Close()}
		for _, name := range []string{"allocs", "mutex"} {
			errs = append(errs, writeProfile(filepath.Join(dir, name+".pprof"), name))
		}
		return errors.Join(errs...)
	}, nil
}

func writeProfile(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("%s profile: %w", name, err)
	}
	return f.Close()
}
