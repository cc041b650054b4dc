package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/negotiate-go/negotiate/bench/internal/wire"
	"github.com/negotiate-go/negotiate/middleware"
)

// load is one load run: conns keep-alive connections to a loopback server,
// each request carrying the next unused token; or, in session mode, each
// connection's first request carrying a token and the rest only the session
// cookie that its response set.
type load struct {
	addr     string
	tokens   []string // base64 tokens, each sent once (unless reuse)
	reuse    bool     // cycle through tokens: for a server that ignores them
	session  bool     // one token per connection, then the session cookie
	conns    int
	warmup   time.Duration // requests started before this are not counted
	duration time.Duration // the measured window
}

// maxConsecutiveErrors stops a connection's worker when the server keeps
// failing, so that a dead server does not cost the whole window.
const maxConsecutiveErrors = 10

// loadMain is the "bench load" subcommand, which the bench starts pinned to
// its own CPU. It prints wire.Stats as JSON.
func loadMain(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	var l load
	tokenFile := fs.String("tokens", "", "token file `path` (wire.WriteTokens)")
	fs.StringVar(&l.addr, "addr", "", "loopback `host:port` of the server")
	fs.BoolVar(&l.reuse, "reuse", false, "cycle through the tokens (for a server without auth)")
	fs.BoolVar(&l.session, "session", false, "send one token per connection, then the session cookie it got")
	fs.IntVar(&l.conns, "conns", 8, "keep-alive connections")
	fs.DurationVar(&l.warmup, "warmup", time.Second, "load for this long before measuring")
	fs.DurationVar(&l.duration, "duration", 10*time.Second, "length of the measured window")
	fs.Parse(args)
	if err := checkLoopback(l.addr); err != nil {
		return err
	}
	var err error
	if l.tokens, err = wire.ReadTokens(*tokenFile); err != nil {
		return err
	}
	s, err := l.run()
	if err != nil {
		return err
	}
	return s.Print(os.Stdout)
}

// checkLoopback refuses any address but a loopback IP and port.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: want a loopback IP and port", addr)
	}
	return nil
}

// run sends requests until the window closes or the tokens run out.
func (l *load) run() (wire.Stats, error) {
	if l.conns < 1 || len(l.tokens) == 0 {
		return wire.Stats{}, errors.New("load: no connections or no tokens")
	}
	var (
		next      atomic.Int64
		exhausted atomic.Bool
		wg        sync.WaitGroup
		mu        sync.Mutex
		total     wire.Stats
		lat       []time.Duration
	)
	start := time.Now()
	measureFrom, end := start.Add(l.warmup), start.Add(l.warmup+l.duration)
	var lastDone time.Time
	for range l.conns {
		wg.Go(func() {
			w := worker{load: l, next: &next, exhausted: &exhausted, measureFrom: measureFrom, end: end}
			w.run()
			mu.Lock()
			defer mu.Unlock()
			total.OK += w.stats.OK
			total.Failed += w.stats.Failed
			total.Errors += w.stats.Errors
			total.Total += w.stats.Total
			lat = append(lat, w.lat...)
			if w.done.After(lastDone) {
				lastDone = w.done
			}
		})
	}
	wg.Wait()
	total.Elapsed = lastDone.Sub(measureFrom)
	total.Exhausted = exhausted.Load()
	total.P50, total.P99 = wire.Percentiles(lat)
	return total, nil
}

// worker drives one keep-alive connection.
type worker struct {
	*load
	next        *atomic.Int64
	exhausted   *atomic.Bool
	measureFrom time.Time
	end         time.Time

	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	stats  wire.Stats
	lat    []time.Duration
	done   time.Time // when the worker stopped
	cookie string    // session mode: "name=value" of the session cookie, once set
}

// errNoTokens ends a worker that needs a token when none is left.
var errNoTokens = errors.New("no token left")

// run sends requests until the window closes, the tokens run out, or the
// server fails maxConsecutiveErrors times in a row.
func (w *worker) run() {
	defer func() {
		if w.conn != nil {
			w.conn.Close()
		}
		w.done = time.Now()
	}()
	failures := 0
	for failures < maxConsecutiveErrors {
		t0 := time.Now()
		if !t0.Before(w.end) {
			return
		}
		ok, why, err := w.request()
		if errors.Is(err, errNoTokens) {
			w.exhausted.Store(true)
			return
		}
		counted := !t0.Before(w.measureFrom) // not a warm-up request
		if err != nil {
			failures++
			if counted {
				w.stats.Errors++
				if w.stats.Errors == 1 {
					log.Printf("load: %v", err)
				}
			}
			continue
		}
		failures = 0
		w.stats.Total++
		if !counted {
			continue
		}
		if ok {
			w.stats.OK++
		} else {
			w.stats.Failed++
			if w.stats.Failed == 1 {
				log.Printf("load: %s", why)
			}
		}
		w.lat = append(w.lat, time.Since(t0))
	}
}

// request sends the worker's next request and reports whether it
// succeeded, or why not. It carries the session cookie once the worker has
// one, else the next unused token. In session mode, a request with a token
// succeeds only if its response sets the session cookie, which the worker
// then keeps, across reconnections too, as a browser would.
func (w *worker) request() (ok bool, why string, err error) {
	if w.cookie != "" {
		switch resp, err := w.do("Cookie: ", w.cookie); {
		case err != nil:
			return false, "", err
		case !is2xx(resp):
			return false, fmt.Sprintf("status %d with the session cookie", resp.StatusCode), nil
		}
		return true, "", nil
	}
	i := int(w.next.Add(1) - 1)
	if i >= len(w.tokens) {
		if !w.reuse {
			return false, "", errNoTokens
		}
		i %= len(w.tokens)
	}
	resp, err := w.do("Authorization: Negotiate ", w.tokens[i])
	switch {
	case err != nil:
		return false, "", err
	case !is2xx(resp):
		return false, fmt.Sprintf("status %d with a token", resp.StatusCode), nil
	case w.session:
		if w.cookie = sessionCookie(resp); w.cookie == "" {
			return false, fmt.Sprintf("status %d with a token, but no session cookie", resp.StatusCode), nil
		}
	}
	return true, "", nil
}

// do sends one GET with the header line name+value (name ends in ": "),
// reads the response and discards its body, (re)connecting when there is
// no open connection.
func (w *worker) do(name, value string) (resp *http.Response, err error) {
	if w.conn == nil {
		if w.conn, err = net.Dial("tcp", w.addr); err != nil {
			w.conn = nil
			return nil, err
		}
		w.br, w.bw = bufio.NewReader(w.conn), bufio.NewWriter(w.conn)
	}
	w.bw.WriteString("GET /ok HTTP/1.1\r\nHost: localhost\r\n")
	w.bw.WriteString(name)
	w.bw.WriteString(value)
	w.bw.WriteString("\r\n\r\n")
	if err = w.bw.Flush(); err == nil {
		if resp, err = http.ReadResponse(w.br, nil); err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.Close {
				w.hangUp() // the server's choice, not an error
			}
		}
	}
	if err != nil {
		w.hangUp()
		return nil, err
	}
	return resp, nil
}

func is2xx(resp *http.Response) bool { return resp.StatusCode >= 200 && resp.StatusCode < 300 }

// sessionCookie returns "name=value" of the session cookie resp sets, or "".
func sessionCookie(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == middleware.InsecureSessionCookieName && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

// hangUp closes the connection; the next request dials again.
func (w *worker) hangUp() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}
