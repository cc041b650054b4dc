package integration

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
)

// TestClientDisconnects has clients go away at every point of a request:
// during the headers, after a complete request with a delegating token
// before reading the reply, during a body, with a reset, and fifty at once.
// The server must not panic, must release the delegated credentials, must
// leave no goroutine behind, and must go on serving.
func TestClientDisconnects(t *testing.T) {
	s := newServer(t)
	stdlog := captureStdLog(t, s.logs)
	s.get(t, "/whoami", good(t))
	before := settledGoroutines(s)
	addr := strings.TrimPrefix(s.url, "http://")

	request := func(path, auth string, extra ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n", path, addr, auth)
		for _, e := range extra {
			b.WriteString(e + "\r\n")
		}
		b.WriteString("\r\n")
		return b.String()
	}
	dial := func(t *testing.T) *net.TCPConn {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.TCPConn)
	}
	delegating := func(t *testing.T) string {
		v := negotiateValue(mint(t, alice(), target, negotiate.FlagDelegate, false))
		s.remember(v)
		return v
	}
	// waitStored waits for /delegate to have stored n credentials in all.
	waitStored := func(t *testing.T, n int64) {
		for deadline := time.Now().Add(5 * time.Second); s.stored.Load() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the handler stored %d credentials, want %d", s.stored.Load(), n)
			}
		}
	}

	t.Run("during the headers", func(t *testing.T) {
		c := dial(t)
		full := request("/whoami", good(t))
		c.Write([]byte(full[:len(full)/2]))
		c.Close()
	})
	t.Run("before reading the reply", func(t *testing.T) {
		n := s.stored.Load()
		c := dial(t)
		c.Write([]byte(request("/delegate", delegating(t))))
		c.Close()
		waitStored(t, n+1)
	})
	t.Run("during a body", func(t *testing.T) {
		c := dial(t)
		c.Write([]byte(request("/whoami", good(t), "Content-Length: 100000") + "only a little"))
		time.Sleep(20 * time.Millisecond)
		c.Close()
	})
	t.Run("reset after the request", func(t *testing.T) {
		n := s.stored.Load()
		c := dial(t)
		c.SetLinger(0) // Close sends a RST
		c.Write([]byte(request("/delegate", delegating(t))))
		waitStored(t, n+1)
		c.Close()
	})
	t.Run("fifty at once", func(t *testing.T) {
		n := s.stored.Load()
		conns := make([]*net.TCPConn, 50)
		for i := range conns {
			conns[i] = dial(t)
			conns[i].Write([]byte(request("/delegate", delegating(t))))
		}
		for _, c := range conns {
			c.Close()
		}
		waitStored(t, n+int64(len(conns)))
	})

	// The last credential a handler saw was released when it returned.
	time.Sleep(50 * time.Millisecond)
	if err := s.lastDelegated().Store("FILE:" + filepath.Join(t.TempDir(), "late")); err == nil {
		t.Error("a delegated credential still works after its client went away")
	}
	if r := s.get(t, "/whoami", good(t)); r.status != http.StatusOK {
		t.Errorf("after the disconnects: %d %q", r.status, r.body)
	}
	checkNoGoroutineLeak(t, s, before)
	stdlog()
	if strings.Contains(s.logs.String(), "panic") {
		t.Errorf("a panic in the log:\n%s", s.logs.String())
	}
}
