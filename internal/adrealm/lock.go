package adrealm

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// acquireLock takes the exclusive flock on LockFile, waiting up to limit
// for the domain that holds it to close.
func acquireLock(limit time.Duration) (*os.File, error) {
	f, err := os.OpenFile(LockFile, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("adrealm: lock: %w", err)
	}
	deadline := time.Now().Add(limit)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("adrealm: flock %s: %w", LockFile, err)
		}
		if time.Now().After(deadline) {
			holder, _ := os.ReadFile(LockFile)
			f.Close()
			return nil, fmt.Errorf("adrealm: another AD domain held %s for %v (holder: %s); only one runs at a time, because Samba's ports are fixed",
				LockFile, limit, bytes.TrimSpace(holder))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Say who holds it, for the message above in another process.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "pid %d (%s)\n", os.Getpid(), filepath.Base(os.Args[0]))
	}
	return f, nil
}

// portsFree fails if something else holds the DC's ports on 127.0.0.1.
func portsFree() error {
	for _, p := range []struct{ network, addr string }{
		{"tcp", "127.0.0.1:88"}, {"udp", "127.0.0.1:88"}, {"tcp", "127.0.0.1:389"},
	} {
		var err error
		if p.network == "tcp" {
			var l net.Listener
			if l, err = net.Listen("tcp", p.addr); err == nil {
				l.Close()
			}
		} else {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp", p.addr); err == nil {
				c.Close()
			}
		}
		if err != nil {
			return fmt.Errorf("adrealm: %s %s is taken by another process (a system KDC or LDAP server, or a samba that adrealm did not start: see `ss -lntup 'sport = :%s'`): %w",
				p.network, p.addr, p.addr[strings.LastIndexByte(p.addr, ':')+1:], err)
		}
	}
	return nil
}
