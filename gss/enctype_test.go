package gss_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/negotiate-go/negotiate"
)

// TestAlteredEnctypeIsNotAStaleKeytab changes a ticket's clear-text
// enctype from aes256 (18) to rc4-hmac (23). MIT reports a bad key
// version and Heimdal a missing key, which once read as "stale keytab,
// re-export it" (MIT) or a lost keytab and a 500 (Heimdal): an attacker's
// edit would send operators to re-key. It is a client error of its own.
func TestAlteredEnctypeIsNotAStaleKeytab(t *testing.T) {
	acc := newAcceptor(t)
	tok := token(t, "HTTP@localhost", 0, true)
	// The ticket's enc-part is the first EncryptedData of the AP-REQ:
	// etype [0] INTEGER 18.
	i := bytes.Index(tok, []byte{0xa0, 0x03, 0x02, 0x01, 18})
	if i < 0 {
		t.Fatal("no aes256 enctype in the token")
	}
	tok[i+4] = 23
	_, err := acc.Accept(tok)
	if !errors.Is(err, negotiate.ErrKeytabEnctype) || negotiate.IsServerFault(err) {
		t.Errorf("accept: %v (category %s); want keytab_enctype, a client error", err, negotiate.Category(err))
	}
}
