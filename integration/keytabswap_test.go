package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/negotiate-go/negotiate/gss"
)

// TestKeytabSwappedByRename rotates a service's key the other way
// operators do it: a new keytab, written beside the old one and moved
// over it with rename(2), holding the new key only. The running server
// takes it without a restart, under MIT and Heimdal alike, since the
// library reads the keytab file at each accept: a new ticket works at
// once, and a ticket from before the rotation fails as stale_keytab (403).
// (TestKeytabRotation appends the new key to the same file instead.)
func TestKeytabSwappedByRename(t *testing.T) {
	service, host, keytab := newService(t, "swap")
	svc := "HTTP@" + host
	s := newServer(t, gss.WithKeytab(keytab), gss.WithHostname(host))
	before := freshAlice(t)
	old := mint(t, before, svc, 0, false)
	if r := s.get(t, "/whoami", negotiateValue(old)); r.status != http.StatusOK {
		t.Fatalf("before the rotation: %d %q", r.status, r.body)
	}

	kadmin(t, "cpw -randkey "+service) // the KDC's key moves to version 2
	next := filepath.Join(filepath.Dir(keytab), "next.keytab")
	if err := realm.WriteKeytab(next, service); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, keytab); err != nil {
		t.Fatal(err)
	}

	after := freshAlice(t)
	tok := mint(t, after, svc, 0, false)
	if v := ticketKVNO(t, tok); v != ticketKVNO(t, old)+1 {
		t.Fatalf("the new ticket has key version %d, the old one %d", v, ticketKVNO(t, old))
	}
	if r := s.get(t, "/whoami", negotiateValue(tok)); r.status != http.StatusOK || r.body != alice().principal+"\n" {
		t.Errorf("a new ticket after the swap: %d %q, want 200", r.status, r.body)
	}
	if r := s.get(t, "/public", negotiateValue(mint(t, before, svc, 0, false))); r.body != "anonymous (stale_keytab)\n" {
		t.Errorf("an old ticket after the swap: %d %q, want anonymous (stale_keytab)", r.status, r.body)
	}
	if line := logLine(s.logs.String(), "level=ERROR"); line != "" {
		t.Errorf("a swap logged as a server fault: %s", line)
	}
}
